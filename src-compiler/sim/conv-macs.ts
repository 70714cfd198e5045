// The CONV MAC array in software, two output channels per double.
//
// Every product of two int8 values lies in [-16256, 16384], so a dot product of `terms` products has
// magnitude at most terms x 2^14. While that stays below 2^26 (terms < 4096), two dot products fit in
// one double without touching: weights w0 (channel o) and w1 (channel o + 1) are stored as the one
// number w0 + w1 x 2^27, and p x (w0 + w1 x 2^27) = p w0 + p w1 x 2^27. Summing those gives
// S = A0 + A1 x 2^27 with |A0| < 2^26 and |S| < 2^53: every partial sum is an integer that a double
// holds exactly, so every addition is exact, and A1 = round(S / 2^27), A0 = S - A1 x 2^27 recover both
// sums. One multiply-add then does two MACs and one weight load feeds two output channels: the
// JIT-compiled loop (V8 keeps the doubles unboxed in registers) was bound by loads and multiplies.
// Longer dot products (a 3x3 kernel over more than 455 channels) are summed a few kernel rows at a
// time, each part unpacked and added to the output, so that no part leaves its lane.

/**
 * The CONV MAC array, one output channel per double, for rows of dot product too long for a lane
 * (kw x ic > MAX_PACKED_TERMS): acc[(h length + x) OCP + o] = sum over kernel rows r of the dot
 * product of the tile's row h sh + r, columns x sw .. x sw + kw - 1 (contiguous, `run` = kw ic values)
 * with output channel o's weights for kernel row r. Blocked by 2 pixels x 4 output channels so that
 * each loaded value feeds several multiply-adds; accumulators are doubles, exact far beyond int32.
 */
export function convMacs(
  tile: Int8Array,
  rowStride: number,
  w: Int8Array,
  wStride: number,
  run: number,
  kh: number,
  sh: number,
  pixStride: number,
  vpp: number,
  len: number,
  ocp: number,
  acc: Float64Array,
): void {
  for (let h = 0; h < vpp; h++) {
    for (let x = 0; x < len; x += 2) {
      const pair = x + 1 < len;
      const ob = (h * len + x) * ocp;
      let o = 0;
      for (; o + 4 <= ocp; o += 4) {
        let a0 = 0,
          a1 = 0,
          a2 = 0,
          a3 = 0,
          b0 = 0,
          b1 = 0,
          b2 = 0,
          b3 = 0;
        for (let r = 0; r < kh; r++) {
          const t0 = (h * sh + r) * rowStride + x * pixStride;
          const t1 = t0 + pixStride;
          const w0 = o * wStride + r * run;
          const w1 = w0 + wStride;
          const w2 = w1 + wStride;
          const w3 = w2 + wStride;
          if (pair) {
            for (let k = 0; k < run; k++) {
              const p = tile[t0 + k]!;
              const q = tile[t1 + k]!;
              const x0 = w[w0 + k]!;
              const x1 = w[w1 + k]!;
              const x2 = w[w2 + k]!;
              const x3 = w[w3 + k]!;
              a0 += p * x0;
              a1 += p * x1;
              a2 += p * x2;
              a3 += p * x3;
              b0 += q * x0;
              b1 += q * x1;
              b2 += q * x2;
              b3 += q * x3;
            }
          } else {
            for (let k = 0; k < run; k++) {
              const p = tile[t0 + k]!;
              a0 += p * w[w0 + k]!;
              a1 += p * w[w1 + k]!;
              a2 += p * w[w2 + k]!;
              a3 += p * w[w3 + k]!;
            }
          }
        }
        acc[ob + o] = a0;
        acc[ob + o + 1] = a1;
        acc[ob + o + 2] = a2;
        acc[ob + o + 3] = a3;
        if (pair) {
          acc[ob + ocp + o] = b0;
          acc[ob + ocp + o + 1] = b1;
          acc[ob + ocp + o + 2] = b2;
          acc[ob + ocp + o + 3] = b3;
        }
      }
      for (; o < ocp; o++) {
        let a = 0;
        let b = 0;
        for (let r = 0; r < kh; r++) {
          const t0 = (h * sh + r) * rowStride + x * pixStride;
          const t1 = t0 + pixStride;
          const w0 = o * wStride + r * run;
          for (let k = 0; k < run; k++) {
            const x0 = w[w0 + k]!;
            a += tile[t0 + k]! * x0;
            if (pair) b += tile[t1 + k]! * x0;
          }
        }
        acc[ob + o] = a;
        if (pair) acc[ob + ocp + o] = b;
      }
    }
  }
}

/** The lane scale: channel o + 1's sum sits 27 bits above channel o's. */
const LANE = 2 ** 27;
const INV_LANE = 2 ** -27;
/** The largest magnitude of an int8 x int8 product (-128 x -128). */
const MAX_PRODUCT = 128 * 128;

/** How many int8 products one packed sum may take and stay within its lane (|sum| < 2^26): 4095. */
export const MAX_PACKED_TERMS = Math.floor((LANE / 2 - 1) / MAX_PRODUCT);

/**
 * Pack int8 weights `w` ([output channel][khkwic]) by output-channel pairs into `packed`
 * ([pair][khkwic]): pair j holds w[2j] + w[2j + 1] x 2^27 (the missing partner of an odd last
 * channel is 0). `packed` must hold ceil(ocp / 2) x khkwic values.
 */
export function packWeightPairs(w: Int8Array, ocp: number, khkwic: number, packed: Float64Array): void {
  for (let j = 0; 2 * j < ocp; j++) {
    const lo = 2 * j * khkwic;
    const hi = lo + khkwic;
    const out = j * khkwic;
    if (2 * j + 1 < ocp) for (let e = 0; e < khkwic; e++) packed[out + e] = w[lo + e]! + w[hi + e]! * LANE;
    else for (let e = 0; e < khkwic; e++) packed[out + e] = w[lo + e]!;
  }
}

/** Widen an int8 tile to doubles: the MAC loop then loads each value with no int-to-double conversion. */
export function widenTile(tile: Int8Array, n: number, out: Float64Array): void {
  for (let k = 0; k < n; k++) out[k] = tile[k]!;
}

/**
 * Store packed sum s as output channels o (low lane) and o + 1 (high lane, when `both`), or add it to
 * them (`add`: a later part of the kernel rows). `+ 0` turns the -0 that Math.round gives for small
 * negative quotients into 0, as the unpacked sums are.
 */
function unpack(s: number, acc: Float64Array, at: number, both: boolean, add: boolean): void {
  const high = Math.round(s * INV_LANE) + 0;
  const low = s - high * LANE;
  if (add) {
    acc[at] += low;
    if (both) acc[at + 1] += high;
  } else {
    acc[at] = low;
    if (both) acc[at + 1] = high;
  }
}

/**
 * acc[(h length + x) OCP + o] (= when r0 is 0, += after) gets the sum over kernel rows r0 .. r1 - 1 of the dot product of the tile's row h sh + r,
 * columns x sw .. x sw + kw - 1 (contiguous, `run` = kw ic values) with output channel o's weights for
 * kernel row r; `packed` holds the weights by channel pairs (packWeightPairs), `pairStride` apart.
 * The caller keeps (r1 - r0) x run within MAX_PACKED_TERMS. Blocked by 4 pixels x 2 pairs (4 channels): per inner
 * step, 6 loads feed 8 multiply-adds (16 MACs) in 8 accumulators, which with the 6 loaded values fit
 * the 16 x64 vector registers, so nothing spills.
 */
export function convMacsPacked(
  tile: Float64Array,
  rowStride: number,
  packed: Float64Array,
  pairStride: number,
  run: number,
  r0: number,
  r1: number,
  sh: number,
  pixStride: number,
  vpp: number,
  len: number,
  ocp: number,
  acc: Float64Array,
): void {
  const add = r0 > 0;
  const pairs = (ocp + 1) >> 1;
  const oddLast = (ocp & 1) === 1;
  for (let h = 0; h < vpp; h++) {
    let x = 0;
    for (; x + 4 <= len; x += 4) {
      const ob = (h * len + x) * ocp;
      let j = 0;
      for (; j + 2 <= pairs; j += 2) {
        let a0 = 0,
          a1 = 0,
          b0 = 0,
          b1 = 0,
          c0 = 0,
          c1 = 0,
          d0 = 0,
          d1 = 0;
        for (let r = r0; r < r1; r++) {
          const t0 = (h * sh + r) * rowStride + x * pixStride;
          const t1 = t0 + pixStride;
          const t2 = t1 + pixStride;
          const t3 = t2 + pixStride;
          const w0 = j * pairStride + r * run;
          const w1 = w0 + pairStride;
          for (let k = 0; k < run; k++) {
            const p0 = tile[t0 + k]!;
            const p1 = tile[t1 + k]!;
            const p2 = tile[t2 + k]!;
            const p3 = tile[t3 + k]!;
            const u = packed[w0 + k]!;
            const v = packed[w1 + k]!;
            a0 += p0 * u;
            a1 += p0 * v;
            b0 += p1 * u;
            b1 += p1 * v;
            c0 += p2 * u;
            c1 += p2 * v;
            d0 += p3 * u;
            d1 += p3 * v;
          }
        }
        // Pair j + 1 is the last one, and half empty, when ocp is odd.
        const both1 = !oddLast || j + 2 < pairs;
        const o = 2 * j;
        unpack(a0, acc, ob + o, true, add);
        unpack(a1, acc, ob + o + 2, both1, add);
        unpack(b0, acc, ob + ocp + o, true, add);
        unpack(b1, acc, ob + ocp + o + 2, both1, add);
        unpack(c0, acc, ob + 2 * ocp + o, true, add);
        unpack(c1, acc, ob + 2 * ocp + o + 2, both1, add);
        unpack(d0, acc, ob + 3 * ocp + o, true, add);
        unpack(d1, acc, ob + 3 * ocp + o + 2, both1, add);
      }
      for (; j < pairs; j++) for (let e = 0; e < 4; e++) onePixelPair(tile, rowStride, packed, pairStride, run, r0, r1, sh, pixStride, h, x + e, j, len, ocp, oddLast, acc);
    }
    for (; x < len; x++) for (let j = 0; j < pairs; j++) onePixelPair(tile, rowStride, packed, pairStride, run, r0, r1, sh, pixStride, h, x, j, len, ocp, oddLast, acc);
  }
}

/** The leftovers of the 4 x 2 blocking: output pixel (h, x), channel pair j. */
function onePixelPair(
  tile: Float64Array,
  rowStride: number,
  packed: Float64Array,
  pairStride: number,
  run: number,
  r0: number,
  r1: number,
  sh: number,
  pixStride: number,
  h: number,
  x: number,
  j: number,
  len: number,
  ocp: number,
  oddLast: boolean,
  acc: Float64Array,
): void {
  let a = 0;
  for (let r = r0; r < r1; r++) {
    const t0 = (h * sh + r) * rowStride + x * pixStride;
    const w0 = j * pairStride + r * run;
    for (let k = 0; k < run; k++) a += tile[t0 + k]! * packed[w0 + k]!;
  }
  unpack(a, acc, (h * len + x) * ocp + 2 * j, !oddLast || 2 * j + 2 < ocp, r0 > 0);
}
