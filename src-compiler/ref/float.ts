// The float reference executor: what the model means, in float32 with float64 accumulation. It runs any
// XGraph (imported or canonicalized) and is the reference the integer executor is compared against.

import { UserError } from '../util/errors';
import { numel, sameShape, shapeText, type Shape } from '../xgraph/shapes';
import type { Activation, XGraph, XNode } from '../xgraph/types';
import { constData } from '../xgraph/weights';
import * as K from './kernels';

export interface Value {
  readonly data: Float32Array;
  readonly shape: Shape;
}

export function applyActivation(v: number, act: Activation | undefined): number {
  if (!act) return v;
  switch (act.kind) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'relu6':
      return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'leaky':
      return v >= 0 ? v : v * act.alpha;
  }
}

function activate(d: Float32Array, act: Activation | undefined): Float32Array {
  if (act) for (let i = 0; i < d.length; i++) d[i] = applyActivation(d[i]!, act);
  return d;
}

const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

/** Evaluate one node on float inputs; returns its outputs in order. */
export function evalNode(node: XNode, ins: readonly Value[], outShapes: readonly Shape[]): Float32Array[] {
  const x = ins[0]!;
  const os = outShapes[0]!;
  switch (node.op) {
    case 'conv':
      return [activate(K.conv2d(x.data, x.shape, ins[1]!.data, ins[1]!.shape, ins[2]?.data, node.attrs, os), node.attrs.act)];
    case 'convTranspose':
      return [K.convTranspose2d(x.data, x.shape, ins[1]!.data, ins[1]!.shape, ins[2]?.data, node.attrs, os)];
    case 'pool':
      return [K.pool2d(x.data, x.shape, node.attrs, os)];
    case 'globalPool':
      return [K.globalPool(x.data, x.shape, node.attrs.kind)];
    case 'relu':
      return [K.mapUnary(x.data, (v) => (v > 0 ? v : 0))];
    case 'leakyRelu': {
      const a = node.attrs.alpha;
      return [K.mapUnary(x.data, (v) => (v >= 0 ? v : v * a))];
    }
    case 'clip': {
      const { min, max } = node.attrs;
      return [K.mapUnary(x.data, (v) => (v < min ? min : v > max ? max : v))];
    }
    case 'prelu':
      return [K.broadcastBinary(x.data, x.shape, ins[1]!.data, ins[1]!.shape, (v, s) => (v >= 0 ? v : v * s)).data];
    case 'sigmoid':
      return [K.mapUnary(x.data, sigmoid)];
    case 'softmax':
      return [K.softmax(x.data, x.shape, node.attrs.axis, node.attrs.coerce2d)];
    case 'add': {
      const c = node.attrs.coeffs;
      let acc: Value = c ? { data: K.mapUnary(x.data, (v) => v * c[0]!), shape: x.shape } : x;
      for (let i = 1; i < ins.length; i++) {
        const k = c ? c[i]! : 1;
        acc = K.broadcastBinary(acc.data, acc.shape, ins[i]!.data, ins[i]!.shape, k === 1 ? (p, q) => p + q : (p, q) => p + k * q);
      }
      return [activate(acc === x ? new Float32Array(x.data) : acc.data, node.attrs.act)];
    }
    case 'mul': {
      let acc: Value = x;
      for (let i = 1; i < ins.length; i++) acc = K.broadcastBinary(acc.data, acc.shape, ins[i]!.data, ins[i]!.shape, (p, q) => p * q);
      return [activate(acc === x ? new Float32Array(x.data) : acc.data, node.attrs.act)];
    }
    case 'max': {
      let acc: Value = x;
      for (let i = 1; i < ins.length; i++) acc = K.broadcastBinary(acc.data, acc.shape, ins[i]!.data, ins[i]!.shape, (p, q) => (p > q ? p : q));
      return [acc === x ? new Float32Array(x.data) : acc.data];
    }
    case 'concat':
      return [K.concat(ins, node.attrs.axis, os)];
    case 'batchNorm':
      return [K.batchNorm(x.data, x.shape, ins[1]!.data, ins[2]!.data, ins[3]!.data, ins[4]!.data, node.attrs.epsilon)];
    case 'gemm': {
      const a = node.attrs;
      return [K.gemm(x.data, x.shape, ins[1]!.data, ins[1]!.shape, ins[2]?.data, ins[2]?.shape, a.alpha, a.beta, a.transA, a.transB)];
    }
    case 'matmul':
      return [K.matmul(x.data, x.shape, ins[1]!.data, ins[1]!.shape, os)];
    case 'flatten':
    case 'reshape':
    case 'identity':
    case 'dropout':
      return [new Float32Array(x.data)];
    case 'transpose':
      return [K.transpose(x.data, x.shape, node.attrs.perm)];
    case 'pad':
      return [K.pad(x.data, x.shape, node.attrs.pads, node.attrs.mode, node.attrs.value)];
    case 'resize':
      return [K.resize(x.data, x.shape, node.attrs)];
    case 'lrn':
      if (node.attrs.withinChannel) return [K.lrnWithinChannel(x.data, x.shape, node.attrs.size, node.attrs.alpha, node.attrs.beta)];
      return [K.lrn(x.data, x.shape, node.attrs.size, node.attrs.alpha, node.attrs.beta, node.attrs.bias)];
  }
}

/** The float32 values of a constant tensor (int64 constants are converted). */
export function constValue(g: XGraph, name: string): Float32Array {
  const t = g.tensors.get(name)!;
  const d = constData(t);
  return d instanceof Float32Array ? d : Float32Array.from(d);
}

export interface RunOptions {
  /** Keep every intermediate value (for calibration and debugging); otherwise only the outputs. */
  readonly keepAll?: boolean;
  /** Called after each node with its output values. */
  readonly onNode?: (node: XNode, outputs: readonly Value[]) => void;
}

/** Check run-time inputs against the graph's input tensors. */
export function checkInputs(g: XGraph, inputs: ReadonlyMap<string, Float32Array>): void {
  for (const name of g.inputs) {
    const t = g.tensors.get(name)!;
    const v = inputs.get(name);
    if (!v) throw new UserError(`missing value for graph input '${name}' ${shapeText(t.shape)}`);
    if (v.length !== numel(t.shape)) throw new UserError(`graph input '${name}' needs ${numel(t.shape)} values ${shapeText(t.shape)}, got ${v.length}`);
  }
}

/** Run the whole graph; returns the values of the outputs (or of every tensor with keepAll). */
export function runFloat(g: XGraph, inputs: ReadonlyMap<string, Float32Array>, opts: RunOptions = {}): Map<string, Value> {
  checkInputs(g, inputs);
  const values = new Map<string, Value>();
  for (const name of g.inputs) values.set(name, { data: inputs.get(name)!, shape: g.tensors.get(name)!.shape });
  // Free intermediate values after their last use unless everything is kept.
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(t, i)));
  const outputs = new Set(g.outputs);
  const get = (name: string): Value => {
    let v = values.get(name);
    if (!v) {
      const t = g.tensors.get(name)!;
      if (t.kind !== 'const') throw new Error(`float executor: ${name} has no value`);
      v = { data: constValue(g, name), shape: t.shape };
    }
    return v;
  };
  g.nodes.forEach((node, i) => {
    const ins = node.inputs.map(get);
    const outShapes = node.outputs.map((o) => g.tensors.get(o)!.shape);
    const res = evalNode(node, ins, outShapes);
    const outs = res.map((d, k) => ({ data: d, shape: outShapes[k]! }));
    node.outputs.forEach((o, k) => values.set(o, outs[k]!));
    opts.onNode?.(node, outs);
    if (!opts.keepAll)
      for (const t of node.inputs) if (lastUse.get(t) === i && !outputs.has(t) && g.tensors.get(t)!.kind === 'value') values.delete(t);
  });
  if (opts.keepAll) return values;
  const out = new Map<string, Value>();
  for (const o of g.outputs) out.set(o, get(o));
  return out;
}

/** Same element count and shape check used by tests and validation. */
export function sameValueShape(a: Value, b: Value): boolean {
  return sameShape(a.shape, b.shape);
}
