// The DPU's rounding and scaling, exactly as isa-fields.md N1-N6 describe them: DPURound saturates to
// [-128, 127] and rounds half up; CONV adds a shifted bias to the doubled accumulator and shifts right.
// All arithmetic is on integers held in float64, exact below 2^53.

/** DPURound of the rational p / q (q > 0): saturate, then round half up. */
export function dpuRoundRational(p: number, q: number): number {
  const v = Math.floor((2 * p + q) / (2 * q));
  return v > 127 ? 127 : v < -128 ? -128 : v;
}

/** DPURound of a real value given exactly (a float64 that is exactly the real value). */
export function dpuRound(x: number): number {
  const v = Math.floor(x + 0.5);
  return v > 127 ? 127 : v < -128 ? -128 : v;
}

/**
 * One CONV/DPTWISE output: acc is the int8 x int8 accumulator, bias the int8 bias.
 * v = 2 acc + bias 2^shiftBias; t = v / 2^(shiftCut + 1); activation on t; DPURound.
 */
export function convOutput(acc: number, bias: number, shiftBias: number, shiftCut: number, act: 'none' | 'relu' | 'leaky_relu' | 'relu6'): number {
  const v = 2 * acc + bias * 2 ** shiftBias;
  const k = shiftCut + 1;
  const d = 2 ** k;
  switch (act) {
    case 'none':
      return clamp8(Math.floor((v + d / 2) / d));
    case 'relu':
      return v <= 0 ? 0 : clamp8(Math.floor((v + d / 2) / d));
    case 'relu6': {
      const r = clamp8(Math.floor((v + d / 2) / d));
      return r < 0 ? 0 : r > 96 ? 96 : r;
    }
    case 'leaky_relu':
      if (v >= 0) return clamp8(Math.floor((v + d / 2) / d));
      // t * 26/256 rounded half up: (26 v + 2^(k+7)) >> (k+8).
      return clamp8(Math.floor((26 * v + d * 128) / (d * 256)));
  }
}

export function clamp8(v: number): number {
  return v > 127 ? 127 : v < -128 ? -128 : v;
}

/** Quantize a real value at fix position fp with DPURound (the rule used for weights, biases and inputs). */
export function quantize(x: number, fp: number): number {
  return dpuRound(x * 2 ** fp);
}

/** POOLINIT shift_cut as the power of two it applies. */
export function poolShiftExponent(shiftCut: number): number {
  return shiftCut < 8 ? shiftCut : -(shiftCut - 8);
}

/** ELEW shift_write as the power of two it applies. */
export function elewShiftExponent(shiftWrite: number): number {
  return shiftWrite < 16 ? shiftWrite : -(shiftWrite - 16);
}

/** The POOL engine's averaging factor, chosen by kernel width (N5): exact 1/(kw kh) for widths 1, 2, 4
 * and 8; 28/256, 10/256, 7/256, 21/1024 for widths 3, 5, 6, 7, which assume a square window. */
export function dpuAvgFactor(kw: number, kh: number): { num: number; den: number } | undefined {
  if (kw === 1 || kw === 2 || kw === 4 || kw === 8) return { num: 1, den: kw * kh };
  if (kh !== kw) return undefined;
  return ({ 3: { num: 28, den: 256 }, 5: { num: 10, den: 256 }, 6: { num: 7, den: 256 }, 7: { num: 21, den: 1024 } } as Record<number, { num: number; den: number }>)[kw];
}
