// INT8 quantization with power-of-two fix positions, calibrated over a set of inputs.
//
// 1. Calibrate: run the float executor on every calibration input and take each tensor's largest
//    magnitude; its fix position is the largest fp with max * 2^fp <= 127 (no saturation on the
//    calibration set). Weights and biases are calibrated the same way on their values.
// 2. Constrain, so that every DPU node maps to legal instruction fields (docs/quantization.md):
//    concatenated tensors share one fix position (concatenation is placement, without a copy); a
//    convolution's output fp is at most fpIn + fpW (shift_cut >= 0), exactly 4 under ReLU6; pools and
//    eltwise ops keep their shifts within the field ranges. Fix positions only ever decrease (a coarser
//    scale), so the iteration terminates.
// 3. Derive the integer parameters of every DPU node and quantize weights and biases with DPURound.

import { UserError } from '../util/errors';
import { nodeError } from '../xgraph/graph';
import type { NodeOf, XGraph, XNode } from '../xgraph/types';
import { constFloat } from '../xgraph/weights';
import { runFloat } from '../ref/float';
import { effectivePads, isDepthwise } from '../passes/partition';
import type { ConvQuant, NodeQuant, QuantizedGraph, TensorQuant } from './types';

/** Fix positions are kept in this range; a tensor whose constraints push it lower is an error. */
export const MIN_FIX = -32;
export const MAX_FIX = 32;

/** The largest fp with maxAbs * 2^fp <= 127; 7 for an all-zero tensor (a value of 1 maps to 127). */
export function fixFromMax(maxAbs: number): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return 7;
  const fp = Math.floor(Math.log2(127 / maxAbs));
  // Guard against log2 rounding at exact powers of two.
  const ok = (f: number) => maxAbs * 2 ** f <= 127;
  const fixed = ok(fp + 1) ? fp + 1 : ok(fp) ? fp : fp - 1;
  return Math.max(MIN_FIX, Math.min(MAX_FIX, fixed));
}

function maxAbs(d: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const v = Math.abs(d[i]!);
    if (v > m) m = v;
  }
  return m;
}

/** Largest magnitude of every input and computed tensor over the calibration inputs. */
export function calibrate(g: XGraph, inputs: readonly ReadonlyMap<string, Float32Array>[]): Map<string, number> {
  if (inputs.length === 0) throw new UserError('calibration needs at least one input');
  const stats = new Map<string, number>();
  const note = (name: string, d: ArrayLike<number>) => stats.set(name, Math.max(stats.get(name) ?? 0, maxAbs(d)));
  for (const inp of inputs) {
    for (const name of g.inputs) note(name, inp.get(name)!);
    runFloat(g, inp, { onNode: (n, outs) => n.outputs.forEach((o, k) => note(o, outs[k]!.data)) });
  }
  return stats;
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

export function quantizeGraph(g: XGraph, calibrationInputs: readonly ReadonlyMap<string, Float32Array>[]): QuantizedGraph {
  const untagged = g.nodes.find((n) => !n.device);
  if (untagged) throw new Error(`quantizeGraph needs a partitioned graph (node ${untagged.name} has no device)`);
  return quantizeFromStats(g, calibrate(g, calibrationInputs), calibrationInputs.length);
}

/**
 * Quantization from calibration statistics (each tensor's largest magnitude over the calibration
 * inputs): what quantizeGraph does after calibrating. A program package stores the statistics, so the
 * same quantization is rebuilt without running the calibration again.
 */
export function quantizeFromStats(g: XGraph, stats: ReadonlyMap<string, number>, calibrationCount: number): QuantizedGraph {
  const untagged = g.nodes.find((n) => !n.device);
  if (untagged) throw new Error(`quantizeGraph needs a partitioned graph (node ${untagged.name} has no device)`);
  const dpu = g.nodes.filter((n) => n.device === 'dpu');

  // Tensors the DPU reads or writes are int8; the rest stay float.
  const intTensors = new Set<string>();
  for (const n of dpu) {
    for (const i of n.inputs) if (g.tensors.get(i)!.kind !== 'const') intTensors.add(i);
    for (const o of n.outputs) intTensors.add(o);
  }
  const fix = new Map<string, number>();
  for (const t of intTensors) fix.set(t, fixFromMax(stats.get(t) ?? 0));

  // Weight fix positions (per tensor: the DPU has one shift per layer).
  const weightFix = new Map<string, number>();
  for (const n of dpu) if (n.op === 'conv') weightFix.set(n.name, fixFromMax(maxAbs(constFloat(g.tensors.get(n.inputs[1]!)!))));

  // Concatenation groups share one fix position.
  const uf = new UnionFind();
  for (const n of dpu) if (n.op === 'concat') for (const i of n.inputs) uf.union(i, n.outputs[0]!);
  const groups = new Map<string, string[]>();
  for (const t of intTensors) {
    const r = uf.find(t);
    const l = groups.get(r);
    if (l) l.push(t);
    else groups.set(r, [t]);
  }
  const lower = (t: string, to: number): boolean => {
    const members = groups.get(uf.find(t)) ?? [t];
    if (to >= fix.get(t)!) return false;
    for (const m of members) fix.set(m, Math.min(fix.get(m)!, to));
    return true;
  };
  for (const members of groups.values()) {
    const m = Math.min(...members.map((t) => fix.get(t)!));
    for (const t of members) fix.set(t, m);
  }

  // Iterate the field constraints to a fixpoint (fix positions only decrease).
  for (let iter = 0; ; iter++) {
    if (iter > 10_000) throw new Error('quantization constraints did not converge');
    let changed = false;
    for (const n of dpu) {
      const fin = n.inputs.filter((i) => intTensors.has(i)).map((i) => fix.get(i)!);
      const out = n.outputs[0]!;
      const fout = fix.get(out)!;
      switch (n.op) {
        case 'conv': {
          const limit = fin[0]! + weightFix.get(n.name)!; // shift_cut >= 0
          changed = lower(out, Math.min(limit, n.attrs.act?.kind === 'relu6' ? 4 : Infinity)) || changed;
          break;
        }
        case 'pool':
          // POOLINIT shift_cut spans fixOut - fixIn in [-7, 7].
          changed = lower(out, fin[0]! + 7) || changed;
          if (fix.get(out)! < fin[0]! - 7) changed = lower(n.inputs[0]!, fix.get(out)! + 7) || changed;
          break;
        case 'add':
        case 'relu': {
          // shift_read_i = fp_i - fpMin in [0, 15]; shift_write exponent fpOut - fpMin in [-15, 15].
          const fmin = Math.min(...fin);
          for (const i of n.inputs) changed = lower(i, fmin + 15) || changed;
          changed = lower(out, fmin + 15) || changed;
          if (fout < fmin - 15) for (const i of n.inputs) changed = lower(i, fout + 15) || changed;
          break;
        }
        case 'mul': {
          // Product at fp0 + fp1; exponent fpOut - fp0 - fp1 + sr0 + sr1 in [-15, 15] with sr in [0, 15].
          const sum = fin[0]! + fin[1]!;
          changed = lower(out, sum + 15) || changed;
          if (fout < sum - 45) changed = lower(n.inputs[0]!, fin[0]! - (sum - 45 - fout)) || changed;
          break;
        }
        case 'concat':
          break;
        default:
          throw nodeError(n.origin, `internal: no DPU quantization rule for ${n.op}`);
      }
    }
    if (!changed) break;
  }
  for (const [t, f] of fix) if (f <= MIN_FIX) throw new UserError(`quantization: tensor '${t}' needs a fix position below ${MIN_FIX}; its range cannot be represented`);

  const nodes = new Map<string, NodeQuant>();
  for (const n of g.nodes) {
    if (n.device !== 'dpu') {
      nodes.set(n.name, { kind: 'host' });
      continue;
    }
    nodes.set(n.name, nodeParams(n, g, fix, weightFix));
  }
  const tensors = new Map<string, TensorQuant>();
  for (const [k, t] of g.tensors) {
    if (t.kind === 'const') continue;
    tensors.set(k, intTensors.has(k) ? { kind: 'int8', fix: fix.get(k)! } : { kind: 'float' });
  }
  return { graph: g, tensors, nodes, calibration: { method: 'max-abs', inputs: calibrationCount, stats } };
}

function nodeParams(n: XNode, g: XGraph, fix: ReadonlyMap<string, number>, weightFix: ReadonlyMap<string, number>): NodeQuant {
  const out = n.outputs[0]!;
  const fixOut = fix.get(out)!;
  switch (n.op) {
    case 'conv':
      return convParams(n, g, fix.get(n.inputs[0]!)!, weightFix.get(n.name)!, fixOut);
    case 'pool': {
      const fixIn = fix.get(n.inputs[0]!)!;
      const d = fixOut - fixIn;
      const a = n.attrs;
      const pads = effectivePads(g.tensors.get(n.inputs[0]!)!.shape, g.tensors.get(out)!.shape, a.kernel, a.stride, a.pads);
      return { kind: 'pool', type: a.kind, fixIn, fixOut, shiftCut: d >= 0 ? d : 8 - d, pads };
    }
    case 'add':
    case 'relu': {
      const fixIn = n.inputs.map((i) => fix.get(i)!);
      const fmin = Math.min(...fixIn);
      const k = fixOut - fmin;
      const relu = n.op === 'relu' || n.attrs.act?.kind === 'relu';
      return { kind: 'elew', type: 'add', fixIn, fixOut, shiftRead: fixIn.map((f) => f - fmin), shiftWrite: k >= 0 ? k : 16 - k, relu };
    }
    case 'mul': {
      const fixIn = n.inputs.map((i) => fix.get(i)!);
      let k = fixOut - fixIn[0]! - fixIn[1]!;
      const shiftRead = [0, 0];
      // Bring the exponent into [-15, 15] with the input shifts if the product is too fine.
      for (let i = 0; k < -15 && i < 2; i++) {
        const s = Math.min(15, -15 - k);
        shiftRead[i] = s;
        k += s;
      }
      return { kind: 'elew', type: 'mult', fixIn, fixOut, shiftRead, shiftWrite: k >= 0 ? k : 16 - k, relu: n.attrs.act?.kind === 'relu' };
    }
    case 'concat':
      return { kind: 'concat', fix: fixOut };
    default:
      throw nodeError(n.origin, `internal: no DPU parameters for ${n.op}`);
  }
}

/** DPURound(x * 2^fp) over an array (the same rule as `quantize`, with the scale computed once). */
export function quantizeArray(d: Float32Array, fp: number): Int8Array {
  const s = 2 ** fp;
  const out = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Math.floor(d[i]! * s + 0.5);
    out[i] = v > 127 ? 127 : v < -128 ? -128 : v;
  }
  return out;
}

function convParams(n: NodeOf<'conv'>, g: XGraph, fixIn: number, fixWeights: number, fixOut: number): ConvQuant {
  const wt = g.tensors.get(n.inputs[1]!)!;
  const w = constFloat(wt);
  const M = wt.shape[0]!;
  const b = n.inputs[2] ? constFloat(g.tensors.get(n.inputs[2])!) : new Float32Array(M);
  const acc = fixIn + fixWeights;
  // shift_bias = acc - fixBias + 1 must lie in [0, 20]: fixBias in [acc - 19, acc + 1].
  const fixBias = Math.min(acc + 1, Math.max(acc - 19, fixFromMax(maxAbs(b))));
  const act = n.attrs.act ? (n.attrs.act.kind === 'leaky' ? 'leaky_relu' : n.attrs.act.kind) : 'none';
  if (act === 'relu6' && fixOut !== 4)
    throw nodeError(n.origin, `ReLU6 needs output fix position 4 (the DPU clamps at 96 = 6 * 2^4), but the constraints give ${fixOut}`);
  const shiftCut = acc - fixOut;
  if (shiftCut < 0 || shiftCut > 63) throw nodeError(n.origin, `internal: shift_cut ${shiftCut} out of range`);
  return {
    kind: 'conv',
    depthwise: isDepthwise(n, g),
    fixIn,
    fixWeights,
    fixBias,
    fixOut,
    shiftBias: acc - fixBias + 1,
    shiftCut,
    act,
    weights: quantizeArray(w, fixWeights),
    bias: quantizeArray(b, fixBias),
  };
}
