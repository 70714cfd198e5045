// Quantization of real values to int8, and the DPU's arithmetic as the integer reference uses it.
//
// The DPU arithmetic itself (rounding, CONV scaling and activations, POOL factors, ELEW scaling) lives
// in isa/numerics.ts, shared with the functional simulator; this file adapts it to the names the
// quantizer uses.

import { ACT_LEAKY, ACT_NONE, ACT_RELU, ACT_RELU6, avgFactor, convOut, sat8 } from '../isa/numerics';

/** DPURound of a real value given exactly (a float64 that is exactly the real value): saturate, round half up. */
export function dpuRound(x: number): number {
  return sat8(Math.floor(x + 0.5));
}

const ACT_CODE = { none: ACT_NONE, relu: ACT_RELU, leaky_relu: ACT_LEAKY, relu6: ACT_RELU6 } as const;

/** One CONV/DPTWISE output from the int8 x int8 accumulator and the int8 bias (isa/numerics convOut). */
export function convOutput(acc: number, bias: number, shiftBias: number, shiftCut: number, act: keyof typeof ACT_CODE): number {
  return convOut(acc, bias, shiftBias, shiftCut, ACT_CODE[act]);
}

/** Quantize a real value at fix position fp with DPURound (the rule used for weights, biases and inputs). */
export function quantize(x: number, fp: number): number {
  return dpuRound(x * 2 ** fp);
}

/** The POOL engine's averaging factor by kernel width (isa/numerics avgFactor), or undefined when none exists. */
export function dpuAvgFactor(kw: number, kh: number): { num: number; den: number } | undefined {
  if (kh !== kw && !(kw === 1 || kw === 2 || kw === 4 || kw === 8)) return undefined; // the fixed fractions assume a square window
  const f = avgFactor(kw, kh);
  return f && { num: f[0], den: f[1] };
}
