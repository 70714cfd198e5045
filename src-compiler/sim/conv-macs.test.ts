import { describe, expect, it } from 'vitest';
import { convMacs, convMacsPacked, MAX_PACKED_TERMS, packWeightPairs, widenTile } from './conv-macs';

/** A deterministic int8 stream (xorshift32). */
function bytes(seed: number, n: number, pick?: (k: number) => number): Int8Array {
  const out = new Int8Array(n);
  let s = seed >>> 0 || 1;
  for (let k = 0; k < n; k++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[k] = pick ? pick(s >>> 0) : (s >>> 0) & 0xff;
  }
  return out;
}

interface Shape {
  kh: number;
  kw: number;
  ic: number;
  sh: number;
  sw: number;
  vpp: number;
  len: number;
  ocp: number;
}

/** Both kernels on one input; the packed one in parts of `rowsPerPart` kernel rows, as conv() calls it. */
function both(shape: Shape, tile: Int8Array, w: Int8Array, rowsPerPart = shape.kh): { plain: Float64Array; packed: Float64Array } {
  const { kh, kw, ic, sh, sw, vpp, len, ocp } = shape;
  const srcW = (len - 1) * sw + kw;
  const khkwic = kh * kw * ic;
  const plain = new Float64Array(vpp * len * ocp);
  convMacs(tile, srcW * ic, w, khkwic, kw * ic, kh, sh, sw * ic, vpp, len, ocp, plain);
  const pw = new Float64Array(((ocp + 1) >> 1) * khkwic);
  packWeightPairs(w, ocp, khkwic, pw);
  const tf = new Float64Array(tile.length);
  widenTile(tile, tile.length, tf);
  const packed = new Float64Array(vpp * len * ocp).fill(NaN);
  for (let r0 = 0; r0 < kh; r0 += rowsPerPart) convMacsPacked(tf, srcW * ic, pw, khkwic, kw * ic, r0, Math.min(kh, r0 + rowsPerPart), sh, sw * ic, vpp, len, ocp, packed);
  return { plain, packed };
}

function sizes(s: Shape): { tile: number; w: number } {
  return { tile: ((s.vpp - 1) * s.sh + s.kh) * ((s.len - 1) * s.sw + s.kw) * s.ic, w: s.ocp * s.kh * s.kw * s.ic };
}

describe('packed CONV MACs', () => {
  it('holds 4095 products per lane', () => {
    expect(MAX_PACKED_TERMS).toBe(4095);
    expect(MAX_PACKED_TERMS * 128 * 128).toBeLessThan(2 ** 26);
  });

  it('equals the one-channel-per-double sums on random shapes (odd OCP, lengths off the 4-pixel blocks, strides)', () => {
    let seed = 7;
    for (const shape of [
      { kh: 3, kw: 3, ic: 16, sh: 1, sw: 1, vpp: 8, len: 14, ocp: 16 },
      { kh: 1, kw: 1, ic: 32, sh: 1, sw: 1, vpp: 3, len: 5, ocp: 7 },
      { kh: 5, kw: 2, ic: 16, sh: 2, sw: 3, vpp: 4, len: 9, ocp: 5 },
      { kh: 2, kw: 3, ic: 16, sh: 1, sw: 2, vpp: 2, len: 3, ocp: 1 },
      { kh: 3, kw: 3, ic: 48, sh: 2, sw: 2, vpp: 8, len: 11, ocp: 12 },
    ]) {
      const n = sizes(shape);
      const { plain, packed } = both(shape, bytes(seed++, n.tile), bytes(seed++, n.w));
      expect(packed).toEqual(plain);
    }
  });

  it('keeps the lanes apart at their extremes: full-length dot products of -128 x -128 and -128 x 127', () => {
    // kw x ic = 4080 products per output row, one kernel row per part: the largest sums a lane holds.
    const shape = { kh: 2, kw: 3, ic: 1360, sh: 1, sw: 1, vpp: 1, len: 5, ocp: 4 };
    const n = sizes(shape);
    const tile = new Int8Array(n.tile).fill(-128);
    // Channels alternate -128 and 127 weights, so neighbouring lanes carry the largest sums of both signs.
    const w = new Int8Array(n.w);
    const khkwic = shape.kh * shape.kw * shape.ic;
    for (let o = 0; o < shape.ocp; o++) w.fill(o % 2 === 0 ? -128 : 127, o * khkwic, (o + 1) * khkwic);
    const { plain, packed } = both(shape, tile, w, 1);
    expect(packed).toEqual(plain);
    expect(plain[0]).toBe(2 * 4080 * 16384);
    expect(plain[1]).toBe(-2 * 4080 * 16256);
    // Random extremes (only -128 and 127) in parts of one kernel row.
    const pm = (s: number) => (s & 1 ? 127 : -128);
    const r = both(shape, bytes(11, n.tile, pm), bytes(12, n.w, pm), 1);
    expect(r.packed).toEqual(r.plain);
  });
});
