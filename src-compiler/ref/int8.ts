// The integer reference executor: what the accelerator computes, bit for bit. DPU nodes run the INT8
// arithmetic of isa-fields.md N2-N6 on int8 tensors; host nodes dequantize their int8 inputs, compute
// in float (ref/float.ts) and requantize an int8 output with DPURound (float outputs stay float). This
// is the golden the functional simulator must match exactly on every DPU-produced tensor.

import { numel, type Shape } from '../xgraph/shapes';
import type { NodeOf, XGraph, XNode } from '../xgraph/types';
import { checkInputs, constValue, evalNode, type Value } from './float';
import { convAccumulate } from './kernels';
import { convOutput, dpuAvgFactor, quantize } from './dpu-math';
import { elewIn, elewOut, poolOut } from '../isa/numerics';
import type { ConvQuant, ElewQuant, PoolQuant, QuantizedGraph } from '../quant/types';

export interface IntValue {
  readonly shape: Shape;
  /** Present for int8 tensors, with their fix position. */
  readonly int8?: Int8Array;
  readonly fix?: number;
  /** Float data: the value of a float tensor, or the dequantized int8 values (computed on first use
   * by `floatOf`; always present on the outputs `runInt8` returns). */
  float?: Float32Array;
}

/** A value as runInt8 returns it: the float data is filled in. */
export type IntResult = IntValue & { float: Float32Array };

/** The float value of a tensor: dequantized int8 (q * 2^-fix) or the float data itself. */
export function floatOf(v: IntValue): Float32Array {
  if (!v.float) v.float = dequantize(v.int8!, v.fix!);
  return v.float;
}

function dequantize(q: Int8Array, fix: number): Float32Array {
  const s = 2 ** -fix;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i]! * s;
  return out;
}

function intValue(shape: Shape, int8: Int8Array, fix: number): IntValue {
  return { shape, int8, fix };
}

/** int8 weights as float32 (exact), converted once per quantized node. */
const floatWeights = new WeakMap<ConvQuant, Float32Array>();

export function dpuConv(x: Int8Array, xs: Shape, n: NodeOf<'conv'>, q: ConvQuant, ws: Shape, os: Shape): Int8Array {
  let w = floatWeights.get(q);
  if (!w) {
    w = Float32Array.from(q.weights);
    floatWeights.set(q, w);
  }
  const acc = convAccumulate(Float32Array.from(x), xs, w, ws, n.attrs, os);
  const M = os[1]!;
  const P = os[2]! * os[3]!;
  const out = new Int8Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = convOutput(acc[i]!, q.bias[Math.floor(i / P) % M]!, q.shiftBias, q.shiftCut, q.act);
  return out;
}

export function dpuPool(x: Int8Array, xs: Shape, n: NodeOf<'pool'>, q: PoolQuant, os: Shape): Int8Array {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , Ho, Wo] = os as [number, number, number, number];
  const [kh, kw] = n.attrs.kernel;
  const [sh, sw] = n.attrs.stride;
  const [pt, pl] = q.pads;
  const isMax = q.type === 'max';
  const f = isMax ? { num: 1, den: 1 } : dpuAvgFactor(kw, kh)!;
  const padValue = isMax ? -128 : 0;
  const out = new Int8Array(N * C * Ho * Wo);
  for (let nc = 0; nc < N * C; nc++) {
    const xb = nc * H * W;
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++) {
        let acc = isMax ? -128 : 0;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - pt + i;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pl + j;
            const v = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[xb + iy * W + ix]! : padValue;
            if (isMax) {
              if (v > acc) acc = v;
            } else acc += v;
          }
        }
        out[(nc * Ho + oy) * Wo + ox] = poolOut(acc, f.num, f.den, q.shiftCut);
      }
  }
  return out;
}

export function dpuElew(ins: readonly Int8Array[], q: ElewQuant): Int8Array {
  const n = ins[0]!.length;
  const out = new Int8Array(n);
  const mult = q.type === 'mult';
  for (let k = 0; k < n; k++) {
    let s: number;
    if (!mult) {
      s = 0;
      for (let i = 0; i < ins.length; i++) s += elewIn(ins[i]![k]!, q.shiftRead[i]!);
    } else s = elewIn(ins[0]![k]!, q.shiftRead[0]!) * elewIn(ins[1]![k]!, q.shiftRead[1]!);
    out[k] = elewOut(s, q.shiftWrite, mult, q.relu);
  }
  return out;
}

export interface IntRunOptions {
  readonly keepAll?: boolean;
}

/** Run the quantized graph on float inputs (quantized on entry where the DPU reads them). */
export function runInt8(qg: QuantizedGraph, inputs: ReadonlyMap<string, Float32Array>, opts: IntRunOptions = {}): Map<string, IntResult> {
  const g: XGraph = qg.graph;
  checkInputs(g, inputs);
  const values = new Map<string, IntValue>();
  for (const name of g.inputs) {
    const shape = g.tensors.get(name)!.shape;
    const tq = qg.tensors.get(name)!;
    const x = inputs.get(name)!;
    values.set(name, tq.kind === 'int8' ? intValue(shape, Int8Array.from(x, (v) => quantize(v, tq.fix)), tq.fix) : { shape, float: x });
  }
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => lastUse.set(t, i)));
  const outputs = new Set(g.outputs);
  g.nodes.forEach((n, idx) => {
    const nq = qg.nodes.get(n.name)!;
    const out = n.outputs[0]!;
    const os = g.tensors.get(out)!.shape;
    const oq = qg.tensors.get(out)!;
    const data = (i: number) => values.get(n.inputs[i]!)!;
    if (nq.kind === 'host') {
      runHostNode(qg, n, (name) => values.get(name)!).forEach((v, k) => values.set(n.outputs[k]!, v));
    } else {
      if (oq.kind !== 'int8') throw new Error(`int8 executor: DPU output ${out} is not int8`);
      let r: Int8Array;
      switch (nq.kind) {
        case 'conv':
          r = dpuConv(data(0).int8!, data(0).shape, n as NodeOf<'conv'>, nq, g.tensors.get(n.inputs[1]!)!.shape, os);
          break;
        case 'pool':
          r = dpuPool(data(0).int8!, data(0).shape, n as NodeOf<'pool'>, nq, os);
          break;
        case 'elew':
          r = dpuElew(n.inputs.map((_, i) => data(i).int8!), nq);
          break;
        case 'concat': {
          // Placement without a copy: each input's bytes land in their channel range.
          r = new Int8Array(numel(os));
          const ax = (n as NodeOf<'concat'>).attrs.axis;
          const inner = numel(os.slice(ax + 1));
          const outer = numel(os.slice(0, ax));
          let off = 0;
          for (let i = 0; i < n.inputs.length; i++) {
            const v = data(i);
            if (v.fix !== nq.fix) throw new Error(`int8 executor: concat input ${n.inputs[i]} has fix ${v.fix}, output ${nq.fix}`);
            const row = v.shape[ax]! * inner;
            for (let o = 0; o < outer; o++) r.set(v.int8!.subarray(o * row, (o + 1) * row), o * os[ax]! * inner + off);
            off += row;
          }
          break;
        }
      }
      values.set(out, intValue(os, r, oq.fix));
    }
    if (!opts.keepAll) for (const t of n.inputs) if (lastUse.get(t) === idx && !outputs.has(t) && values.has(t) && g.tensors.get(t)!.kind === 'value') values.delete(t);
  });
  const names = opts.keepAll ? [...values.keys()] : g.outputs;
  return new Map(
    names.map((o) => {
      const v = values.get(o) ?? { shape: g.tensors.get(o)!.shape, float: constFloatOf(g, o) };
      floatOf(v);
      return [o, v as IntResult];
    }),
  );
}

/**
 * A host node as the integer execution runs it: int8 inputs dequantized, the float operator, int8
 * outputs requantized with DPURound (float outputs stay float). The runtime runs host steps with this
 * same function, so that a compiled program and the integer reference agree bit for bit.
 */
export function runHostNode(qg: QuantizedGraph, n: XNode, get: (tensor: string) => IntValue): IntValue[] {
  const g = qg.graph;
  const ins: Value[] = n.inputs.map((name) => {
    const t = g.tensors.get(name)!;
    if (t.kind === 'const') return { data: constFloatOf(g, name), shape: t.shape };
    const v = get(name);
    return { data: floatOf(v), shape: v.shape };
  });
  const res = evalNode(n, ins, n.outputs.map((o) => g.tensors.get(o)!.shape));
  return n.outputs.map((o, k) => {
    const tq = qg.tensors.get(o)!;
    const s = g.tensors.get(o)!.shape;
    return tq.kind === 'int8' ? intValue(s, Int8Array.from(res[k]!, (v) => quantize(v, tq.fix)), tq.fix) : { shape: s, float: res[k]! };
  });
}

function constFloatOf(g: XGraph, name: string): Float32Array {
  return constValue(g, name);
}
