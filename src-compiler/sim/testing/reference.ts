// Plain reference implementations of the DPU's operations on HWC int8 tensors, for checking the
// functional simulator. They know nothing of banks, tiles or instructions, and they round with BigInt
// rational arithmetic, independently of numerics.ts, following isa-fields.md N2, N4, N5 and N6:
// saturate to int8, round half up; conv bias as 2 acc + bias 2^shift_bias over 2^(shift_cut+1);
// pooling factors by kernel width; eltwise pre-shifts and /4 (add) or /16 (mult).

export interface Tensor {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** [row][column][channel]. */
  readonly data: Int8Array;
}

export type Activation = 'none' | 'relu' | 'leaky_relu' | 'relu6';

export interface Pads {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

export interface ConvParams {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pads: Pads;
  readonly act: Activation;
  readonly shiftCut: number;
  readonly shiftBias: number;
}

export function tensor(h: number, w: number, c: number, data?: Int8Array): Tensor {
  return { h, w, c, data: data ?? new Int8Array(h * w * c) };
}

export function outSize(n: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((n + before + after - k) / s) + 1;
}

/** floor(num / den + 1/2) for den > 0, exactly. */
function roundHalfUp(num: bigint, den: bigint): bigint {
  const a = 2n * num + den;
  const b = 2n * den;
  let q = a / b;
  if (q * b > a) q -= 1n; // BigInt division truncates toward zero; make it floor.
  return q;
}

function sat(x: bigint): number {
  return x > 127n ? 127 : x < -128n ? -128 : Number(x);
}

/** The activation on t = v / 2^k, then DPURound. */
function activateRound(v: bigint, k: number, act: Activation): number {
  const den = 1n << BigInt(k);
  switch (act) {
    case 'none':
      return sat(roundHalfUp(v, den));
    case 'relu':
      return sat(roundHalfUp(v < 0n ? 0n : v, den));
    case 'leaky_relu':
      return v < 0n ? sat(roundHalfUp(26n * v, den * 256n)) : sat(roundHalfUp(v, den));
    case 'relu6': {
      const r = sat(roundHalfUp(v, den));
      return Math.min(96, Math.max(0, r));
    }
  }
}

/** Convolution; weights [k][kh][kw][c], one bias per output channel. */
export function refConv(input: Tensor, weights: Int8Array, bias: Int8Array, k: number, p: ConvParams): Tensor {
  const ho = outSize(input.h, p.kh, p.sh, p.pads.top, p.pads.bottom);
  const wo = outSize(input.w, p.kw, p.sw, p.pads.left, p.pads.right);
  const out = tensor(ho, wo, k);
  for (let y = 0; y < ho; y++)
    for (let x = 0; x < wo; x++)
      for (let o = 0; o < k; o++) {
        let acc = 0;
        for (let i = 0; i < p.kh; i++)
          for (let j = 0; j < p.kw; j++) {
            const iy = y * p.sh + i - p.pads.top;
            const ix = x * p.sw + j - p.pads.left;
            if (iy < 0 || iy >= input.h || ix < 0 || ix >= input.w) continue;
            for (let c = 0; c < input.c; c++) acc += input.data[(iy * input.w + ix) * input.c + c]! * weights[((o * p.kh + i) * p.kw + j) * input.c + c]!;
          }
        const v = 2n * BigInt(acc) + (BigInt(bias[o]!) << BigInt(p.shiftBias));
        out.data[(y * wo + x) * k + o] = activateRound(v, p.shiftCut + 1, p.act);
      }
  return out;
}

/** Depthwise convolution; weights [kh][kw][c], one bias per channel. */
export function refDepthwise(input: Tensor, weights: Int8Array, bias: Int8Array, p: ConvParams): Tensor {
  const ho = outSize(input.h, p.kh, p.sh, p.pads.top, p.pads.bottom);
  const wo = outSize(input.w, p.kw, p.sw, p.pads.left, p.pads.right);
  const out = tensor(ho, wo, input.c);
  for (let y = 0; y < ho; y++)
    for (let x = 0; x < wo; x++)
      for (let c = 0; c < input.c; c++) {
        let acc = 0;
        for (let i = 0; i < p.kh; i++)
          for (let j = 0; j < p.kw; j++) {
            const iy = y * p.sh + i - p.pads.top;
            const ix = x * p.sw + j - p.pads.left;
            if (iy < 0 || iy >= input.h || ix < 0 || ix >= input.w) continue;
            acc += input.data[(iy * input.w + ix) * input.c + c]! * weights[(i * p.kw + j) * input.c + c]!;
          }
        const v = 2n * BigInt(acc) + (BigInt(bias[c]!) << BigInt(p.shiftBias));
        out.data[(y * wo + x) * input.c + c] = activateRound(v, p.shiftCut + 1, p.act);
      }
  return out;
}

export type PoolType = 'max' | 'avg' | 'max_reduce';

export interface PoolParams {
  readonly type: PoolType;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pads: Pads;
  readonly shiftCut: number;
}

/** The average factor by kernel width (isa-fields.md N5), as a rational. */
export function refAvgFactor(kw: number, kh: number): [bigint, bigint] {
  const table: Record<number, [number, number]> = { 3: [28, 256], 5: [10, 256], 6: [7, 256], 7: [21, 1024] };
  const f = table[kw];
  return f ? [BigInt(f[0]), BigInt(f[1])] : [1n, BigInt(kw * kh)];
}

/** Max, average (padding counts as 0 in the sum) or max_reduce (kernel = stride, no padding) pooling. */
export function refPool(input: Tensor, p: PoolParams): Tensor {
  const reduce = p.type === 'max_reduce';
  const pads = reduce ? { top: 0, left: 0, bottom: 0, right: 0 } : p.pads;
  const sh = reduce ? p.kh : p.sh;
  const sw = reduce ? p.kw : p.sw;
  const ho = outSize(input.h, p.kh, sh, pads.top, pads.bottom);
  const wo = outSize(input.w, p.kw, sw, pads.left, pads.right);
  const out = tensor(ho, wo, input.c);
  const [fn, fd] = p.type === 'avg' ? refAvgFactor(p.kw, p.kh) : [1n, 1n];
  for (let y = 0; y < ho; y++)
    for (let x = 0; x < wo; x++)
      for (let c = 0; c < input.c; c++) {
        let value = p.type === 'avg' ? 0 : -128;
        for (let i = 0; i < p.kh; i++)
          for (let j = 0; j < p.kw; j++) {
            const iy = y * sh + i - pads.top;
            const ix = x * sw + j - pads.left;
            const inside = iy >= 0 && iy < input.h && ix >= 0 && ix < input.w;
            const t = inside ? input.data[(iy * input.w + ix) * input.c + c]! : p.type === 'avg' ? 0 : -128;
            if (p.type === 'avg') value += t;
            else value = Math.max(value, t);
          }
        let num = BigInt(value) * fn;
        let den = fd;
        if (p.shiftCut < 8) num <<= BigInt(p.shiftCut);
        else den <<= BigInt(p.shiftCut - 8);
        out.data[(y * wo + x) * input.c + c] = sat(roundHalfUp(num, den));
      }
  return out;
}

export interface EltwiseParams {
  readonly type: 'add' | 'mult';
  readonly shiftRead: readonly number[];
  readonly shiftWrite: number;
  readonly relu: boolean;
}

/** Element-wise add of up to four inputs, or product of two. */
export function refEltwise(inputs: readonly Tensor[], p: EltwiseParams): Tensor {
  const a = inputs[0]!;
  const out = tensor(a.h, a.w, a.c);
  for (let k = 0; k < a.data.length; k++) {
    // (x << 2) >> shift_read: floor(4 x / 2^shift_read).
    const pre = inputs.map((t, i) => {
      const v = BigInt(t.data[k]!) * 4n;
      const d = 1n << BigInt(p.shiftRead[i] ?? 0);
      let q = v / d;
      if (q * d > v) q -= 1n;
      return q;
    });
    let s = p.type === 'add' ? pre.reduce((x, y) => x + y, 0n) : pre[0]! * pre[1]!;
    if (p.relu && s < 0n) s = 0n;
    let num = s;
    let den = p.type === 'add' ? 4n : 16n;
    if (p.shiftWrite < 16) num <<= BigInt(p.shiftWrite);
    else den <<= BigInt(p.shiftWrite - 16);
    out.data[k] = sat(roundHalfUp(num, den));
  }
  return out;
}

/** A small deterministic generator (mulberry32) for test data and fixtures: same seed, same bytes. */
export function seededBytes(seed: number, n: number, lo = -128, hi = 127): Int8Array {
  let s = seed >>> 0;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + Math.floor(r * (hi - lo + 1));
  }
  return out;
}
