// The weights blob (DDR register 1): every convolution's filters and biases in the order the LOADs
// read them into the weight banks.
//
// CONV: output channel o lives in CONVW bank o mod OCP; in a bank, the filters of output-channel group
// j follow one another, each F = kh x kw x cg addresses (kernel element (i, k) at (i kw + k) cg, its
// input channels spread over cg addresses of ICP bytes; channels past C are zero). The blob holds, for
// each weight tile (a run of output-channel groups loaded together), bank by bank, the tile's filters
// for that bank: one LOAD per bank per tile. Output channels past M (the last group's unused lanes)
// are zero filters with a zero bias, because a CONV reads every CONVW bank.
// DPTWISE: kernel element (i, k) at (i kw + k) cg addresses of the DWCONVW bank, channels c in lanes.
// Biases: one address (OCP int8 values) per output-channel group, or cg addresses for a depthwise.

import type { Arch } from '../arch/model';
import type { ConvOp } from './lower';

export interface ConvWeightLayout {
  /** Addresses per filter in a weight bank. */
  readonly filterAddrs: number;
  /** Output-channel groups. */
  readonly ocg: number;
  /** Input channel groups per filter. */
  readonly cg: number;
  /** Bytes of one bank's part of a tile of `n` groups. */
  readonly bankBytes: (n: number) => number;
}

export function convWeightLayout(op: ConvOp, arch: Arch, cin: number, cout: number): ConvWeightLayout {
  const { icp, ocp } = arch.dpu;
  const cg = Math.ceil(cin / op.groups / icp);
  const filterAddrs = op.kernel[0] * op.kernel[1] * cg;
  const ocg = Math.ceil(cout / op.groups / ocp);
  return { filterAddrs, ocg, cg, bankBytes: (n) => n * filterAddrs * icp };
}

/** A CONV's weights for output-channel groups [j0, j1) of channel group `grp`, bank-major, with its biases. */
export function convWeightTile(op: ConvOp, arch: Arch, cin: number, cout: number, grp: number, j0: number, j1: number): { weights: Int8Array; bias: Int8Array } {
  const { icp, ocp } = arch.dpu;
  const L = convWeightLayout(op, arch, cin, cout);
  const [kh, kw] = op.kernel;
  const Cg = cin / op.groups;
  const Mg = cout / op.groups;
  const w = op.q.weights; // [M, Cg, kh, kw]
  const n = j1 - j0;
  const weights = new Int8Array(ocp * n * L.filterAddrs * icp);
  for (let b = 0; b < ocp; b++)
    for (let jj = 0; jj < n; jj++) {
      const m = (j0 + jj) * ocp + b;
      if (m >= Mg) continue;
      const M = grp * Mg + m;
      const base = (b * n + jj) * L.filterAddrs * icp;
      for (let i = 0; i < kh; i++)
        for (let k = 0; k < kw; k++)
          for (let c = 0; c < Cg; c++) weights[base + ((i * kw + k) * L.cg) * icp + c] = w[((M * Cg + c) * kh + i) * kw + k]!;
    }
  const bias = new Int8Array(n * ocp);
  for (let jj = 0; jj < n; jj++)
    for (let b = 0; b < ocp; b++) {
      const m = (j0 + jj) * ocp + b;
      if (m < Mg) bias[jj * ocp + b] = op.q.bias[grp * Mg + m]!;
    }
  return { weights, bias };
}

/** A depthwise convolution's weights (DWCONVW layout) and biases (cg addresses). */
export function depthwiseWeights(op: ConvOp, arch: Arch, c: number): { weights: Int8Array; bias: Int8Array; cg: number } {
  const { icp } = arch.dpu;
  const cg = Math.ceil(c / icp);
  const [kh, kw] = op.kernel;
  const w = op.q.weights; // [C, 1, kh, kw]
  const weights = new Int8Array(kh * kw * cg * icp);
  for (let i = 0; i < kh; i++) for (let k = 0; k < kw; k++) for (let ch = 0; ch < c; ch++) weights[(i * kw + k) * cg * icp + ch] = w[(ch * kh + i) * kw + k]!;
  const bias = new Int8Array(cg * icp);
  bias.set(op.q.bias.subarray(0, c));
  return { weights, bias, cg };
}

/** Appends byte arrays into one blob, each at an aligned offset. */
export class Blob {
  private readonly parts: Int8Array[] = [];
  private size = 0;
  /** Tiles already in the blob, by the quantized weights they come from and how they were cut. */
  private readonly tiles = new WeakMap<object, Map<string, { wOff: number; bOff: number }>>();

  /**
   * Adds a weight tile and its biases once: layers that share their quantized weights (a batch's
   * copies of one convolution) share their bytes in DDR. `source` is the quantized weight array,
   * `cut` says which tile of it.
   */
  addOnce(source: object, cut: string, make: () => { weights: Int8Array; bias: Int8Array }): { wOff: number; bOff: number } {
    let bySource = this.tiles.get(source);
    if (!bySource) this.tiles.set(source, (bySource = new Map()));
    const hit = bySource.get(cut);
    if (hit) return hit;
    const { weights, bias } = make();
    const at = { wOff: this.add(weights), bOff: this.add(bias) };
    bySource.set(cut, at);
    return at;
  }
  add(data: Int8Array): number {
    const at = Math.ceil(this.size / 64) * 64;
    if (at > this.size) this.parts.push(new Int8Array(at - this.size));
    this.parts.push(data);
    this.size = at + data.length;
    return at;
  }
  get length(): number {
    return this.size;
  }
  bytes(): Int8Array {
    const out = new Int8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
