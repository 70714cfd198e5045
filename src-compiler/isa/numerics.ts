// The DPUV2 arithmetic, exactly as isa-fields.md "Numerics and data movement" N1-N6 states it.
// docs/numerics.md explains each rule with its source.
//
// Everything is integer arithmetic on JavaScript numbers, which are exact for integers below 2^53;
// every intermediate here stays far below that (the largest is 26 x a doubled accumulator of a 16x16
// kernel over 4096 input channels, about 2^41). Divisions by powers of two are exact in doubles, so
// `floor(v / 2^k)` is exact and the remainder `v - q x 2^k` is too.

/** 2^k for k = 0..127 (exact doubles). */
const POW2 = Float64Array.from({ length: 128 }, (_, k) => 2 ** k);

export function pow2(k: number): number {
  return POW2[k]!;
}

/** Saturate to int8. */
export function sat8(x: number): number {
  return x > 127 ? 127 : x < -128 ? -128 : x;
}

/**
 * Round half up of v / 2^k (N1: ties toward +infinity), for an integer v and k >= 0:
 * floor(v / 2^k + 1/2), computed exactly.
 */
export function roundShift(v: number, k: number): number {
  if (k === 0) return v;
  const d = POW2[k]!;
  const q = Math.floor(v / d);
  return v - q * d >= d / 2 ? q + 1 : q;
}

/** Round half up of num / den for integers num and den > 0, computed exactly. */
export function roundDiv(num: number, den: number): number {
  // floor((2 num + den) / (2 den)), with an exact correction of the floating quotient.
  const a = 2 * num + den;
  const b = 2 * den;
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** Activation codes of CONVINIT and DPTWISE that DPUV2 executes (N2 step 4). */
export const ACT_NONE = 0;
export const ACT_RELU = 1;
export const ACT_LEAKY = 3;
export const ACT_RELU6 = 4;

/** ReLU6 clamps to 96: "6" with 4 fraction bits, hard-coded in the published simulator (N2). */
export const RELU6_MAX = 96;
/** Leaky ReLU slope 26/256 (N2). */
export const LEAKY_NUM = 26;
export const LEAKY_SHIFT = 8;

/**
 * CONV and DPTWISE output (N2, N4): v = 2 acc + bias x 2^shift_bias, t = v / 2^(shift_cut+1), the
 * activation on t, then DPURound (saturate, round half up).
 */
export function convOut(acc: number, bias: number, shiftBias: number, shiftCut: number, act: number): number {
  const v = 2 * acc + bias * POW2[shiftBias]!;
  const k = shiftCut + 1;
  switch (act) {
    case ACT_RELU:
      return v > 0 ? sat8(roundShift(v, k)) : 0;
    case ACT_LEAKY:
      return v >= 0 ? sat8(roundShift(v, k)) : sat8(roundShift(LEAKY_NUM * v, k + LEAKY_SHIFT));
    case ACT_RELU6: {
      const r = sat8(roundShift(v, k));
      return r < 0 ? 0 : r > RELU6_MAX ? RELU6_MAX : r;
    }
    default:
      return sat8(roundShift(v, k));
  }
}

/**
 * The average-pool factor by kernel_w alone (N5): exact 1/(kernel_w x kernel_h) for widths 1, 2, 4
 * and 8; fixed fractions for 3, 5, 6 and 7 (which assume a square kernel). As [numerator, denominator].
 */
export function avgFactor(kernelW: number, kernelH: number): [number, number] | undefined {
  switch (kernelW) {
    case 1:
    case 2:
    case 4:
    case 8:
      return [1, kernelW * kernelH];
    case 3:
      return [28, 256];
    case 5:
      return [10, 256];
    case 6:
      return [7, 256];
    case 7:
      return [21, 1024];
    default:
      return undefined;
  }
}

/**
 * POOL output (N5): value x factor, then shift_cut (0..7 multiplies by 2^shift_cut, 8..15 divides by
 * 2^(shift_cut-8)), then DPURound. `value` is the window maximum (factor 1/1) or the window sum.
 */
export function poolOut(value: number, factorNum: number, factorDen: number, shiftCut: number): number {
  let num = value * factorNum;
  let den = factorDen;
  if (shiftCut < 8) num *= POW2[shiftCut]!;
  else den *= POW2[shiftCut - 8]!;
  return sat8(den === 1 ? num : roundDiv(num, den));
}

/** ELEW input pre-scale (N6): (x << 2) >> shift_read, an arithmetic shift keeping 2 fraction bits. */
export function elewIn(x: number, shiftRead: number): number {
  return (x << 2) >> shiftRead;
}

/**
 * ELEW output (N6): s (the sum, or the product of two, of pre-scaled inputs) times 2^shift_write
 * (below 16) or divided by 2^(shift_write-16), divided by 4 (add) or 16 (mult), ReLU if asked, DPURound.
 */
export function elewOut(s: number, shiftWrite: number, mult: boolean, relu: boolean): number {
  if (relu && s < 0) return 0;
  const e = (shiftWrite < 16 ? shiftWrite : 16 - shiftWrite) - (mult ? 4 : 2);
  return sat8(e >= 0 ? s * POW2[e]! : roundShift(s, -e));
}

/** int8 from the low 8 bits of an unsigned field value (const_value). */
export function int8(u: number): number {
  return (u << 24) >> 24;
}
