// Caffe import: a deploy prototxt (text-format NetParameter, current `layer` or V1 `layers` format)
// with optional .caffemodel weights, to an XGraph. Without weights, every learned parameter is
// generated deterministically (see xgraph/weights.ts).
//
// Every input style Caffe accepts is read: an Input layer, `input:` with four `input_dim:` each, and
// `input:` with `input_shape {}`. In-place layers (top = bottom, as ReLU usually is) get a fresh tensor
// per write, so the XGraph stays in SSA form; the net's outputs are the blobs no later layer reads.

import * as fs from 'node:fs';
import { UserError, protobufFailure } from '../../util/errors';
import { isMessage, parsePrototext, PrototextError, type PtEntry, type PtMessage, type PtScalar } from '../../util/prototext';
import { GraphBuilder } from '../../xgraph/graph';
import { maxElements, numel, shapeText, type Shape } from '../../xgraph/shapes';
import type { Origin, XGraph, XNode } from '../../xgraph/types';
import { DEFAULT_WEIGHT_SEED, initFor, type WeightRole } from '../../xgraph/weights';
import { caffeType, V1_LAYER_CODES, V1_LAYER_TYPES, type PbBlob, type PbNet } from './schema';

export interface CaffeImportOptions {
  /** Path of a .caffemodel with the weights; without it weights are generated. */
  readonly weightsFile?: string;
  readonly seed?: number;
  /** Shapes that replace the declared ones, by input name (e.g. a smaller image for tests). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
}

/** The Caffe layer types the importer understands. */
export const CAFFE_SUPPORTED_LAYERS: readonly string[] = [
  'Input',
  'Convolution',
  'Deconvolution',
  'Pooling',
  'ReLU',
  'Sigmoid',
  'Eltwise',
  'Concat',
  'BatchNorm',
  'Scale',
  'InnerProduct',
  'Dropout',
  'Softmax',
  'LRN',
  'Flatten',
  'Reshape',
  'Split',
];

interface Blob {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Read the weights of a .caffemodel: layer name -> blobs. */
export function readCaffemodel(file: string): Map<string, Blob[]> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read weights: ${(e as Error).message}`, { file });
  }
  let net: PbNet;
  try {
    net = caffeType('NetParameter').decode(bytes) as unknown as PbNet;
  } catch (e) {
    throw new UserError(`not a valid .caffemodel (protobuf decoding failed: ${protobufFailure(e)}); the file may be truncated or corrupted`, { file });
  }
  const out = new Map<string, Blob[]>();
  const add = (name: string, blobs: PbBlob[]) => {
    if (blobs.length === 0) return;
    out.set(
      name,
      blobs.map((b, i) => {
        const shape = b.shape ? b.shape.dim.map((d) => (typeof d === 'number' ? d : d.toNumber())) : [b.num, b.channels, b.height, b.width];
        const n = numel(shape);
        if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || n > maxElements())
          throw new UserError(`layer '${name}' blob ${i} declares an invalid shape ${shapeText(shape)}`, { file });
        const src = b.data.length ? b.data : b.double_data;
        if (src.length !== n) throw new UserError(`layer '${name}' blob ${i} has ${src.length} values but its shape ${shapeText(shape)} needs ${n}`, { file });
        return { shape, data: Float32Array.from(src) };
      }),
    );
  };
  for (const l of net.layer) add(l.name, l.blobs);
  for (const l of net.layers) add(l.name, l.blobs);
  return out;
}

export function importCaffeFile(file: string, opts: CaffeImportOptions = {}): XGraph {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read model: ${(e as Error).message}`, { file });
  }
  return importCaffe(text, file, opts);
}

/** Typed reading of prototxt fields with errors at the field's line and column. */
class Fields {
  constructor(
    readonly msg: PtMessage,
    readonly file: string,
    readonly what: string,
    known: readonly string[] | undefined,
  ) {
    if (known)
      for (const e of msg.entries)
        if (!known.includes(e.name)) throw this.errAt(e, `unknown field '${e.name}' in ${what} (known: ${known.join(', ')})`);
  }
  errAt(e: { line: number; col: number }, m: string): UserError {
    return new UserError(m, { file: this.file, line: e.line, col: e.col });
  }
  private all(name: string): PtEntry[] {
    return this.msg.entries.filter((e) => e.name === name);
  }
  private last(name: string): PtEntry | undefined {
    const a = this.all(name);
    return a[a.length - 1];
  }
  has(name: string): boolean {
    return this.msg.entries.some((e) => e.name === name);
  }
  private scalar(e: PtEntry, kind: 'int' | 'uint' | 'float' | 'bool' | 'string' | 'enum'): PtScalar {
    const v = e.value;
    const bad = (want: string) => this.errAt(e, `field '${e.name}' of ${this.what} should be ${want}, got ${isMessage(v) ? 'a message' : JSON.stringify(v)}`);
    if (isMessage(v)) throw bad(kind === 'string' ? 'a string' : kind === 'enum' ? 'an enum name' : `a ${kind}`);
    switch (kind) {
      case 'int':
      case 'uint':
        if (typeof v !== 'number' || !Number.isInteger(v) || (kind === 'uint' && v < 0)) throw bad(kind === 'uint' ? 'a non-negative integer' : 'an integer');
        return v;
      case 'float':
        if (typeof v !== 'number') throw bad('a number');
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw bad('true or false');
        return v;
      case 'string':
        if (typeof v !== 'string' || e.bare) throw bad('a quoted string');
        return v;
      case 'enum':
        if (typeof v !== 'string' || !e.bare) throw bad('an enum name');
        return v;
    }
  }
  int(name: string, def: number): number {
    const e = this.last(name);
    return e ? (this.scalar(e, 'int') as number) : def;
  }
  uint(name: string, def: number): number {
    const e = this.last(name);
    return e ? (this.scalar(e, 'uint') as number) : def;
  }
  uints(name: string): number[] {
    return this.all(name).map((e) => this.scalar(e, 'uint') as number);
  }
  floats(name: string): number[] {
    return this.all(name).map((e) => this.scalar(e, 'float') as number);
  }
  float(name: string, def: number): number {
    const e = this.last(name);
    return e ? (this.scalar(e, 'float') as number) : def;
  }
  bool(name: string, def: boolean): boolean {
    const e = this.last(name);
    return e ? (this.scalar(e, 'bool') as boolean) : def;
  }
  str(name: string, def: string): string {
    const e = this.last(name);
    return e ? (this.scalar(e, 'string') as string) : def;
  }
  strs(name: string): string[] {
    return this.all(name).map((e) => this.scalar(e, 'string') as string);
  }
  enumOf(name: string, def: string, allowed: readonly string[]): string {
    const e = this.last(name);
    if (!e) return def;
    // Enums may also be given by number in text format; map known numbers by position.
    const v = typeof e.value === 'number' && Number.isInteger(e.value) && allowed[e.value] ? allowed[e.value]! : this.scalar(e, 'enum');
    if (!allowed.includes(v as string)) throw this.errAt(e, `field '${name}' of ${this.what} is '${String(v)}'; expected one of ${allowed.join(', ')}`);
    return v as string;
  }
  messages(name: string): PtMessage[] {
    return this.all(name).map((e) => {
      if (!isMessage(e.value)) throw this.errAt(e, `field '${name}' of ${this.what} should be a message { ... }`);
      return e.value;
    });
  }
  message(name: string): PtMessage | undefined {
    const m = this.messages(name);
    return m[m.length - 1];
  }
  entry(name: string): PtEntry | undefined {
    return this.last(name);
  }
}

const ENGINE = ['DEFAULT', 'CAFFE', 'CUDNN'];
const CONV_FIELDS = ['num_output', 'bias_term', 'pad', 'kernel_size', 'stride', 'dilation', 'pad_h', 'pad_w', 'kernel_h', 'kernel_w', 'stride_h', 'stride_w', 'group', 'weight_filler', 'bias_filler', 'engine', 'axis', 'force_nd_im2col'];
const LAYER_FIELDS = ['name', 'type', 'bottom', 'top', 'phase', 'loss_weight', 'param', 'blobs', 'propagate_down', 'include', 'exclude', 'blobs_lr', 'weight_decay', 'blob_share_mode'];

interface LayerCtx {
  readonly f: Fields;
  readonly name: string;
  readonly type: string;
  readonly bottoms: string[];
  readonly tops: string[];
  readonly origin: Origin;
}

class CaffeImporter {
  readonly b: GraphBuilder;
  /** Caffe blob name -> current XGraph tensor (in-place layers move it). */
  private readonly blobs = new Map<string, string>();
  /** Blob names read by some layer after their last write. */
  private readonly readAfterWrite = new Map<string, boolean>();
  private readonly seed: number;
  private readonly weights?: Map<string, Blob[]>;

  constructor(
    readonly file: string,
    private readonly opts: CaffeImportOptions,
  ) {
    this.b = new GraphBuilder(file);
    this.seed = opts.seed ?? DEFAULT_WEIGHT_SEED;
    if (opts.weightsFile) this.weights = readCaffemodel(opts.weightsFile);
  }

  err(l: LayerCtx, m: string): UserError {
    return new UserError(`${l.type} '${l.name}': ${m}`, { file: this.file, ...(l.origin.line ? { line: l.origin.line, col: l.origin.col } : {}) });
  }

  run(root: PtMessage): XGraph {
    const top = new Fields(root, this.file, 'NetParameter', undefined);
    const netName = top.str('name', 'caffe-net');
    // Legacy inputs: `input` names with `input_dim` (4 per input) or `input_shape` messages.
    const inputs = top.strs('input');
    const dims = top.uints('input_dim');
    const shapes = top.messages('input_shape');
    if (inputs.length) {
      if (shapes.length) {
        if (shapes.length !== inputs.length) throw top.errAt(top.entry('input_shape')!, `${inputs.length} inputs but ${shapes.length} input_shape messages`);
        inputs.forEach((n, i) => this.defineInput(n, new Fields(shapes[i]!, this.file, 'input_shape', ['dim']).uints('dim'), top.entry('input')!));
      } else {
        if (dims.length !== 4 * inputs.length) throw top.errAt(top.entry('input') ?? root, `${inputs.length} inputs need ${4 * inputs.length} input_dim values, found ${dims.length}`);
        inputs.forEach((n, i) => this.defineInput(n, dims.slice(4 * i, 4 * i + 4), top.entry('input')!));
      }
    } else if (dims.length || shapes.length) throw top.errAt(top.entry('input_dim') ?? top.entry('input_shape')!, 'input_dim/input_shape without an input name');
    const layerEntries = root.entries.filter((e) => e.name === 'layer' || e.name === 'layers');
    const known = new Set(['name', 'input', 'input_dim', 'input_shape', 'layer', 'layers', 'force_backward', 'state', 'debug_info']);
    for (const e of root.entries) if (!known.has(e.name)) throw top.errAt(e, `unknown field '${e.name}' in NetParameter`);
    for (const e of layerEntries) {
      if (!isMessage(e.value)) throw top.errAt(e, `'${e.name}' should be a message { ... }`);
      this.layer(e, e.value, e.name === 'layers');
    }
    // Weights of layers the deploy net lacks (training-only layers) are ignored, as Caffe does.
    const outputs = [...this.readAfterWrite].filter(([, read]) => !read).map(([blob]) => this.blobs.get(blob)!);
    if (outputs.length === 0) throw new UserError('the net has no output (every blob is read by a later layer)', { file: this.file });
    return this.b.finish(netName, outputs, { file: this.file, format: 'caffe', detail: `Caffe prototxt${this.opts.weightsFile ? ` with weights ${this.opts.weightsFile}` : ''}` });
  }

  /** The shape of input `name`: the declared one, or the one the caller gives instead. */
  inputShape(name: string, declared: number[], at: { line?: number; col?: number }): number[] {
    const given = this.opts.inputShapes?.[name];
    if (given && given.length !== declared.length) throw new UserError(`input '${name}' is ${declared.length}-D (${shapeText(declared)}); the shape given for it, ${shapeText(given)}, is not`, { file: this.file, ...(at.line ? { line: at.line, col: at.col } : {}) });
    return given ? [...given] : declared;
  }

  private defineInput(name: string, declared: number[], at: { line: number; col: number }): void {
    const shape = this.inputShape(name, declared, at);
    if (shape.length === 0 || shape.some((d) => d < 1)) throw new UserError(`input '${name}' has an invalid shape ${shapeText(shape)}`, { file: this.file, line: at.line, col: at.col });
    if (this.blobs.has(name)) throw new UserError(`input '${name}' is declared twice`, { file: this.file, line: at.line, col: at.col });
    this.b.addInput(name, shape, 'float32', { file: this.file, name, sourceType: 'Input', line: at.line, col: at.col });
    this.blobs.set(name, name);
    this.readAfterWrite.set(name, false);
  }

  private layer(e: PtEntry, m: PtMessage, v1: boolean): void {
    const f = new Fields(m, this.file, `layer at line ${e.line}`, undefined);
    for (const x of m.entries) if (!LAYER_FIELDS.includes(x.name) && !x.name.endsWith('_param')) throw f.errAt(x, `unknown field '${x.name}' in a layer`);
    let type: string;
    if (v1) {
      const t = f.entry('type');
      if (!t) throw f.errAt(e, 'layer has no type');
      const code = typeof t.value === 'number' ? V1_LAYER_CODES[t.value] : String(t.value);
      type = (code && Object.hasOwn(V1_LAYER_TYPES, code) ? V1_LAYER_TYPES[code] : undefined) ?? String(code ?? t.value);
    } else type = f.str('type', '');
    const name = f.str('name', '') || `${type || 'layer'}@${e.line}`;
    if (!type) throw f.errAt(e, `layer '${name}' has no type`);
    // Deploy nets run in the TEST phase: skip layers included only in TRAIN or excluded from TEST.
    const phaseOf = (pm: PtMessage) => new Fields(pm, this.file, 'NetStateRule', ['phase', 'min_level', 'max_level', 'stage', 'not_stage']).enumOf('phase', 'TEST', ['TRAIN', 'TEST']);
    const inc = f.messages('include');
    if (inc.length && !inc.some((r) => phaseOf(r) === 'TEST')) return;
    if (f.messages('exclude').some((r) => phaseOf(r) === 'TEST')) return;
    const l: LayerCtx = { f, name, type, bottoms: f.strs('bottom'), tops: f.strs('top'), origin: { file: this.file, name, sourceType: type, line: e.line, col: e.col } };
    // Own keys only: a layer type such as 'constructor' must not find Object's members.
    const handler = Object.hasOwn(LAYERS, type) ? LAYERS[type] : undefined;
    if (!handler) throw this.err(l, `unknown layer type '${type}'; supported: ${CAFFE_SUPPORTED_LAYERS.join(', ')}`);
    handler(this, l);
  }

  /** The current tensor of a bottom blob. */
  bottom(l: LayerCtx, i: number): string {
    const blob = l.bottoms[i];
    if (blob === undefined) throw this.err(l, `needs bottom ${i + 1}, has ${l.bottoms.length}`);
    const t = this.blobs.get(blob);
    if (!t) throw this.err(l, `bottom '${blob}' is not produced by any earlier layer or input`);
    this.readAfterWrite.set(blob, true);
    return t;
  }

  /** A fresh tensor name for top `i` (the blob name itself when it is new). */
  topTensor(l: LayerCtx, i: number): string {
    const blob = l.tops[i];
    if (blob === undefined) throw this.err(l, `needs top ${i + 1}, has ${l.tops.length}`);
    return this.b.has(blob) ? this.b.fresh(`${blob}@${l.name}`) : blob;
  }

  setTop(l: LayerCtx, i: number, tensor: string): void {
    this.blobs.set(l.tops[i]!, tensor);
    this.readAfterWrite.set(l.tops[i]!, false);
  }

  shapeOf(t: string): Shape {
    return this.b.shapeOf(t);
  }

  /** Emit a single-output node from bottoms to top 0. */
  emit(l: LayerCtx, op: XNode['op'], attrs: unknown, inputs: string[], nodeName = l.name, topIdx = 0): string {
    const out = this.topTensor(l, topIdx);
    this.b.add({ name: this.b.freshNode(nodeName), op, attrs, inputs, outputs: [out], origin: l.origin } as XNode);
    this.setTop(l, topIdx, out);
    return out;
  }

  /** An internal node (not writing a top): returns its output tensor. */
  emitInternal(l: LayerCtx, op: XNode['op'], attrs: unknown, inputs: string[], suffix: string): string {
    const out = this.b.fresh(`${l.name}${suffix}`);
    this.b.add({ name: this.b.freshNode(`${l.name}${suffix}`), op, attrs, inputs, outputs: [out], origin: l.origin } as XNode);
    return out;
  }

  /** Learned parameter `i` of a layer: from the caffemodel (checked against `shape`) or generated. */
  param(l: LayerCtx, i: number, suffix: string, shape: number[], role: WeightRole, fanIn: number): string {
    const name = this.b.fresh(`${l.name}${suffix}`);
    if (this.weights) {
      const blobs = this.weights.get(l.name);
      if (!blobs) throw this.err(l, `has no weights in ${this.opts.weightsFile}`);
      const blob = blobs[i];
      if (!blob) throw this.err(l, `the weights file has ${blobs.length} blobs for this layer, needs blob ${i}`);
      if (numel(blob.shape) !== numel(shape)) throw this.err(l, `weights blob ${i} has shape ${shapeText(blob.shape)}, expected ${shapeText(shape)}`);
      this.b.addConst(name, shape, blob.data, 'float32', undefined, l.origin);
    } else this.b.addConst(name, shape, undefined, 'float32', initFor(role, fanIn, this.seed, name), l.origin);
    return name;
  }

  /** A constant the model defines by its meaning (not learned). */
  constant(l: LayerCtx, suffix: string, shape: number[], value: number): string {
    const name = this.b.fresh(`${l.name}${suffix}`);
    this.b.addConst(name, shape, new Float32Array(numel(shape)).fill(value), 'float32', undefined, l.origin);
    return name;
  }

  /** A scalar taken from blob `i` of the caffemodel, or `def` without weights. */
  blobScalar(l: LayerCtx, i: number, def: number): number {
    if (!this.weights) return def;
    if (!this.weights.has(l.name)) throw this.err(l, `has no weights in ${this.opts.weightsFile}`);
    const b = this.weights.get(l.name)![i];
    if (!b || b.data.length < 1) throw this.err(l, `the weights file lacks blob ${i} of this layer`);
    return b.data[0]!;
  }
  blobData(l: LayerCtx, i: number): Float32Array | undefined {
    return this.weights?.get(l.name)?.[i]?.data;
  }
}

/** Kernel, stride, pad, dilation of Convolution/Deconvolution/Pooling parameters. */
function window2d(imp: CaffeImporter, l: LayerCtx, p: Fields, repeated: boolean): { kernel: [number, number]; stride: [number, number]; pad: [number, number]; dilation: [number, number] } {
  const pick = (base: string, def: number | undefined): [number, number] => {
    const h = p.has(`${base}_h`) ? p.uint(`${base}_h`, 0) : undefined;
    const w = p.has(`${base}_w`) ? p.uint(`${base}_w`, 0) : undefined;
    if (h !== undefined || w !== undefined) {
      if (h === undefined || w === undefined) throw imp.err(l, `${base}_h and ${base}_w must be given together`);
      return [h, w];
    }
    const name = base === 'kernel' ? 'kernel_size' : base;
    const v = repeated ? p.uints(name) : p.has(name) ? [p.uint(name, 0)] : [];
    if (v.length === 0) {
      if (def === undefined) throw imp.err(l, `${name} is required`);
      return [def, def];
    }
    if (v.length > 2) throw imp.err(l, `${name} has ${v.length} values; only 2-D is supported`);
    return v.length === 1 ? [v[0]!, v[0]!] : [v[0]!, v[1]!];
  };
  const kernel = pick('kernel', p.bool('global_pooling', false) ? 0 : undefined);
  const stride = pick('stride', 1);
  const pad = pick('pad', 0);
  const dilation: [number, number] = repeated ? (() => {
    const d = p.uints('dilation');
    if (d.length > 2) throw imp.err(l, `dilation has ${d.length} values; only 2-D is supported`);
    return d.length === 0 ? [1, 1] : d.length === 1 ? [d[0]!, d[0]!] : [d[0]!, d[1]!];
  })() : [1, 1];
  return { kernel, stride, pad, dilation };
}

type Layer = (imp: CaffeImporter, l: LayerCtx) => void;

function params(imp: CaffeImporter, l: LayerCtx, name: string, known: readonly string[]): Fields {
  const m = l.f.message(name);
  return new Fields(m ?? { entries: [], line: l.origin.line ?? 1, col: l.origin.col ?? 1 }, imp.file, `${name} of '${l.name}'`, known);
}

function convLayer(transposed: boolean): Layer {
  return (imp, l) => {
    const p = params(imp, l, 'convolution_param', CONV_FIELDS);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    if (xs.length !== 4) throw imp.err(l, `input ${shapeText(xs)} must be 4-D`);
    if (p.int('axis', 1) !== 1) throw imp.err(l, 'only axis 1 (channels) is supported');
    if (!p.has('num_output')) throw imp.err(l, 'num_output is required');
    const m = p.uint('num_output', 0);
    const group = p.uint('group', 1);
    if (group < 1 || xs[1]! % group !== 0 || m % group !== 0) throw imp.err(l, `group ${group} must divide the input channels ${xs[1]} and num_output ${m}`);
    const { kernel, stride, pad, dilation } = window2d(imp, l, p, true);
    const bias = p.bool('bias_term', true);
    const cg = xs[1]! / group;
    const wShape = transposed ? [xs[1]!, m / group, kernel[0], kernel[1]] : [m, cg, kernel[0], kernel[1]];
    const fanIn = (transposed ? m / group : cg) * kernel[0] * kernel[1];
    const ins = [x, imp.param(l, 0, '/weights', wShape, 'weight', fanIn)];
    if (bias) ins.push(imp.param(l, 1, '/bias', [m], 'bias', fanIn));
    const pads = [pad[0], pad[1], pad[0], pad[1]] as const;
    if (transposed)
      imp.emit(l, 'convTranspose', { kernel, stride, dilation, pads, outputPadding: [0, 0], group }, ins);
    else imp.emit(l, 'conv', { kernel, stride, dilation, pads, group }, ins);
  };
}

const LAYERS: Record<string, Layer> = {
  Input: (imp, l) => {
    const p = params(imp, l, 'input_param', ['shape']);
    const shapes = p.messages('shape').map((s) => new Fields(s, imp.file, 'BlobShape', ['dim']).uints('dim'));
    if (shapes.length !== 1 && shapes.length !== l.tops.length) throw imp.err(l, `${l.tops.length} tops but ${shapes.length} shapes`);
    l.tops.forEach((t, i) => {
      const declared = shapes[shapes.length === 1 ? 0 : i]!;
      const shape = imp.inputShape(t, declared, l.origin);
      if (shape.length === 0 || shape.some((d) => d < 1)) throw imp.err(l, `invalid input shape ${shapeText(shape)}`);
      imp.b.addInput(t, shape, 'float32', l.origin);
      imp.setTop(l, i, t);
    });
  },
  Convolution: convLayer(false),
  Deconvolution: convLayer(true),
  Pooling: (imp, l) => {
    const p = params(imp, l, 'pooling_param', ['pool', 'pad', 'pad_h', 'pad_w', 'kernel_size', 'kernel_h', 'kernel_w', 'stride', 'stride_h', 'stride_w', 'engine', 'global_pooling', 'round_mode']);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    if (xs.length !== 4) throw imp.err(l, `input ${shapeText(xs)} must be 4-D`);
    p.enumOf('engine', 'DEFAULT', ENGINE);
    const kind = p.enumOf('pool', 'MAX', ['MAX', 'AVE', 'STOCHASTIC']);
    if (kind === 'STOCHASTIC') throw imp.err(l, 'stochastic pooling is not supported');
    const global = p.bool('global_pooling', false);
    let { kernel, stride, pad } = window2d(imp, l, p, false);
    if (global) {
      if (pad[0] || pad[1] || stride[0] !== 1 || stride[1] !== 1) throw imp.err(l, 'global pooling takes no pad and stride 1');
      kernel = [xs[2]!, xs[3]!];
      stride = [1, 1];
      pad = [0, 0];
    }
    const ceil = p.enumOf('round_mode', 'CEIL', ['CEIL', 'FLOOR']) === 'CEIL';
    imp.emit(l, 'pool', {
      kind: kind === 'MAX' ? 'max' : 'avg',
      kernel,
      stride,
      dilation: [1, 1],
      pads: [pad[0], pad[1], pad[0], pad[1]],
      ceil,
      // Caffe's average divides by the window clipped to the padded input, padding included.
      countIncludePad: true,
    }, [x]);
  },
  ReLU: (imp, l) => {
    const p = params(imp, l, 'relu_param', ['negative_slope', 'engine']);
    const slope = p.float('negative_slope', 0);
    const x = imp.bottom(l, 0);
    if (slope === 0) imp.emit(l, 'relu', {}, [x]);
    else imp.emit(l, 'leakyRelu', { alpha: slope }, [x]);
  },
  Sigmoid: (imp, l) => {
    params(imp, l, 'sigmoid_param', ['engine']);
    imp.emit(l, 'sigmoid', {}, [imp.bottom(l, 0)]);
  },
  Dropout: (imp, l) => {
    params(imp, l, 'dropout_param', ['dropout_ratio', 'scale_train']);
    imp.emit(l, 'dropout', {}, [imp.bottom(l, 0)]);
  },
  Split: (imp, l) => {
    const x = imp.bottom(l, 0);
    // Split copies its bottom to every top: the tops are the same tensor.
    l.tops.forEach((_, i) => imp.setTop(l, i, x));
  },
  Eltwise: (imp, l) => {
    const p = params(imp, l, 'eltwise_param', ['operation', 'coeff', 'stable_prod_grad']);
    const op = p.enumOf('operation', 'SUM', ['PROD', 'SUM', 'MAX']);
    const ins = l.bottoms.map((_, i) => imp.bottom(l, i));
    if (ins.length < 2) throw imp.err(l, 'needs at least 2 bottoms');
    const coeff = p.floats('coeff');
    if (coeff.length && op !== 'SUM') throw imp.err(l, 'coeff is only allowed with operation SUM');
    if (coeff.length && coeff.length !== ins.length) throw imp.err(l, `has ${coeff.length} coefficients for ${ins.length} bottoms`);
    const shapes = ins.map((t) => imp.shapeOf(t));
    if (shapes.some((s) => shapeText(s) !== shapeText(shapes[0]!))) throw imp.err(l, `bottoms have different shapes ${shapes.map(shapeText).join(', ')}`);
    if (op === 'SUM') imp.emit(l, 'add', coeff.length && coeff.some((c) => c !== 1) ? { coeffs: coeff } : {}, ins);
    else imp.emit(l, op === 'PROD' ? 'mul' : 'max', {}, ins);
  },
  Concat: (imp, l) => {
    const p = params(imp, l, 'concat_param', ['axis', 'concat_dim']);
    const ins = l.bottoms.map((_, i) => imp.bottom(l, i));
    const rank = imp.shapeOf(ins[0]!).length;
    let axis = p.has('axis') ? p.int('axis', 1) : p.uint('concat_dim', 1);
    if (axis < 0) axis += rank;
    if (ins.length === 1) imp.emit(l, 'identity', {}, ins);
    else imp.emit(l, 'concat', { axis }, ins);
  },
  BatchNorm: (imp, l) => {
    const p = params(imp, l, 'batch_norm_param', ['use_global_stats', 'moving_average_fraction', 'eps']);
    if (p.has('use_global_stats') && !p.bool('use_global_stats', true)) throw imp.err(l, 'use_global_stats: false (training-mode statistics) is not supported');
    const x = imp.bottom(l, 0);
    const c = imp.shapeOf(x)[1]!;
    // Caffe stores running sums: mean = blob0 / blob2, var = blob1 / blob2 (blob2 = 0 means 0).
    const factor = imp.blobScalar(l, 2, 1);
    const s = factor === 0 ? 0 : 1 / factor;
    let mean: string;
    let variance: string;
    if (imp.blobData(l, 0)) {
      const m = imp.blobData(l, 0)!;
      const v = imp.blobData(l, 1);
      if (!v || m.length !== c || v.length !== c) throw imp.err(l, `mean and variance blobs must have ${c} values`);
      mean = imp.b.fresh(`${l.name}/mean`);
      imp.b.addConst(mean, [c], m.map((a) => a * s), 'float32', undefined, l.origin);
      variance = imp.b.fresh(`${l.name}/variance`);
      imp.b.addConst(variance, [c], v.map((a) => a * s), 'float32', undefined, l.origin);
    } else {
      mean = imp.param(l, 0, '/mean', [c], 'bnMean', 1);
      variance = imp.param(l, 1, '/variance', [c], 'bnVar', 1);
    }
    const gamma = imp.constant(l, '/gamma', [c], 1);
    const beta = imp.constant(l, '/beta', [c], 0);
    imp.emit(l, 'batchNorm', { epsilon: p.float('eps', 1e-5) }, [x, gamma, beta, mean, variance]);
  },
  Scale: (imp, l) => {
    const p = params(imp, l, 'scale_param', ['axis', 'num_axes', 'filler', 'bias_term', 'bias_filler']);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    let axis = p.int('axis', 1);
    if (axis < 0) axis += xs.length;
    let scale: string;
    let pshape: number[];
    if (l.bottoms.length > 1) {
      scale = imp.bottom(l, 1);
      pshape = [...imp.shapeOf(scale)];
    } else {
      const numAxes = p.int('num_axes', 1);
      pshape = xs.slice(axis, numAxes < 0 ? xs.length : axis + numAxes);
      scale = imp.param(l, 0, '/scale', pshape, 'scale', 1);
    }
    // Broadcast the parameter over the axes after it: [C] -> [C,1,1] for an NCHW input.
    const trailing = xs.length - axis - pshape.length;
    if (trailing < 0 || pshape.some((d, i) => d !== xs[axis + i])) throw imp.err(l, `scale ${shapeText(pshape)} does not match the input ${shapeText(xs)} at axis ${axis}`);
    const bshape = [...pshape, ...new Array<number>(trailing).fill(1)];
    const reshape = (t: string, suffix: string) => {
      const tt = imp.b.tensors.get(t)!;
      if (tt.kind === 'const') {
        // Constants are re-declared with the broadcast shape (same values).
        const n = imp.b.fresh(`${t}${suffix}`);
        imp.b.addConst(n, bshape, tt.data, 'float32', tt.init, l.origin);
        return n;
      }
      return imp.emitInternal(l, 'reshape', { shape: bshape }, [t], suffix);
    };
    const s4 = trailing ? reshape(scale, '/bcast') : scale;
    if (p.bool('bias_term', false)) {
      const mulOut = imp.emitInternal(l, 'mul', {}, [x, s4], '/mul');
      const bias = imp.param(l, l.bottoms.length > 1 ? 0 : 1, '/bias', pshape, 'bias', 1);
      imp.emit(l, 'add', {}, [mulOut, trailing ? reshape(bias, '/bcast') : bias]);
    } else imp.emit(l, 'mul', {}, [x, s4]);
  },
  InnerProduct: (imp, l) => {
    const p = params(imp, l, 'inner_product_param', ['num_output', 'bias_term', 'weight_filler', 'bias_filler', 'axis', 'transpose']);
    if (!p.has('num_output')) throw imp.err(l, 'num_output is required');
    const m = p.uint('num_output', 0);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    let axis = p.int('axis', 1);
    if (axis < 0) axis += xs.length;
    const k = numel(xs.slice(axis));
    const flat = xs.length === 2 && axis === 1 ? x : imp.emitInternal(l, 'flatten', { axis }, [x], '/flatten');
    const transpose = p.bool('transpose', false);
    const w = imp.param(l, 0, '/weights', transpose ? [k, m] : [m, k], 'weight', k);
    const ins = [flat, w];
    if (p.bool('bias_term', true)) ins.push(imp.param(l, 1, '/bias', [m], 'bias', k));
    imp.emit(l, 'gemm', { alpha: 1, beta: 1, transA: false, transB: !transpose }, ins);
  },
  Softmax: (imp, l) => {
    const p = params(imp, l, 'softmax_param', ['axis', 'engine']);
    const x = imp.bottom(l, 0);
    let axis = p.int('axis', 1);
    if (axis < 0) axis += imp.shapeOf(x).length;
    imp.emit(l, 'softmax', { axis, coerce2d: false }, [x]);
  },
  LRN: (imp, l) => {
    const p = params(imp, l, 'lrn_param', ['local_size', 'alpha', 'beta', 'norm_region', 'k', 'engine']);
    const within = p.enumOf('norm_region', 'ACROSS_CHANNELS', ['ACROSS_CHANNELS', 'WITHIN_CHANNEL']) === 'WITHIN_CHANNEL';
    const size = p.uint('local_size', 5);
    if (size % 2 !== 1) throw imp.err(l, `local_size ${size} must be odd`);
    const x = imp.bottom(l, 0);
    if (within && imp.shapeOf(x).length !== 4) throw imp.err(l, 'WITHIN_CHANNEL needs a 4-D input');
    imp.emit(l, 'lrn', { size, alpha: p.float('alpha', 1), beta: p.float('beta', 0.75), bias: p.float('k', 1), ...(within ? { withinChannel: true } : {}) }, [x]);
  },
  Flatten: (imp, l) => {
    const p = params(imp, l, 'flatten_param', ['axis', 'end_axis']);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    const norm = (a: number) => (a < 0 ? a + xs.length : a);
    const axis = norm(p.int('axis', 1));
    const end = norm(p.int('end_axis', -1));
    if (axis < 0 || end >= xs.length || end < axis) throw imp.err(l, `invalid axes ${axis}..${end} for ${shapeText(xs)}`);
    if (axis === 1 && end === xs.length - 1) imp.emit(l, 'flatten', { axis: 1 }, [x]);
    else imp.emit(l, 'reshape', { shape: [...xs.slice(0, axis), numel(xs.slice(axis, end + 1)), ...xs.slice(end + 1)] }, [x]);
  },
  Reshape: (imp, l) => {
    const p = params(imp, l, 'reshape_param', ['shape', 'axis', 'num_axes']);
    const x = imp.bottom(l, 0);
    const xs = imp.shapeOf(x);
    const sm = p.message('shape');
    if (!sm) throw imp.err(l, 'reshape_param.shape is required');
    const dims = new Fields(sm, imp.file, 'BlobShape', ['dim']).msg.entries.map((e) => {
      if (typeof e.value !== 'number' || !Number.isInteger(e.value)) throw imp.err(l, `shape dims must be integers`);
      return e.value;
    });
    let axis = p.int('axis', 0);
    if (axis < 0) axis += xs.length + 1;
    const numAxes = p.int('num_axes', -1);
    const end = numAxes < 0 ? xs.length : axis + numAxes;
    const replaced = xs.slice(axis, end);
    const mid = dims.map((d, i) => (d === 0 ? replaced[i]! : d));
    const out = [...xs.slice(0, axis), ...mid, ...xs.slice(end)];
    const inferAt = out.indexOf(-1);
    if (out.filter((d) => d === -1).length > 1) throw imp.err(l, 'at most one dim may be -1');
    if (inferAt >= 0) {
      const rest = numel(out.filter((d) => d !== -1));
      if (rest === 0 || numel(xs) % rest !== 0) throw imp.err(l, `cannot reshape ${shapeText(xs)} to ${shapeText(out)}`);
      out[inferAt] = numel(xs) / rest;
    }
    if (out.some((d) => d === undefined || d < 0)) throw imp.err(l, `invalid target shape ${shapeText(out)}`);
    imp.emit(l, 'reshape', { shape: out }, [x]);
  },
};

export function importCaffe(text: string, file: string, opts: CaffeImportOptions = {}): XGraph {
  let root: PtMessage;
  try {
    root = parsePrototext(text);
  } catch (e) {
    if (e instanceof PrototextError) throw new UserError(e.message, { file, line: e.line, col: e.col });
    throw e;
  }
  return new CaffeImporter(file, opts).run(root);
}

