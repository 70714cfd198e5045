// ONNX import: a binary ModelProto (opsets 7 to 18 of the default domain) to an XGraph.
//
// The importer resolves everything that is static at import time: Constant and ConstantOfShape nodes
// and operators whose inputs are all constant are folded; Reshape targets, Pad amounts, Clip bounds
// and Resize sizes become attributes; 1-D convolutions and pools become 2-D ones on an [N,C,1,L]
// view. Unknown dims (dynamic batch) become 1 unless the caller gives shapes.

import * as fs from 'node:fs';
import { UserError, protobufFailure } from '../../util/errors';
import { GraphBuilder, nodeError, topoOrder } from '../../xgraph/graph';
import { limitHint } from '../../util/limits';
import { inferShapes, maxElements, numel, ShapeError, shapeText, type Shape } from '../../xgraph/shapes';
import type { Origin, Pads4, ResizeAttrs, XGraph, XNode } from '../../xgraph/types';
import { constFloat, DEFAULT_WEIGHT_SEED, initFor, type WeightRole } from '../../xgraph/weights';
import { evalNode } from '../../ref/float';
import { ONNX_ATTR, ONNX_DTYPE, ONNX_DTYPE_NAME, onnxType, type PbAttr, type PbGraph, type PbModel, type PbNode } from './schema';
import { int64, readTensor, type OnnxTensorValue } from './tensor';

/** Constants the importer computes (folding, ConstantOfShape fills) are capped at this many elements
 * (1 GiB of float32), so that a hostile model cannot make the importer allocate without bound. */
export const MAX_FOLDED_ELEMENTS = 2 ** 28;

/** Opset 6 is accepted too: ONNX's pytorch-converted tests use it, and the operators here differ from
 * opset 7 only in the legacy `broadcast`/`axis` attributes of Add, Mul and PRelu's slope, handled below. */
export const MIN_OPSET = 6;
export const MAX_OPSET = 18;

/** The ONNX operators the importer understands (the default domain). */
export const ONNX_SUPPORTED_OPS: readonly string[] = [
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Relu',
  'LeakyRelu',
  'Clip',
  'PRelu',
  'Sigmoid',
  'Add',
  'Sum',
  'Mul',
  'Concat',
  'BatchNormalization',
  'Gemm',
  'MatMul',
  'Flatten',
  'Reshape',
  'Transpose',
  'Pad',
  'Resize',
  'Upsample',
  'Softmax',
  'Dropout',
  'Identity',
  'Constant',
  'ConstantOfShape',
  'LRN',
];

export interface OnnxImportOptions {
  /** Shapes for graph inputs, overriding the model's (needed when dims are symbolic and 1 is wrong). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Graph inputs to treat as constants with these values (e.g. the int64 shape inputs of ONNX's node tests). */
  readonly frozenInputs?: ReadonlyMap<string, OnnxTensorValue>;
  /**
   * Weights produced by ConstantOfShape (ONNX's weight-free "light" models): 'constant' keeps the model's
   * meaning (every weight the constant), 'generate' replaces them with seeded generated weights so the
   * network computes something non-degenerate. Default 'generate'.
   */
  readonly constantOfShapeWeights?: 'constant' | 'generate';
  readonly seed?: number;
}

/** An input that must be known at import time is not (a graph input, or computed). Carries the name so
 * that a caller may freeze that input and import again. */
export class NeedsConstantError extends UserError {
  readonly tensorName: string;
  constructor(origin: Origin, tensorName: string, message: string) {
    const located = nodeError(origin, message);
    super(located.message, located.location);
    this.tensorName = tensorName;
  }
}

interface PendingFill {
  readonly shape: number[];
  readonly value: number;
  readonly dtype: 'float32' | 'int64';
}

/** Decode the bytes of a ModelProto; a broken file is a UserError naming it. */
export function decodeOnnx(bytes: Uint8Array, file: string): PbModel {
  let m: PbModel;
  try {
    m = onnxType('ModelProto').decode(bytes) as unknown as PbModel;
  } catch (e) {
    throw new UserError(`not a valid ONNX model (protobuf decoding failed: ${protobufFailure(e)}); the file may be truncated or corrupted`, { file });
  }
  if (!m.graph) throw new UserError('not an ONNX model: the ModelProto has no graph', { file });
  return m;
}

export function importOnnxFile(file: string, opts: OnnxImportOptions = {}): XGraph {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read model: ${(e as Error).message}`, { file });
  }
  return importOnnx(bytes, file, opts);
}

export function importOnnx(bytes: Uint8Array, file: string, opts: OnnxImportOptions = {}): XGraph {
  const model = decodeOnnx(bytes, file);
  const ops = model.opset_import.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (ops.length === 0) throw new UserError('the model imports no opset of the default ONNX domain', { file });
  const opset = int64(ops[0]!.version);
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new UserError(`opset ${opset} is outside the supported range ${MIN_OPSET}..${MAX_OPSET}`, { file });
  const ctx = new OnnxContext(file, opset, model.graph!, opts);
  return ctx.run(`ONNX opset ${opset}, IR ${int64(model.ir_version)}${model.producer_name ? `, from ${model.producer_name} ${model.producer_version}` : ''}`);
}

const td = new TextDecoder();

/** Typed access to a node's attributes, with type errors that name the node. */
class Attrs {
  private readonly map = new Map<string, PbAttr>();
  constructor(
    private readonly node: PbNode,
    private readonly ctx: OnnxContext,
  ) {
    for (const a of node.attribute) this.map.set(a.name, a);
  }
  private kind(a: PbAttr): number {
    if (a.type) return a.type;
    // Very old writers leave the type unset; infer it from the field that holds a value.
    if (a.ints.length) return ONNX_ATTR.INTS;
    if (a.floats.length) return ONNX_ATTR.FLOATS;
    if (a.strings.length) return ONNX_ATTR.STRINGS;
    if (a.t) return ONNX_ATTR.TENSOR;
    if (a.s && a.s.length) return ONNX_ATTR.STRING;
    if (a.i !== undefined && int64(a.i) !== 0) return ONNX_ATTR.INT;
    return ONNX_ATTR.FLOAT;
  }
  private get(name: string, type: number, typeName: string): PbAttr | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.ref_attr_name) throw this.ctx.err(this.node, `attribute '${name}' refers to a function attribute; functions are not supported`);
    const k = this.kind(a);
    if (k !== type) throw this.ctx.err(this.node, `attribute '${name}' should be ${typeName}, but has type code ${k}`);
    return a;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  int(name: string, def: number): number {
    const a = this.get(name, ONNX_ATTR.INT, 'INT');
    return a ? int64(a.i) : def;
  }
  float(name: string, def: number): number {
    const a = this.get(name, ONNX_ATTR.FLOAT, 'FLOAT');
    return a ? a.f : def;
  }
  str(name: string, def: string): string {
    const a = this.get(name, ONNX_ATTR.STRING, 'STRING');
    return a ? td.decode(a.s) : def;
  }
  ints(name: string): number[] | undefined {
    const a = this.get(name, ONNX_ATTR.INTS, 'INTS');
    return a ? a.ints.map(int64) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.get(name, ONNX_ATTR.FLOATS, 'FLOATS');
    return a ? [...a.floats] : undefined;
  }
  tensor(name: string): OnnxTensorValue | undefined {
    const a = this.get(name, ONNX_ATTR.TENSOR, 'TENSOR');
    return a && a.t ? readTensor(a.t, this.ctx.file, `attribute '${name}' of ${this.ctx.describe(this.node)}`) : undefined;
  }
}

class OnnxContext {
  readonly b: GraphBuilder;
  /** Values known at import time: initializers, Constant outputs, folded results. */
  private readonly consts = new Map<string, OnnxTensorValue>();
  /** ConstantOfShape outputs, defined in the builder when first used (their role decides generation). */
  private readonly fills = new Map<string, PendingFill>();
  private readonly seed: number;

  constructor(
    readonly file: string,
    readonly opset: number,
    private readonly graph: PbGraph,
    private readonly opts: OnnxImportOptions,
  ) {
    this.b = new GraphBuilder(file);
    this.seed = opts.seed ?? DEFAULT_WEIGHT_SEED;
  }

  private usedNames?: Set<string>;
  /** True when a node or the graph's outputs read tensor `name`. */
  isUsed(name: string): boolean {
    if (!this.usedNames) {
      this.usedNames = new Set(this.graph.output.map((o) => o.name));
      for (const n of this.graph.node) for (const i of n.input) this.usedNames.add(i);
    }
    return this.usedNames.has(name);
  }

  describe(n: PbNode): string {
    return `${n.op_type} '${n.name || n.output[0] || '?'}'`;
  }
  origin(n: PbNode): Origin {
    return { file: this.file, name: n.name || n.output[0] || n.op_type, sourceType: n.op_type };
  }
  err(n: PbNode, msg: string): UserError {
    return nodeError(this.origin(n), msg);
  }

  run(detail: string): XGraph {
    const g = this.graph;
    for (const t of g.initializer) {
      if (!t.name) throw new UserError('an initializer has no name', { file: this.file });
      this.consts.set(t.name, readTensor(t, this.file, `initializer '${t.name}'`));
    }
    if (g.sparse_initializer.length) throw new UserError('sparse initializers are not supported', { file: this.file });
    for (const [name, v] of this.opts.frozenInputs ?? []) this.consts.set(name, v);
    for (const vi of g.input) {
      if (this.consts.has(vi.name)) continue; // a weight listed as an input (IR < 4), or a frozen input
      const tt = vi.type?.tensor_type;
      if (!tt) throw new UserError(`graph input '${vi.name}' is not a tensor (sequences and maps are not supported)`, { file: this.file });
      if (tt.elem_type !== ONNX_DTYPE.FLOAT && tt.elem_type !== ONNX_DTYPE.FLOAT16 && tt.elem_type !== ONNX_DTYPE.DOUBLE)
        throw new UserError(
          `graph input '${vi.name}' has element type ${ONNX_DTYPE_NAME[tt.elem_type] ?? tt.elem_type}; run-time inputs must be float (freeze integer inputs as constants)`,
          { file: this.file },
        );
      const given = this.opts.inputShapes?.[vi.name];
      let shape: number[];
      if (given) shape = [...given];
      else {
        if (!tt.shape) throw new UserError(`graph input '${vi.name}' has no shape; give one with the input shape option`, { file: this.file });
        // Symbolic or unknown dims (a dynamic batch) become 1; an explicit 0 is a real empty dim.
        shape = tt.shape.dim.map((d) => (d.dim_param || !Object.prototype.hasOwnProperty.call(d, 'dim_value') ? 1 : int64(d.dim_value)));
      }
      this.b.addInput(vi.name, shape);
    }
    const known = new Set<string>([...this.consts.keys(), ...this.b.inputs]);
    const order = topoOrder(
      g.node,
      (n) => n.input.filter((i) => i !== ''),
      (n) => n.output.filter((o) => o !== ''),
      known,
      (n, m) => this.err(n, m),
    );
    for (const n of order) this.convert(n);
    const outputs = g.output.map((o) => o.name);
    for (const o of outputs) if (!this.b.has(o) && (this.consts.has(o) || this.fills.has(o))) this.use(o, 'other', undefined);
    return this.b.finish(g.name || 'onnx-model', outputs, { file: this.file, format: 'onnx', detail });
  }

  /** Make `name` available in the builder (constants are defined on first use) and return it. */
  use(name: string, role: WeightRole, fanIn: number | undefined, n?: PbNode): string {
    if (this.b.has(name)) return name;
    const fill = this.fills.get(name);
    if (fill) {
      const generate = (this.opts.constantOfShapeWeights ?? 'generate') === 'generate' && fill.dtype === 'float32' && role !== 'other';
      if (!generate && numel(fill.shape) > MAX_FOLDED_ELEMENTS)
        throw n ? this.err(n, `constant '${name}' [${fill.shape.join(',')}] is larger than the ${MAX_FOLDED_ELEMENTS} elements the importer materializes`) : new UserError(`constant '${name}' is too large`, { file: this.file });
      if ((this.opts.constantOfShapeWeights ?? 'generate') === 'generate' && fill.dtype === 'float32' && role !== 'other') {
        this.b.addConst(name, fill.shape, undefined, 'float32', initFor(role, fanIn ?? numel(fill.shape.slice(1)), this.seed, name));
      } else {
        const d = fill.dtype === 'float32' ? new Float32Array(numel(fill.shape)) : new Float64Array(numel(fill.shape));
        d.fill(fill.value);
        this.b.addConst(name, fill.shape, d, fill.dtype);
      }
      return name;
    }
    const c = this.consts.get(name);
    if (c) {
      this.b.addConst(name, c.shape, c.data, c.dtype);
      return name;
    }
    throw n ? this.err(n, `input '${name}' is not defined`) : new UserError(`tensor '${name}' is not defined`, { file: this.file });
  }

  /** The import-time value of input `i` of node `n`, which must be constant. */
  constInput(n: PbNode, i: number, what: string): OnnxTensorValue | undefined {
    const name = n.input[i];
    if (name === undefined || name === '') return undefined;
    const c = this.consts.get(name);
    if (c) return c;
    const f = this.fills.get(name);
    if (f) {
      if (numel(f.shape) > MAX_FOLDED_ELEMENTS) throw this.err(n, `constant '${name}' [${f.shape.join(',')}] is too large to use as ${what}`);
      const d = f.dtype === 'float32' ? new Float32Array(numel(f.shape)) : new Float64Array(numel(f.shape));
      d.fill(f.value);
      return { shape: f.shape, dtype: f.dtype, data: d };
    }
    const t = this.b.tensors.get(name);
    if (t?.kind === 'const' && t.data) return { shape: [...t.shape], dtype: t.dtype, data: t.data };
    throw new NeedsConstantError(this.origin(n), name, `input ${i} (${what}) '${name}' must be a constant known at import time`);
  }

  intsInput(n: PbNode, i: number, what: string): number[] | undefined {
    const v = this.constInput(n, i, what);
    if (!v) return undefined;
    return Array.from(v.data, (x) => Math.round(x));
  }

  shapeOf(name: string): Shape {
    return this.b.shapeOf(name);
  }

  /** Add a node, or fold it when all its inputs are constants. */
  emit(node: XNode): void {
    const allConst = node.inputs.length > 0 && node.inputs.every((i) => this.b.tensors.get(i)?.kind === 'const');
    if (!allConst) {
      this.b.add(node);
      return;
    }
    const ins = node.inputs.map((i) => this.b.tensors.get(i)!);
    let shapes: number[][];
    try {
      shapes = inferShapes(node, ins.map((t) => t.shape));
    } catch (e) {
      if (e instanceof ShapeError) throw nodeError(node.origin, e.message);
      throw e;
    }
    if (shapes.some((s) => numel(s) > MAX_FOLDED_ELEMENTS) || ins.some((t) => numel(t.shape) > MAX_FOLDED_ELEMENTS)) {
      // Too large to compute at import: keep it as a node (it runs when the graph runs).
      this.b.add(node);
      return;
    }
    if (ins.some((t) => t.dtype !== 'float32') && node.op !== 'identity' && node.op !== 'reshape' && node.op !== 'flatten')
      throw nodeError(node.origin, 'folding an operator on integer constants is not supported');
    const vals = ins.map((t) => {
      const d = t.data ?? this.materialize(t.name);
      return { data: d instanceof Float32Array ? d : Float32Array.from(d), shape: t.shape };
    });
    const res = evalNode(node, vals, shapes);
    node.outputs.forEach((o, k) => {
      const intOut = ins[0]!.dtype === 'int64' && (node.op === 'identity' || node.op === 'reshape' || node.op === 'flatten');
      const data = intOut ? Float64Array.from(res[k]!) : res[k]!;
      this.consts.set(o, { shape: shapes[k]!, dtype: intOut ? 'int64' : 'float32', data });
    });
  }

  /** A generated constant that is folded: generate its values now. */
  private materialize(name: string): Float32Array {
    return constFloat(this.b.tensors.get(name)!);
  }

  /** Shape of input `i`, whether it is already defined or a pending constant. */
  constInputShape(n: PbNode, i: number): number[] {
    const name = n.input[i];
    if (!name) throw this.err(n, `input ${i} is missing`);
    const t = this.b.tensors.get(name);
    if (t) return [...t.shape];
    const f = this.fills.get(name) ?? this.consts.get(name);
    if (f) return [...f.shape];
    throw this.err(n, `input '${name}' is not defined`);
  }

  defineConst(name: string, v: OnnxTensorValue): void {
    this.consts.set(name, v);
  }

  defineFill(n: PbNode, name: string, f: PendingFill): void {
    if (numel(f.shape) > maxElements()) throw this.err(n, `shape [${f.shape.join(',')}] has more than ${maxElements()} elements, the limit; ${limitHint('tensorElements')}`);
    this.fills.set(name, f);
  }

  private convert(n: PbNode): void {
    if (n.domain && n.domain !== 'ai.onnx') throw this.err(n, `operator domain '${n.domain}' is not supported (only the default ONNX domain)`);
    const at = new Attrs(n, this);
    // Own keys only: an op_type such as 'constructor' must not find Object's members.
    const h = Object.hasOwn(HANDLERS, n.op_type) ? HANDLERS[n.op_type] : undefined;
    if (!h) throw this.err(n, `operator '${n.op_type}' is not supported; supported operators: ${ONNX_SUPPORTED_OPS.join(', ')}`);
    h(this, n, at);
  }

  base(n: PbNode, op: XNode['op'], attrs: unknown, inputs: string[], outputs: string[]): XNode {
    return { name: this.b.freshNode(n.name || n.output[0] || n.op_type), op, attrs, inputs, outputs, origin: this.origin(n) } as XNode;
  }

  /** A reshape node from `src` to a new tensor of `shape`; returns the new tensor's name. */
  reshapeTo(n: PbNode, src: string, shape: number[], suffix: string): string {
    const t = this.b.tensors.get(src)!;
    if (t.kind === 'const' && t.data) {
      const name = this.b.fresh(`${src}${suffix}`);
      this.b.addConst(name, shape, t.data, t.dtype);
      return name;
    }
    const out = this.b.fresh(`${src}${suffix}`);
    this.emit({ ...this.base(n, 'reshape', { shape }, [src], [out]), name: this.b.freshNode(`${n.name || n.output[0]}${suffix}`) } as XNode);
    return out;
  }

  /** Emit a node that works on 2-D spatial data for a node with 1-D spatial data: view [N,C,L] as
   * [N,C,1,L], run, and view the result back. `make` gets the 4-D input names and an output name. */
  emitLifted(n: PbNode, dataInputs: string[], weightIdx: number | undefined, make: (ins: string[], out: string) => XNode): void {
    const x = dataInputs[0]!;
    const xs = this.shapeOf(x);
    if (xs.length === 4) {
      this.emit(make(dataInputs, n.output[0]!));
      return;
    }
    const lifted = dataInputs.map((name, i) => {
      if (i !== 0 && i !== weightIdx) return name;
      const s = this.shapeOf(name);
      return this.reshapeTo(n, name, [s[0]!, s[1]!, 1, s[2]!], '/as2d');
    });
    const tmp = this.b.fresh(`${n.output[0]}/2d`);
    const node = make(lifted, tmp);
    this.emit(node);
    const os = this.shapeOf(tmp);
    const back: XNode = { ...this.base(n, 'reshape', { shape: [os[0]!, os[1]!, os[3]!] }, [tmp], [n.output[0]!]), name: this.b.freshNode(`${n.name || n.output[0]}/as1d`) } as XNode;
    this.emit(back);
  }
}

type Handler = (c: OnnxContext, n: PbNode, at: Attrs) => void;

function onesOf(k: number): number[] {
  return new Array<number>(k).fill(1);
}

/** Resolve ONNX padding (pads attribute or auto_pad) to [begins..., ends...] per spatial axis. */
function resolvePads(c: OnnxContext, n: PbNode, at: Attrs, spatial: Shape, kernel: number[], strides: number[], dil: number[]): number[] {
  const r = spatial.length;
  const auto = at.str('auto_pad', 'NOTSET');
  if (auto === 'NOTSET') {
    const p = at.ints('pads') ?? new Array<number>(2 * r).fill(0);
    if (p.length !== 2 * r) throw c.err(n, `pads has ${p.length} values, needs ${2 * r}`);
    if (p.some((v) => v < 0)) throw c.err(n, `negative pads [${p.join(',')}] are not supported`);
    return p;
  }
  if (auto === 'VALID') return new Array<number>(2 * r).fill(0);
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') throw c.err(n, `auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const begins: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(spatial[i]! / strides[i]!);
    const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dil[i]! + 1 - spatial[i]!);
    const small = Math.floor(total / 2);
    begins.push(auto === 'SAME_UPPER' ? small : total - small);
    ends.push(auto === 'SAME_UPPER' ? total - small : small);
  }
  return [...begins, ...ends];
}

function checkSpatialRank(c: OnnxContext, n: PbNode, xs: Shape): number {
  const r = xs.length - 2;
  if (r !== 1 && r !== 2) throw c.err(n, `${r}-D spatial data ${shapeText(xs)} is not supported (1-D and 2-D only)`);
  return r;
}

/** Make 1-D attribute lists 2-D ([k] -> [1, k]; pads [b, e] -> [0, b, 0, e]). */
function as2d(v: number[], one: number): [number, number] {
  return v.length === 1 ? [one, v[0]!] : [v[0]!, v[1]!];
}
function pads2d(p: number[]): Pads4 {
  return p.length === 2 ? [0, p[0]!, 0, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
}

/** Optional outputs past `keep` are fine when nothing reads them; otherwise they are not supported. */
function noExtraOutputs(c: OnnxContext, n: PbNode, keep: number, what: string): void {
  if (n.output.slice(keep).some((o) => o !== '' && c.isUsed(o))) throw c.err(n, `the ${what} output is used, and it is not supported`);
}

const conv: Handler = (c, n, at) => {
  const x = c.use(n.input[0]!, 'other', undefined, n);
  const ws0 = c.constInputShape(n, 1);
  const wFan = numel(ws0.slice(1));
  const w = c.use(n.input[1]!, 'weight', wFan, n);
  const xs = c.shapeOf(x);
  const ws = c.shapeOf(w);
  const r = checkSpatialRank(c, n, xs);
  if (ws.length !== r + 2) throw c.err(n, `weights ${shapeText(ws)} do not match ${r}-D data ${shapeText(xs)}`);
  const kernel = at.ints('kernel_shape') ?? ws.slice(2);
  const strides = at.ints('strides') ?? onesOf(r);
  const dil = at.ints('dilations') ?? onesOf(r);
  if (kernel.length !== r || strides.length !== r || dil.length !== r) throw c.err(n, 'kernel_shape, strides and dilations must have one value per spatial axis');
  const pads = resolvePads(c, n, at, xs.slice(2), kernel, strides, dil);
  const ins = [x, w];
  if (n.input[2]) ins.push(c.use(n.input[2], 'bias', undefined, n));
  const attrs = { kernel: as2d(kernel, 1), stride: as2d(strides, 1), dilation: as2d(dil, 1), pads: pads2d(pads), group: at.int('group', 1) };
  c.emitLifted(n, ins, 1, (i, out) => c.base(n, 'conv', attrs, i, [out]));
};

const convTranspose: Handler = (c, n, at) => {
  const x = c.use(n.input[0]!, 'other', undefined, n);
  const ws0 = c.constInputShape(n, 1);
  const w = c.use(n.input[1]!, 'weight', numel(ws0.slice(1)), n);
  const xs = c.shapeOf(x);
  const ws = c.shapeOf(w);
  const r = checkSpatialRank(c, n, xs);
  const kernel = at.ints('kernel_shape') ?? ws.slice(2);
  const strides = at.ints('strides') ?? onesOf(r);
  const dil = at.ints('dilations') ?? onesOf(r);
  const group = at.int('group', 1);
  const outPad = at.ints('output_padding') ?? new Array<number>(r).fill(0);
  const outputShape = at.ints('output_shape');
  const auto = at.str('auto_pad', 'NOTSET');
  let begins: number[];
  let ends: number[];
  if (outputShape || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const target = outputShape ? outputShape.slice(-r) : xs.slice(2).map((d, i) => d * strides[i]!);
    begins = [];
    ends = [];
    for (let i = 0; i < r; i++) {
      const total = strides[i]! * (xs[2 + i]! - 1) + outPad[i]! + (kernel[i]! - 1) * dil[i]! + 1 - target[i]!;
      const half = Math.floor(total / 2);
      const b = auto === 'SAME_UPPER' ? half : total - half;
      let e = total - b;
      if (b < 0) throw c.err(n, `output_shape ${target.join('x')} needs negative leading padding`);
      if (e < 0) {
        // A negative end padding grows the output at the end: that is output padding.
        outPad[i] = outPad[i]! - e;
        e = 0;
      }
      begins.push(b);
      ends.push(e);
    }
  } else {
    const p = auto === 'VALID' ? new Array<number>(2 * r).fill(0) : (at.ints('pads') ?? new Array<number>(2 * r).fill(0));
    begins = p.slice(0, r);
    ends = p.slice(r);
  }
  const ins = [x, w];
  if (n.input[2]) ins.push(c.use(n.input[2], 'bias', undefined, n));
  const attrs = {
    kernel: as2d(kernel, 1),
    stride: as2d(strides, 1),
    dilation: as2d(dil, 1),
    pads: pads2d([...begins, ...ends]),
    outputPadding: as2d(outPad, 0),
    group,
  };
  c.emitLifted(n, ins, 1, (i, out) => c.base(n, 'convTranspose', attrs, i, [out]));
};

const pool =
  (kind: 'max' | 'avg'): Handler =>
  (c, n, at) => {
    noExtraOutputs(c, n, 1, 'Indices');
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const xs = c.shapeOf(x);
    const r = checkSpatialRank(c, n, xs);
    const kernel = at.ints('kernel_shape');
    if (!kernel || kernel.length !== r) throw c.err(n, `kernel_shape must have ${r} values`);
    const strides = at.ints('strides') ?? onesOf(r);
    const dil = (kind === 'max' ? at.ints('dilations') : undefined) ?? onesOf(r);
    if (kind === 'avg' && at.ints('dilations')?.some((d) => d !== 1)) throw c.err(n, 'dilated average pooling is not supported');
    const pads = resolvePads(c, n, at, xs.slice(2), kernel, strides, dil);
    const attrs = {
      kind,
      kernel: as2d(kernel, 1),
      stride: as2d(strides, 1),
      dilation: as2d(dil, 1),
      pads: pads2d(pads),
      ceil: at.int('ceil_mode', 0) === 1,
      countIncludePad: at.int('count_include_pad', 0) === 1,
    };
    c.emitLifted(n, [x], undefined, (i, out) => c.base(n, 'pool', attrs, i, [out]));
  };

const globalPool =
  (kind: 'max' | 'avg'): Handler =>
  (c, n) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const xs = c.shapeOf(x);
    if (xs.length === 4) {
      const attrs = { kind, kernel: [xs[2]!, xs[3]!], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], ceil: false, countIncludePad: false };
      c.emit(c.base(n, 'pool', attrs, [x], [n.output[0]!]));
    } else c.emit(c.base(n, 'globalPool', { kind }, [x], [n.output[0]!]));
  };

const unary =
  (op: 'relu' | 'sigmoid' | 'identity'): Handler =>
  (c, n) =>
    c.emit(c.base(n, op, {}, [c.use(n.input[0]!, 'other', undefined, n)], [n.output[0]!]));

const FLT_MAX = 3.4028234663852886e38;

const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Identity: unary('identity'),
  LeakyRelu: (c, n, at) => c.emit(c.base(n, 'leakyRelu', { alpha: at.float('alpha', 0.01) }, [c.use(n.input[0]!, 'other', undefined, n)], [n.output[0]!])),
  Clip: (c, n, at) => {
    let min: number;
    let max: number;
    if (c.opset < 11) {
      min = at.float('min', -FLT_MAX);
      max = at.float('max', FLT_MAX);
    } else {
      const lo = c.constInput(n, 1, 'min');
      const hi = c.constInput(n, 2, 'max');
      min = lo ? lo.data[0]! : -Infinity;
      max = hi ? hi.data[0]! : Infinity;
    }
    c.emit(c.base(n, 'clip', { min, max }, [c.use(n.input[0]!, 'other', undefined, n)], [n.output[0]!]));
  },
  PRelu: (c, n) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    let slope = c.use(n.input[1]!, 'slope', undefined, n);
    const xs = c.shapeOf(x);
    const ss = c.shapeOf(slope);
    // Before opset 7 a 1-D slope of C values applies per channel (axis 1), not numpy-style.
    if (c.opset < 7 && ss.length === 1 && xs.length > 2 && ss[0] === xs[1] && ss[0] !== 1)
      slope = c.reshapeTo(n, slope, [ss[0]!, ...xs.slice(2).map(() => 1)], '/per-channel');
    c.emit(c.base(n, 'prelu', {}, [x, slope], [n.output[0]!]));
  },
  Add: (c, n, at) => c.emit(c.base(n, 'add', {}, legacyBroadcast(c, n, at, n.input.map((i) => c.use(i, 'bias', undefined, n))), [n.output[0]!])),
  Sum: (c, n) => {
    const ins = n.input.map((i) => c.use(i, 'bias', undefined, n));
    c.emit(ins.length === 1 ? c.base(n, 'identity', {}, ins, [n.output[0]!]) : c.base(n, 'add', {}, ins, [n.output[0]!]));
  },
  Mul: (c, n, at) => c.emit(c.base(n, 'mul', {}, legacyBroadcast(c, n, at, n.input.map((i) => c.use(i, 'scale', undefined, n))), [n.output[0]!])),
  Concat: (c, n, at) => {
    const ins = n.input.map((i) => c.use(i, 'other', undefined, n));
    const rank = c.shapeOf(ins[0]!).length;
    if (!at.has('axis')) throw c.err(n, "attribute 'axis' is required");
    let axis = at.int('axis', 0);
    if (axis < 0) axis += rank;
    c.emit(c.base(n, 'concat', { axis }, ins, [n.output[0]!]));
  },
  BatchNormalization: (c, n, at) => {
    if (c.opset < 9 && at.int('spatial', 1) !== 1) throw c.err(n, 'non-spatial batch normalization (spatial = 0) is not supported');
    if (at.int('training_mode', 0) !== 0) throw c.err(n, 'training mode is not supported (inference only)');
    noExtraOutputs(c, n, 1, 'training statistics');
    const roles: WeightRole[] = ['other', 'bnScale', 'bnBias', 'bnMean', 'bnVar'];
    const ins = n.input.map((i, k) => c.use(i, roles[k] ?? 'other', undefined, n));
    c.emit(c.base(n, 'batchNorm', { epsilon: at.float('epsilon', 1e-5) }, ins, [n.output[0]!]));
  },
  Gemm: (c, n, at) => {
    const transB = at.int('transB', 0) === 1;
    const bs = c.constInputShape(n, 1);
    const ins = [c.use(n.input[0]!, 'other', undefined, n), c.use(n.input[1]!, 'weight', transB ? bs[1] : bs[0], n)];
    if (n.input[2]) ins.push(c.use(n.input[2], 'bias', undefined, n));
    c.emit(c.base(n, 'gemm', { alpha: at.float('alpha', 1), beta: at.float('beta', 1), transA: at.int('transA', 0) === 1, transB }, ins, [n.output[0]!]));
  },
  MatMul: (c, n) => {
    const bs = c.constInputShape(n, 1);
    c.emit(c.base(n, 'matmul', {}, [c.use(n.input[0]!, 'other', undefined, n), c.use(n.input[1]!, 'weight', bs[bs.length - 2] ?? bs[0], n)], [n.output[0]!]));
  },
  Flatten: (c, n, at) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    let axis = at.int('axis', 1);
    if (axis < 0) axis += c.shapeOf(x).length;
    c.emit(c.base(n, 'flatten', { axis }, [x], [n.output[0]!]));
  },
  Reshape: (c, n, at) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const xs = c.shapeOf(x);
    let target: number[] | undefined;
    if (c.opset < 5) target = at.ints('shape');
    else target = c.intsInput(n, 1, 'shape');
    if (!target) throw c.err(n, 'has no target shape');
    const allowZero = at.int('allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? xs[i]! : d));
    if (shape.filter((d) => d === -1).length > 1) throw c.err(n, `target shape [${target.join(',')}] has more than one -1`);
    const k = shape.indexOf(-1);
    if (k >= 0) {
      const rest = numel(shape.filter((d) => d !== -1));
      if (rest === 0 || numel(xs) % rest !== 0) throw c.err(n, `cannot reshape ${shapeText(xs)} to [${target.join(',')}]`);
      shape[k] = numel(xs) / rest;
    }
    if (shape.some((d) => d < 0 || d === undefined)) throw c.err(n, `invalid target shape [${target.join(',')}]`);
    c.emit(c.base(n, 'reshape', { shape }, [x], [n.output[0]!]));
  },
  Transpose: (c, n, at) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const r = c.shapeOf(x).length;
    const perm = at.ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
    c.emit(c.base(n, 'transpose', { perm }, [x], [n.output[0]!]));
  },
  Pad: (c, n, at) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const r = c.shapeOf(x).length;
    const mode = at.str('mode', 'constant');
    if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') throw c.err(n, `pad mode '${mode}' is not supported (constant, reflect, edge)`);
    let pads: number[];
    let value = 0;
    if (c.opset < 11) {
      pads = at.ints('pads') ?? [];
      value = at.float('value', 0);
    } else {
      pads = c.intsInput(n, 1, 'pads') ?? [];
      const v = c.constInput(n, 2, 'constant_value');
      if (v) value = v.data[0] ?? 0;
      const axes = c.intsInput(n, 3, 'axes');
      if (axes) {
        const full = new Array<number>(2 * r).fill(0);
        axes.forEach((a0, k) => {
          const a = a0 < 0 ? a0 + r : a0;
          full[a] = pads[k]!;
          full[a + r] = pads[k + axes.length]!;
        });
        pads = full;
      }
    }
    c.emit(c.base(n, 'pad', { pads, mode, value }, [x], [n.output[0]!]));
  },
  Resize: (c, n, at) => resizeHandler(c, n, at, false),
  Upsample: (c, n, at) => resizeHandler(c, n, at, true),
  Softmax: (c, n, at) => {
    const x = c.use(n.input[0]!, 'other', undefined, n);
    const r = c.shapeOf(x).length;
    let axis = at.int('axis', c.opset < 13 ? 1 : -1);
    if (axis < 0) axis += r;
    c.emit(c.base(n, 'softmax', { axis, coerce2d: c.opset < 13 }, [x], [n.output[0]!]));
  },
  Dropout: (c, n, at) => {
    noExtraOutputs(c, n, 1, 'mask');
    if (c.opset < 7 && at.int('is_test', 1) === 0) throw c.err(n, 'training-mode dropout is not supported');
    const tm = c.constInput(n, 2, 'training_mode');
    if (tm && tm.data[0]) throw c.err(n, 'training-mode dropout is not supported (inference only)');
    c.emit(c.base(n, 'dropout', {}, [c.use(n.input[0]!, 'other', undefined, n)], [n.output[0]!]));
  },
  Constant: (c, n, at) => {
    let v: OnnxTensorValue | undefined = at.tensor('value');
    if (!v && at.has('value_float')) v = { shape: [], dtype: 'float32', data: Float32Array.of(at.float('value_float', 0)) };
    if (!v && at.has('value_floats')) {
      const f = at.floats('value_floats')!;
      v = { shape: [f.length], dtype: 'float32', data: Float32Array.from(f) };
    }
    if (!v && at.has('value_int')) v = { shape: [], dtype: 'int64', data: Float64Array.of(at.int('value_int', 0)) };
    if (!v && at.has('value_ints')) {
      const f = at.ints('value_ints')!;
      v = { shape: [f.length], dtype: 'int64', data: Float64Array.from(f) };
    }
    if (!v) throw c.err(n, 'has no supported value attribute (value, value_float(s), value_int(s))');
    c.defineConst(n.output[0]!, v);
  },
  ConstantOfShape: (c, n, at) => {
    const shape = c.intsInput(n, 0, 'shape') ?? [];
    if (shape.some((d) => d < 0)) throw c.err(n, `negative dims [${shape.join(',')}]`);
    const v = at.tensor('value');
    c.defineFill(n, n.output[0]!, { shape, value: v ? v.data[0] ?? 0 : 0, dtype: v ? v.dtype : 'float32' });
  },
  LRN: (c, n, at) => {
    if (!at.has('size')) throw c.err(n, "attribute 'size' is required");
    const attrs = { size: at.int('size', 1), alpha: at.float('alpha', 1e-4), beta: at.float('beta', 0.75), bias: at.float('bias', 1) };
    c.emit(c.base(n, 'lrn', attrs, [c.use(n.input[0]!, 'other', undefined, n)], [n.output[0]!]));
  },
};

/** Opset < 7 Add/Mul with broadcast = 1: B aligns with A at `axis` (default: trailing), not numpy-style.
 * Rewritten as a reshape of B with trailing 1s, after which numpy broadcasting means the same. */
function legacyBroadcast(c: OnnxContext, n: PbNode, at: Attrs, ins: string[]): string[] {
  if (c.opset >= 7 || at.int('broadcast', 0) !== 1 || ins.length !== 2) return ins;
  const as = c.shapeOf(ins[0]!);
  const bs = c.shapeOf(ins[1]!);
  const axis = at.has('axis') ? at.int('axis', 0) : as.length - bs.length;
  const trailing = as.length - axis - bs.length;
  if (axis < 0 || trailing < 0) throw c.err(n, `cannot broadcast ${shapeText(bs)} into ${shapeText(as)} at axis ${axis}`);
  if (trailing === 0) return ins;
  return [ins[0]!, c.reshapeTo(n, ins[1]!, [...bs, ...new Array<number>(trailing).fill(1)], '/aligned')];
}

function resizeHandler(c: OnnxContext, n: PbNode, at: Attrs, upsample: boolean): void {
  const x = c.use(n.input[0]!, 'other', undefined, n);
  const xs = c.shapeOf(x);
  const r = xs.length;
  let mode = at.str('mode', 'nearest');
  if (mode === 'bilinear') mode = 'linear';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') throw c.err(n, `mode '${mode}' is not supported (nearest, linear, cubic)`);
  if (upsample && mode === 'cubic') throw c.err(n, "Upsample has no 'cubic' mode");
  const legacy = upsample || c.opset < 11;
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: [number, number][] | undefined;
  if (upsample && c.opset < 9) scales = at.floats('scales');
  else if (legacy) scales = Array.from(c.constInput(n, 1, 'scales')?.data ?? []);
  else {
    const s = c.constInput(n, 2, 'scales');
    if (s && s.data.length > 0) scales = Array.from(s.data);
    sizes = c.intsInput(n, 3, 'sizes');
    const roiV = c.constInput(n, 1, 'roi');
    if (roiV && roiV.data.length > 0) {
      const half = roiV.data.length / 2;
      roi = Array.from({ length: half }, (_, i) => [roiV.data[i]!, roiV.data[i + half]!] as [number, number]);
    }
  }
  if (at.int('antialias', 0) !== 0) throw c.err(n, 'antialiased resizing is not supported');
  const axes = (at.ints('axes') ?? []).map((a) => (a < 0 ? a + r : a));
  const expand = (v: number[] | undefined, fill: (i: number) => number): number[] | undefined => {
    if (!v || axes.length === 0) return v;
    const full = Array.from({ length: r }, (_, i) => fill(i));
    axes.forEach((a, k) => (full[a] = v[k]!));
    return full;
  };
  scales = expand(scales, () => 1);
  sizes = expand(sizes, (i) => xs[i]!);
  if (roi && axes.length) {
    const full: [number, number][] = Array.from({ length: r }, () => [0, 1]);
    axes.forEach((a, k) => (full[a] = roi![k]!));
    roi = full;
  }
  if (!scales && !sizes) throw c.err(n, 'needs scales or sizes');
  if (scales && sizes) throw c.err(n, 'must not have both scales and sizes');
  let outSizes: number[];
  let usedScales: number[];
  if (sizes) {
    if (sizes.length !== r) throw c.err(n, `sizes has ${sizes.length} values for rank ${r}`);
    const policy = at.str('keep_aspect_ratio_policy', 'stretch');
    if (policy === 'stretch') {
      outSizes = sizes;
      usedScales = sizes.map((s, i) => s / xs[i]!);
    } else {
      if (policy !== 'not_larger' && policy !== 'not_smaller') throw c.err(n, `keep_aspect_ratio_policy '${policy}' is not supported`);
      const ax = axes.length ? axes : xs.map((_, i) => i);
      const ratios = ax.map((a) => sizes![a]! / xs[a]!);
      const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
      usedScales = xs.map((_, i) => (ax.includes(i) ? s : 1));
      outSizes = xs.map((d, i) => (ax.includes(i) ? Math.round(d * s) : d));
    }
  } else {
    if (scales!.length !== r) throw c.err(n, `scales has ${scales!.length} values for rank ${r}`);
    if (scales!.some((s) => !(s > 0))) throw c.err(n, `scales [${scales!.join(',')}] must be positive`);
    usedScales = scales!;
    outSizes = xs.map((d, i) => Math.floor(d * scales![i]!));
  }
  const coordinateMode = legacy ? 'asymmetric' : at.str('coordinate_transformation_mode', 'half_pixel');
  const modes = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
  if (!modes.includes(coordinateMode)) throw c.err(n, `coordinate_transformation_mode '${coordinateMode}' is not supported`);
  const nearestMode = legacy ? 'simple' : at.str('nearest_mode', 'round_prefer_floor');
  if (!['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'].includes(nearestMode)) throw c.err(n, `nearest_mode '${nearestMode}' is not supported`);
  const attrs: ResizeAttrs = {
    mode,
    sizes: outSizes,
    scales: usedScales,
    coordinateMode: coordinateMode as ResizeAttrs['coordinateMode'],
    nearestMode: nearestMode as ResizeAttrs['nearestMode'],
    cubicA: at.float('cubic_coeff_a', -0.75),
    excludeOutside: at.int('exclude_outside', 0) === 1,
    extrapolationValue: at.float('extrapolation_value', 0),
    ...(roi && coordinateMode === 'tf_crop_and_resize' ? { roi } : {}),
  };
  c.emit(c.base(n, 'resize', attrs, [x], [n.output[0]!]));
}

