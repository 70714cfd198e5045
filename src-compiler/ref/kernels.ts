// Float kernels of the reference executors, on row-major NCHW typed arrays.
//
// Written for speed without giving up exactness where it matters: convolution is im2col + a GEMM whose
// inner loop runs over contiguous output pixels, accumulating in float64. The integer executor reuses
// `convAccumulate` on int8 values held in float arrays: products and sums of int8 values are integers
// far below 2^53, so the float64 accumulators are exact.

import type { ConvAttrs, ConvTransposeAttrs, PoolAttrs, ResizeAttrs } from '../xgraph/types';
import { broadcastShapes, numel, type Shape } from '../xgraph/shapes';

export type F32 = Float32Array;

function strides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

let colBuffer = new Float32Array(0);
function colScratch(n: number): Float32Array {
  if (colBuffer.length < n) colBuffer = new Float32Array(n);
  return colBuffer;
}

/**
 * out[(m0+m)*P + p] = sum_k w[(m0+m)*K + k] * src[srcOff + k*P + p] for m < rows, in float64.
 * A 4x4 register block (four weight rows by four output pixels) keeps sixteen sums in locals while k
 * runs, so that each multiply-add costs half a load instead of a load and a store of its sum.
 */
function gemmRows(w: Float32Array, m0: number, rows: number, K: number, src: Float32Array, srcOff: number, P: number, out: Float64Array, outOff: number): void {
  let m = 0;
  const P4 = P - (P % 4);
  for (; m + 4 <= rows; m += 4) {
    const wb0 = (m0 + m) * K;
    const wb1 = wb0 + K;
    const wb2 = wb1 + K;
    const wb3 = wb2 + K;
    const o0 = outOff + m * P;
    const o1 = o0 + P;
    const o2 = o1 + P;
    const o3 = o2 + P;
    for (let p = 0; p < P4; p += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let si = srcOff + p;
      for (let k = 0; k < K; k++, si += P) {
        const s0 = src[si]!;
        const s1 = src[si + 1]!;
        const s2 = src[si + 2]!;
        const s3 = src[si + 3]!;
        const w0 = w[wb0 + k]!;
        const w1 = w[wb1 + k]!;
        const w2 = w[wb2 + k]!;
        const w3 = w[wb3 + k]!;
        c00 += w0 * s0; c01 += w0 * s1; c02 += w0 * s2; c03 += w0 * s3;
        c10 += w1 * s0; c11 += w1 * s1; c12 += w1 * s2; c13 += w1 * s3;
        c20 += w2 * s0; c21 += w2 * s1; c22 += w2 * s2; c23 += w2 * s3;
        c30 += w3 * s0; c31 += w3 * s1; c32 += w3 * s2; c33 += w3 * s3;
      }
      out[o0 + p] = c00; out[o0 + p + 1] = c01; out[o0 + p + 2] = c02; out[o0 + p + 3] = c03;
      out[o1 + p] = c10; out[o1 + p + 1] = c11; out[o1 + p + 2] = c12; out[o1 + p + 3] = c13;
      out[o2 + p] = c20; out[o2 + p + 1] = c21; out[o2 + p + 2] = c22; out[o2 + p + 3] = c23;
      out[o3 + p] = c30; out[o3 + p + 1] = c31; out[o3 + p + 2] = c32; out[o3 + p + 3] = c33;
    }
    for (let p = P4; p < P; p++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let k = 0, si = srcOff + p; k < K; k++, si += P) {
        const v = src[si]!;
        c0 += w[wb0 + k]! * v;
        c1 += w[wb1 + k]! * v;
        c2 += w[wb2 + k]! * v;
        c3 += w[wb3 + k]! * v;
      }
      out[o0 + p] = c0;
      out[o1 + p] = c1;
      out[o2 + p] = c2;
      out[o3 + p] = c3;
    }
  }
  for (; m < rows; m++) {
    const wb = (m0 + m) * K;
    const o = outOff + m * P;
    for (let p = 0; p < P; p++) {
      let c = 0;
      for (let k = 0, si = srcOff + p; k < K; k++, si += P) c += w[wb + k]! * src[si]!;
      out[o + p] = c;
    }
  }
}

/**
 * Convolution accumulators without bias: out[n][m][oy][ox] = sum over the group's input channels and the
 * kernel window of x * w. Padding reads 0. Returns float64 sums (exact for integer-valued inputs). Inputs are Float32Array only, so that the inner loops stay
 * monomorphic; the integer executor passes int8 values converted to float32 (exactly).
 */
export function convAccumulate(x: Float32Array, xs: Shape, w: Float32Array, ws: Shape, a: ConvAttrs, outShape: Shape): Float64Array {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [M, Cg, kh, kw] = ws as [number, number, number, number];
  const [, , Ho, Wo] = outShape as [number, number, number, number];
  const G = a.group;
  const Mg = M / G;
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const [pt, pl] = a.pads;
  const P = Ho * Wo;
  const K = Cg * kh * kw;
  const out = new Float64Array(N * M * P);
  // A 1x1, stride-1, unpadded convolution reads its input as the column matrix directly.
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && a.pads[2] === 0 && a.pads[3] === 0 && Ho === H && Wo === W;
  const col = direct ? new Float32Array(0) : colScratch(K * P);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      let src: Float32Array = col;
      let srcOff = 0;
      if (direct) {
        src = x;
        srcOff = (n * C + g * Cg) * P;
      } else {
        // im2col for this group: row (c, i, j) holds the input pixels that kernel tap (i, j) of channel c sees.
        for (let c = 0; c < Cg; c++) {
          const xBase = (n * C + g * Cg + c) * H * W;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const rowBase = ((c * kh + i) * kw + j) * P;
              for (let oy = 0; oy < Ho; oy++) {
                const iy = oy * sh - pt + i * dh;
                const o = rowBase + oy * Wo;
                if (iy < 0 || iy >= H) {
                  for (let ox = 0; ox < Wo; ox++) col[o + ox] = 0;
                  continue;
                }
                const xr = xBase + iy * W;
                for (let ox = 0; ox < Wo; ox++) {
                  const ix = ox * sw - pl + j * dw;
                  col[o + ox] = ix >= 0 && ix < W ? x[xr + ix]! : 0;
                }
              }
            }
          }
        }
      }
      gemmRows(w, g * Mg, Mg, K, src, srcOff, P, out, (n * M + g * Mg) * P);
    }
  }
  return out;
}

export function conv2d(x: F32, xs: Shape, w: F32, ws: Shape, b: F32 | undefined, a: ConvAttrs, outShape: Shape): F32 {
  const acc = convAccumulate(x, xs, w, ws, a, outShape);
  const M = ws[0]!;
  const P = outShape[2]! * outShape[3]!;
  const out = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! + (b ? b[Math.floor(i / P) % M]! : 0);
  return out;
}

export function convTranspose2d(x: F32, xs: Shape, w: F32, ws: Shape, b: F32 | undefined, a: ConvTransposeAttrs, outShape: Shape): F32 {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, Mg, kh, kw] = ws as [number, number, number, number];
  const [, M, Ho, Wo] = outShape as [number, number, number, number];
  const G = a.group;
  const Cg = C / G;
  const out = new Float64Array(N * M * Ho * Wo);
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const [pt, pl] = a.pads;
  for (let n = 0; n < N; n++)
    for (let g = 0; g < G; g++)
      for (let cc = 0; cc < Cg; cc++) {
        const c = g * Cg + cc;
        const xb = (n * C + c) * H * W;
        for (let mm = 0; mm < Mg; mm++) {
          const m = g * Mg + mm;
          const ob = (n * M + m) * Ho * Wo;
          const wb = (c * Mg + mm) * kh * kw;
          for (let iy = 0; iy < H; iy++)
            for (let ix = 0; ix < W; ix++) {
              const xv = x[xb + iy * W + ix]!;
              if (xv === 0) continue;
              for (let i = 0; i < kh; i++) {
                const oy = iy * sh + i * dh - pt;
                if (oy < 0 || oy >= Ho) continue;
                for (let j = 0; j < kw; j++) {
                  const ox = ix * sw + j * dw - pl;
                  if (ox < 0 || ox >= Wo) continue;
                  out[ob + oy * Wo + ox] += xv * w[wb + i * kw + j]!;
                }
              }
            }
        }
      }
  const r = new Float32Array(out.length);
  const P = Ho * Wo;
  for (let i = 0; i < out.length; i++) r[i] = out[i]! + (b ? b[Math.floor(i / P) % M]! : 0);
  return r;
}

/** Max or average pooling with ONNX/Caffe semantics: padding never wins a max; the average divides by
 * the window clipped to the padded input (countIncludePad) or to the real input. */
export function pool2d(x: F32, xs: Shape, a: PoolAttrs, outShape: Shape): F32 {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [, , Ho, Wo] = outShape as [number, number, number, number];
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [dh, dw] = a.dilation;
  const [pt, pl, pb, pr] = a.pads;
  const out = new Float32Array(N * C * Ho * Wo);
  const isMax = a.kind === 'max';
  for (let nc = 0; nc < N * C; nc++) {
    const xb = nc * H * W;
    const ob = nc * Ho * Wo;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = oy * sh - pt;
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = ox * sw - pl;
        let best = -Infinity;
        let sum = 0;
        let count = 0;
        for (let i = 0; i < kh; i++) {
          const iy = y0 + i * dh;
          if (iy < -pt || iy >= H + pb) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x0 + j * dw;
            if (ix < -pl || ix >= W + pr) continue;
            const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
            if (inside) {
              const v = x[xb + iy * W + ix]!;
              if (v > best) best = v;
              sum += v;
              count++;
            } else if (a.countIncludePad) count++;
          }
        }
        out[ob + oy * Wo + ox] = isMax ? best : count > 0 ? sum / count : 0;
      }
    }
  }
  return out;
}

export function globalPool(x: F32, xs: Shape, kind: 'max' | 'avg'): F32 {
  const NC = xs[0]! * xs[1]!;
  const L = numel(xs.slice(2));
  const out = new Float32Array(NC);
  for (let i = 0; i < NC; i++) {
    let s = 0;
    let m = -Infinity;
    for (let k = 0; k < L; k++) {
      const v = x[i * L + k]!;
      s += v;
      if (v > m) m = v;
    }
    out[i] = kind === 'max' ? m : s / L;
  }
  return out;
}

/** Elementwise binary operation with numpy broadcasting. */
export function broadcastBinary(a: F32, as: Shape, b: F32, bs: Shape, f: (x: number, y: number) => number): { data: F32; shape: number[] } {
  const shape = broadcastShapes([as, bs]);
  const n = numel(shape);
  const out = new Float32Array(n);
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
    return { data: out, shape };
  }
  if (b.length === 1) {
    const y = b[0]!;
    if (a.length === n) for (let i = 0; i < n; i++) out[i] = f(a[i]!, y);
    else for (let i = 0; i < n; i++) out[i] = f(a[broadcastIndex(i, shape, as)]!, y);
    return { data: out, shape };
  }
  const r = shape.length;
  const sa = alignedStrides(as, r);
  const sb = alignedStrides(bs, r);
  const idx = new Array<number>(r).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = f(a[ia]!, b[ib]!);
    // Increment the multi-index, updating both source offsets.
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < shape[d]!) break;
      ia -= sa[d]! * shape[d]!;
      ib -= sb[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return { data: out, shape };
}

/** Strides of `s` aligned to rank r, 0 where the dimension broadcasts. */
function alignedStrides(s: Shape, r: number): number[] {
  const st = strides(s);
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < s.length; i++) out[r - s.length + i] = s[i] === 1 ? 0 : st[i]!;
  return out;
}

function broadcastIndex(flat: number, shape: Shape, src: Shape): number {
  const r = shape.length;
  const ss = alignedStrides(src, r);
  let rem = flat;
  let idx = 0;
  for (let d = r - 1; d >= 0; d--) {
    const c = rem % shape[d]!;
    rem = (rem - c) / shape[d]!;
    idx += c * ss[d]!;
  }
  return idx;
}

export function softmax(x: F32, xs: Shape, axis: number, coerce2d: boolean): F32 {
  const outer = numel(xs.slice(0, axis));
  const len = coerce2d ? numel(xs.slice(axis)) : xs[axis]!;
  const inner = coerce2d ? 1 : numel(xs.slice(axis + 1));
  const out = new Float32Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, x[base + k * inner]!);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(x[base + k * inner]! - m);
      for (let k = 0; k < len; k++) out[base + k * inner] = Math.exp(x[base + k * inner]! - m) / s;
    }
  return out;
}

export function concat(parts: readonly { data: F32; shape: Shape }[], axis: number, outShape: Shape): F32 {
  const out = new Float32Array(numel(outShape));
  const outer = numel(outShape.slice(0, axis));
  const inner = numel(outShape.slice(axis + 1));
  const rowOut = outShape[axis]! * inner;
  let off = 0;
  for (const p of parts) {
    const row = p.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) out.set(p.data.subarray(o * row, (o + 1) * row), o * rowOut + off);
    off += row;
  }
  return out;
}

export function transpose(x: F32, xs: Shape, perm: readonly number[]): F32 {
  const r = xs.length;
  const os = perm.map((p) => xs[p]!);
  const st = strides(xs);
  const srcStride = perm.map((p) => st[p]!);
  const n = x.length;
  const out = new Float32Array(n);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x[src]!;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += srcStride[d]!;
      if (idx[d]! < os[d]!) break;
      src -= srcStride[d]! * os[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Gather along every axis through per-axis index maps (-1 = the constant value). */
function gatherAxes(x: F32, xs: Shape, maps: readonly Int32Array[], value: number): F32 {
  const r = xs.length;
  const os = maps.map((m) => m.length);
  const n = numel(os);
  const st = strides(xs);
  const out = new Float32Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    let constant = false;
    for (let d = 0; d < r; d++) {
      const s = maps[d]![idx[d]!]!;
      if (s < 0) {
        constant = true;
        break;
      }
      src += s * st[d]!;
    }
    out[i] = constant ? value : x[src]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d]! < os[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function pad(x: F32, xs: Shape, pads: readonly number[], mode: 'constant' | 'reflect' | 'edge', value: number): F32 {
  const r = xs.length;
  const maps = xs.map((size, d) => {
    const b = pads[d]!;
    const len = size + b + pads[d + r]!;
    const m = new Int32Array(len);
    for (let o = 0; o < len; o++) {
      let s = o - b;
      if (s < 0 || s >= size) {
        if (mode === 'constant') s = -1;
        else if (mode === 'edge') s = s < 0 ? 0 : size - 1;
        else {
          // reflect without repeating the edge: -1 -> 1, size -> size-2.
          const period = 2 * (size - 1);
          if (period === 0) s = 0;
          else {
            s = ((s % period) + period) % period;
            if (s >= size) s = period - s;
          }
        }
      }
      m[o] = s;
    }
    return m;
  });
  return gatherAxes(x, xs, maps, value);
}

/** Interpolation taps of one output index along one axis. */
interface Taps {
  readonly idx: Int32Array;
  readonly wt: Float64Array;
  readonly n: number;
  /** Per output index: true when it lies outside the input (tf_crop_and_resize extrapolation). */
  readonly outside: Uint8Array;
}

function axisTaps(inLen: number, outLen: number, scale: number, a: ResizeAttrs, roi: readonly [number, number] | undefined): Taps {
  const n = a.mode === 'nearest' ? 1 : a.mode === 'linear' ? 2 : 4;
  const idx = new Int32Array(outLen * n);
  const wt = new Float64Array(outLen * n);
  const outside = new Uint8Array(outLen);
  const clampI = (i: number) => (i < 0 ? 0 : i >= inLen ? inLen - 1 : i);
  for (let o = 0; o < outLen; o++) {
    let xo: number;
    switch (a.coordinateMode) {
      case 'half_pixel':
        xo = (o + 0.5) / scale - 0.5;
        break;
      case 'pytorch_half_pixel':
        xo = outLen > 1 ? (o + 0.5) / scale - 0.5 : 0;
        break;
      case 'align_corners': {
        // ONNX uses the unrounded resized length in * scale here, not the integer output size.
        const lenR = inLen * scale;
        xo = lenR === 1 ? 0 : (o * (inLen - 1)) / (lenR - 1);
        break;
      }
      case 'asymmetric':
        xo = o / scale;
        break;
      case 'tf_half_pixel_for_nn':
        xo = (o + 0.5) / scale;
        break;
      case 'tf_crop_and_resize': {
        const [s, e] = roi ?? [0, 1];
        xo = outLen > 1 ? s * (inLen - 1) + (o * (e - s) * (inLen - 1)) / (outLen - 1) : 0.5 * (s + e) * (inLen - 1);
        if (xo < 0 || xo > inLen - 1) outside[o] = 1;
        break;
      }
    }
    const b = o * n;
    if (a.mode === 'nearest') {
      let i: number;
      const fl = Math.floor(xo);
      switch (a.nearestMode) {
        case 'round_prefer_floor':
          i = xo === fl + 0.5 ? fl : Math.round(xo);
          break;
        case 'round_prefer_ceil':
          i = xo === fl + 0.5 ? fl + 1 : Math.round(xo);
          break;
        case 'floor':
          i = fl;
          break;
        case 'ceil':
          i = Math.ceil(xo);
          break;
        case 'simple':
          i = scale < 1 ? Math.ceil(xo) : fl;
          break;
      }
      idx[b] = clampI(i);
      wt[b] = 1;
    } else if (a.mode === 'linear') {
      const xc = Math.min(Math.max(xo, 0), inLen - 1);
      const i0 = Math.floor(xc);
      const t = xc - i0;
      idx[b] = clampI(i0);
      idx[b + 1] = clampI(i0 + 1);
      wt[b] = 1 - t;
      wt[b + 1] = t;
    } else {
      const A = a.cubicA;
      const i0 = Math.floor(xo);
      const t = xo - i0;
      const c = [
        ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
        ((A + 2) * t - (A + 3)) * t * t + 1,
        ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
        ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A,
      ];
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        const i = i0 - 1 + k;
        if (a.excludeOutside && (i < 0 || i >= inLen)) c[k] = 0;
        sum += c[k]!;
        idx[b + k] = clampI(i);
      }
      for (let k = 0; k < 4; k++) wt[b + k] = a.excludeOutside ? c[k]! / sum : c[k]!;
    }
  }
  return { idx, wt, n, outside };
}

/** Resize, separable along each axis (n-linear and n-cubic interpolation are products of 1-D weights). */
export function resize(x: F32, xs: Shape, a: ResizeAttrs): F32 {
  let cur = x;
  let shape = [...xs];
  for (let d = 0; d < xs.length; d++) {
    const inLen = xs[d]!;
    const outLen = a.sizes[d]!;
    const roi = a.roi?.[d];
    const identity = inLen === outLen && a.scales[d] === 1 && !(a.coordinateMode === 'tf_crop_and_resize' && roi && (roi[0] !== 0 || roi[1] !== 1));
    if (identity) continue;
    const taps = axisTaps(inLen, outLen, a.scales[d]!, a, roi);
    const outer = numel(shape.slice(0, d));
    const inner = numel(shape.slice(d + 1));
    const next = new Float32Array(outer * outLen * inner);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < outLen; j++) {
        const dst = (o * outLen + j) * inner;
        if (taps.outside[j]) {
          next.fill(a.extrapolationValue, dst, dst + inner);
          continue;
        }
        for (let t = 0; t < taps.n; t++) {
          const w = taps.wt[j * taps.n + t]!;
          if (w === 0) continue;
          const src = (o * inLen + taps.idx[j * taps.n + t]!) * inner;
          for (let i = 0; i < inner; i++) next[dst + i] += w * cur[src + i]!;
        }
      }
    cur = next;
    shape[d] = outLen;
  }
  return cur === x ? new Float32Array(x) : cur;
}

export function lrn(x: F32, xs: Shape, size: number, alpha: number, beta: number, bias: number): F32 {
  const N = xs[0]!;
  const C = xs[1]!;
  const L = numel(xs.slice(2));
  const out = new Float32Array(x.length);
  const lo = Math.floor((size - 1) / 2);
  const hi = Math.ceil((size - 1) / 2);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < L; p++) {
        let s = 0;
        for (let k = Math.max(0, c - lo); k <= Math.min(C - 1, c + hi); k++) {
          const v = x[(n * C + k) * L + p]!;
          s += v * v;
        }
        const i = (n * C + c) * L + p;
        out[i] = x[i]! / Math.pow(bias + (alpha / size) * s, beta);
      }
  return out;
}

/** Caffe's WITHIN_CHANNEL LRN: a size x size zero-padded window of squares, averaged over size^2. */
export function lrnWithinChannel(x: F32, xs: Shape, size: number, alpha: number, beta: number): F32 {
  const [N, C, H, W] = xs as [number, number, number, number];
  const out = new Float32Array(x.length);
  const half = (size - 1) / 2;
  for (let nc = 0; nc < N * C; nc++) {
    const b = nc * H * W;
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++) {
        let s = 0;
        for (let i = Math.max(0, y - half); i <= Math.min(H - 1, y + half); i++)
          for (let j = Math.max(0, xx - half); j <= Math.min(W - 1, xx + half); j++) {
            const v = x[b + i * W + j]!;
            s += v * v;
          }
        const k = b + y * W + xx;
        out[k] = x[k]! * Math.pow(1 + (alpha / (size * size)) * s, -beta);
      }
  }
  return out;
}

export function batchNorm(x: F32, xs: Shape, scale: F32, bias: F32, mean: F32, variance: F32, eps: number): F32 {
  const C = xs[1]!;
  const L = numel(xs.slice(2));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / L) % C;
    out[i] = (scale[c]! * (x[i]! - mean[c]!)) / Math.sqrt(variance[c]! + eps) + bias[c]!;
  }
  return out;
}

export function gemm(A: F32, As: Shape, B: F32, Bs: Shape, C: F32 | undefined, Cs: Shape | undefined, alpha: number, beta: number, transA: boolean, transB: boolean): F32 {
  const M = transA ? As[1]! : As[0]!;
  const K = transA ? As[0]! : As[1]!;
  const N = transB ? Bs[0]! : Bs[1]!;
  const out = new Float32Array(M * N);
  const acc = new Float64Array(N);
  const cb = C ? broadcastBinary(new Float32Array(M * N), [M, N], C, Cs!, (_, c) => c).data : undefined;
  for (let m = 0; m < M; m++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const av = transA ? A[k * M + m]! : A[m * K + k]!;
      if (av === 0) continue;
      if (transB) for (let n = 0; n < N; n++) acc[n] += av * B[n * K + k]!;
      else {
        const base = k * N;
        for (let n = 0; n < N; n++) acc[n] += av * B[base + n]!;
      }
    }
    for (let n = 0; n < N; n++) out[m * N + n] = alpha * acc[n]! + (cb ? beta * cb[m * N + n]! : 0);
  }
  return out;
}

export function matmul(A: F32, As: Shape, B: F32, Bs: Shape, outShape: Shape): F32 {
  const a2 = As.length === 1 ? [1, As[0]!] : As;
  const b2 = Bs.length === 1 ? [Bs[0]!, 1] : Bs;
  const M = a2[a2.length - 2]!;
  const K = a2[a2.length - 1]!;
  const N = b2[b2.length - 1]!;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  const nb = numel(batch);
  const out = new Float32Array(nb * M * N);
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  for (let bi = 0; bi < nb; bi++) {
    const ai = aBatch.length ? broadcastIndex(bi, batch, aBatch) : 0;
    const bj = bBatch.length ? broadcastIndex(bi, batch, bBatch) : 0;
    const r = gemm(A.subarray(ai * M * K, (ai + 1) * M * K), [M, K], B.subarray(bj * K * N, (bj + 1) * K * N), [K, N], undefined, undefined, 1, 0, false, false);
    out.set(r, bi * M * N);
  }
  if (out.length !== numel(outShape)) throw new Error('matmul: output size mismatch');
  return out;
}

export function mapUnary(x: F32, f: (v: number) => number): F32 {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}
