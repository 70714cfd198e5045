// XGraph as JSON (for the webview and the language server) and as readable text.
//
// JSON: { format: "dnnvm-xgraph", version: 1, name, source, inputs, outputs, generatedWeights,
// tensors: [{ name, shape, dtype, kind, init?, data? }], nodes: [{ name, op, attrs, inputs, outputs,
// origin, device?, deviceReason?, merged? }] }. Constant values are included only on request, as
// base64 of the little-endian float32 (or float64 for int64) bytes.

import { UserError } from '../util/errors';
import { rebuild } from './graph';
import { shapeText } from './shapes';
import type { Activation, XGraph, XNode, XTensor } from './types';

export const XGRAPH_FORMAT = 'dnnvm-xgraph';
export const XGRAPH_VERSION = 1;

export interface XGraphJson {
  readonly format: typeof XGRAPH_FORMAT;
  readonly version: number;
  readonly name: string;
  readonly source: XGraph['source'];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly generatedWeights: boolean;
  readonly tensors: readonly (Omit<XTensor, 'data'> & { data?: string })[];
  readonly nodes: readonly XNode[];
}

function toBase64(d: Float32Array | Float64Array): string {
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
}

function fromBase64(s: string, dtype: XTensor['dtype']): Float32Array | Float64Array {
  const b = Buffer.from(s, 'base64');
  const copy = new Uint8Array(b);
  return dtype === 'float32' ? new Float32Array(copy.buffer, 0, copy.byteLength / 4) : new Float64Array(copy.buffer, 0, copy.byteLength / 8);
}

/** Infinity does not survive JSON.stringify; clip bounds use it. */
function encodeNumber(_k: string, v: unknown): unknown {
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function xgraphToJson(g: XGraph, opts: { withData?: boolean } = {}): XGraphJson {
  const tensors = [...g.tensors.values()].map((t) => {
    const { data, ...rest } = t;
    return { ...rest, shape: [...t.shape], ...(opts.withData && data ? { data: toBase64(data) } : {}) };
  });
  const nodes = JSON.parse(JSON.stringify(g.nodes, encodeNumber)) as XNode[];
  return { format: XGRAPH_FORMAT, version: XGRAPH_VERSION, name: g.name, source: g.source, inputs: g.inputs, outputs: g.outputs, generatedWeights: g.generatedWeights, tensors, nodes };
}

function decodeNumbers<T>(v: T): T {
  if (v === 'Infinity') return Infinity as T;
  if (v === '-Infinity') return -Infinity as T;
  if (Array.isArray(v)) return v.map(decodeNumbers) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeNumbers(x)])) as T;
  return v;
}

/** Read a graph back; shapes are re-inferred and checked. Constants without data or a generator are an error. */
export function xgraphFromJson(doc: unknown, file = '<json>'): XGraph {
  const d = doc as XGraphJson;
  if (!d || d.format !== XGRAPH_FORMAT) throw new UserError(`not an XGraph document (format should be "${XGRAPH_FORMAT}")`, { file });
  if (d.version !== XGRAPH_VERSION) throw new UserError(`XGraph version ${d.version} is not supported (expected ${XGRAPH_VERSION})`, { file });
  const tensors = new Map<string, XTensor>();
  for (const t of d.tensors) {
    const { data, ...rest } = t;
    if (rest.kind === 'const' && !data && !rest.init) throw new UserError(`constant '${t.name}' has no data (write the JSON with data to read it back)`, { file });
    tensors.set(t.name, { ...rest, ...(data ? { data: fromBase64(data, t.dtype) } : {}) });
  }
  const g: XGraph = { name: d.name, source: d.source, inputs: d.inputs, outputs: d.outputs, generatedWeights: d.generatedWeights, tensors, nodes: [] };
  return rebuild(g, decodeNumbers(d.nodes), tensors);
}

function actText(a: Activation | undefined): string {
  if (!a) return '';
  return a.kind === 'leaky' ? ` +leaky(${a.alpha})` : ` +${a.kind}`;
}

function attrText(n: XNode): string {
  switch (n.op) {
    case 'conv': {
      const a = n.attrs;
      return `k${a.kernel.join('x')} s${a.stride.join('x')} p${a.pads.join(',')}${a.dilation.some((x) => x !== 1) ? ` d${a.dilation.join('x')}` : ''}${a.group > 1 ? ` g${a.group}` : ''}${actText(a.act)}`;
    }
    case 'convTranspose': {
      const a = n.attrs;
      return `k${a.kernel.join('x')} s${a.stride.join('x')} p${a.pads.join(',')}${a.group > 1 ? ` g${a.group}` : ''}`;
    }
    case 'pool': {
      const a = n.attrs;
      return `${a.kind} k${a.kernel.join('x')} s${a.stride.join('x')} p${a.pads.join(',')}${a.ceil ? ' ceil' : ''}${a.kind === 'avg' && a.countIncludePad ? ' incl-pad' : ''}`;
    }
    case 'add':
      return `${n.attrs.coeffs ? `coeffs ${n.attrs.coeffs.join(',')}` : ''}${actText(n.attrs.act)}`.trim();
    case 'mul':
      return actText(n.attrs.act).trim();
    case 'clip':
      return `[${n.attrs.min}, ${n.attrs.max}]`;
    case 'leakyRelu':
      return `alpha ${n.attrs.alpha}`;
    case 'reshape':
      return shapeText(n.attrs.shape);
    case 'resize':
      return `${n.attrs.mode} ${n.attrs.coordinateMode}`;
    case 'relu':
    case 'sigmoid':
    case 'identity':
    case 'dropout':
    case 'prelu':
    case 'matmul':
      return '';
    default:
      return Object.entries(n.attrs)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(' ');
  }
}

/** One line per node: `%out = op(%in, $weight) attrs : shape  [device]  ; file:line name (type)`. */
export function xgraphText(g: XGraph): string {
  const lines: string[] = [`xgraph "${g.name}"  (${g.source.detail})`];
  const ref = (name: string) => {
    const t = g.tensors.get(name)!;
    return t.kind === 'const' ? `$${name}${shapeText(t.shape)}` : `%${name}`;
  };
  for (const i of g.inputs) lines.push(`input %${i} : f32${shapeText(g.tensors.get(i)!.shape)}`);
  for (const n of g.nodes) {
    const outs = n.outputs.map((o) => `%${o}`).join(', ');
    const shapes = n.outputs.map((o) => shapeText(g.tensors.get(o)!.shape)).join(', ');
    const attrs = attrText(n);
    const where = `${n.origin.file.split(/[\\/]/).pop()}${n.origin.line ? `:${n.origin.line}` : ''} ${n.origin.name} (${n.origin.sourceType})`;
    const merged = n.merged?.length ? ` + ${n.merged.map((m) => m.name).join(', ')}` : '';
    lines.push(`${outs} = ${n.op}(${n.inputs.map(ref).join(', ')})${attrs ? ` ${attrs}` : ''} : ${shapes}${n.device ? `  [${n.device}]` : ''}  ; ${where}${merged}`);
  }
  lines.push(`output ${g.outputs.map((o) => `%${o}`).join(', ')}`);
  return lines.join('\n') + '\n';
}
