import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACT_LEAKY, ACT_NONE, ACT_RELU, ACT_RELU6, avgFactor, convOut, elewIn, elewOut, int8, poolOut, roundDiv, roundShift, sat8 } from './numerics';

/** floor(v / 2^k + 1/2) with BigInt, the definition of round half up. */
function bigRoundShift(v: bigint, k: number): bigint {
  const d = 1n << BigInt(k);
  const a = 2n * v + d;
  const b = 2n * d;
  let q = a / b;
  if (q * b > a) q -= 1n;
  return q;
}

describe('DPURound (isa-fields.md N1)', () => {
  it('rounds ties toward +infinity and the rest to nearest', () => {
    // x / 2: 5 -> 2.5 -> 3; -5 -> -2.5 -> -2; 3 -> 1.5 -> 2; -3 -> -1.5 -> -1; 7/4 = 1.75 -> 2; -7/4 -> -2.
    expect([roundShift(5, 1), roundShift(-5, 1), roundShift(3, 1), roundShift(-3, 1), roundShift(7, 2), roundShift(-7, 2), roundShift(-6, 2)]).toEqual([3, -2, 2, -1, 2, -2, -1]);
  });

  it('saturates to int8 (saturating first or rounding first gives the same integer)', () => {
    expect([sat8(128), sat8(127), sat8(-128), sat8(-129), sat8(1e9)]).toEqual([127, 127, -128, -128, 127]);
    // 255.5 / 2 = 127.75 -> 127; -257 / 2 = -128.5 -> -128 (saturate) = round(-128.5) = -128.
    expect(sat8(roundShift(511, 2))).toBe(127);
    expect(sat8(roundShift(-257, 1))).toBe(-128);
  });

  it('matches exact BigInt rounding for every shift 0..70 on 20,000 random values up to 2^52', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }), fc.integer({ min: 0, max: 70 }), (v, k) => {
        expect(roundShift(Number(v), k)).toBe(Number(bigRoundShift(v, k)));
      }),
      { numRuns: 20000 },
    );
  });

  it('rounds quotients exactly (roundDiv), including negative numerators', () => {
    expect([roundDiv(7, 2), roundDiv(-7, 2), roundDiv(5, 3), roundDiv(-5, 3), roundDiv(1, 6), roundDiv(3, 6)]).toEqual([4, -3, 2, -2, 0, 1]);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 30), max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 20 }), (n, d) => {
        const a = 2n * BigInt(n) + BigInt(d);
        const b = 2n * BigInt(d);
        let q = a / b;
        if (q * b > a) q -= 1n;
        expect(roundDiv(n, d)).toBe(Number(q));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('CONV arithmetic (N2)', () => {
  it('doubles the accumulator, not the bias, and shifts by shift_cut + 1', () => {
    // acc 100, bias 3, shift_bias 2, shift_cut 3: v = 200 + 12 = 212; t = 212 / 16 = 13.25 -> 13.
    expect(convOut(100, 3, 2, 3, ACT_NONE)).toBe(13);
    // Tie: v = 2*5 + 0 = 10, k = 2: 2.5 -> 3; v = -10: -2.5 -> -2.
    expect(convOut(5, 0, 0, 1, ACT_NONE)).toBe(3);
    expect(convOut(-5, 0, 0, 1, ACT_NONE)).toBe(-2);
    expect(convOut(10000, 0, 0, 0, ACT_NONE)).toBe(127);
  });

  it('applies ReLU, leaky ReLU (26/256) and ReLU6 (clamp to 96) before rounding', () => {
    expect(convOut(-100, 0, 0, 0, ACT_RELU)).toBe(0);
    expect(convOut(40, 0, 0, 0, ACT_RELU)).toBe(40);
    // leaky: v = -200, k = 1: t = -100; -100 * 26 / 256 = -10.15625 -> -10.
    expect(convOut(-100, 0, 0, 0, ACT_LEAKY)).toBe(-10);
    // leaky tie: t * 26/256 = -2.5 needs t = -24.615...; use v = -1280, k = 1: t = -640, * 26/256 = -65 exactly.
    expect(convOut(-640, 0, 0, 0, ACT_LEAKY)).toBe(-65);
    // v = -64 (acc -32), k = 1: t = -32 -> -3.25 -> -3.
    expect(convOut(-32, 0, 0, 0, ACT_LEAKY)).toBe(-3);
    // ReLU6 with shift_cut 0: t = acc.
    expect(convOut(100, 0, 0, 0, ACT_RELU6)).toBe(96);
    expect(convOut(-60, 0, 0, 0, ACT_RELU6)).toBe(0);
    expect(convOut(30, 0, 0, 0, ACT_RELU6)).toBe(30);
  });
});

describe('POOL arithmetic (N5)', () => {
  it('picks the average factor by kernel_w only', () => {
    expect(avgFactor(2, 2)).toEqual([1, 4]);
    expect(avgFactor(4, 1)).toEqual([1, 4]);
    expect(avgFactor(3, 3)).toEqual([28, 256]);
    expect(avgFactor(3, 1)).toEqual([28, 256]);
    expect(avgFactor(5, 5)).toEqual([10, 256]);
    expect(avgFactor(6, 6)).toEqual([7, 256]);
    expect(avgFactor(7, 7)).toEqual([21, 1024]);
    expect(avgFactor(9, 9)).toBeUndefined();
  });

  it('scales by 2^shift_cut for 0..7 and by 2^-(shift_cut-8) for 8..15, then rounds half up', () => {
    // 3x3 average of sum 90: 90 * 28 / 256 = 9.84375 -> 10.
    expect(poolOut(90, 28, 256, 0)).toBe(10);
    expect(poolOut(90, 28, 256, 8)).toBe(10);
    expect(poolOut(90, 28, 256, 1)).toBe(20);
    expect(poolOut(90, 28, 256, 9)).toBe(5);
    // max 5, divided by 2^2: 1.25 -> 1; -5 / 4 = -1.25 -> -1; -6 / 4 = -1.5 -> -1.
    expect([poolOut(5, 1, 1, 10), poolOut(-5, 1, 1, 10), poolOut(-6, 1, 1, 10)]).toEqual([1, -1, -1]);
    expect(poolOut(100, 1, 1, 2)).toBe(127);
  });
});

describe('ELEW arithmetic (N6)', () => {
  it('pre-scales by (x << 2) >> shift_read, an arithmetic shift', () => {
    expect([elewIn(5, 0), elewIn(5, 3), elewIn(-5, 3), elewIn(-1, 4)]).toEqual([20, 2, -3, -1]);
  });

  it('adds divide by 4, multiplies by 16, shift_write scales, ReLU comes before rounding', () => {
    // add: a = 20 + 12 = 32 -> 32 / 4 = 8; shift_write 17 -> /2 = 4.
    expect(elewOut(32, 16, false, false)).toBe(8);
    expect(elewOut(32, 17, false, false)).toBe(4);
    expect(elewOut(32, 1, false, false)).toBe(16);
    // s = 10, shift 17: 10 / 8 = 1.25 -> 1; s = 12: 1.5 -> 2; s = -12: -1.5 -> -1.
    expect([elewOut(10, 17, false, false), elewOut(12, 17, false, false), elewOut(-12, 17, false, false)]).toEqual([1, 2, -1]);
    // mult: (4*3) * (4*5) = 240 / 16 = 15.
    expect(elewOut(elewIn(3, 0) * elewIn(5, 0), 16, true, false)).toBe(15);
    expect(elewOut(-12, 16, false, true)).toBe(0);
  });

  it('reads const_value as int8', () => {
    expect([int8(0), int8(127), int8(128), int8(255)]).toEqual([0, 127, -128, -1]);
  });
});
