// A minimal tiler for tests and benchmarks: one layer (conv, depthwise, pool, eltwise) on HWC tensors
// in DDR, turned into a correct .dnnasm program (loads, INITs, one compute instruction per tile, saves,
// dependency masks). It is deliberately simple (the whole input and output stay on chip), and it is no
// substitute for the compiler's code generator; it exists so that random layers can be checked against
// the reference implementations, and so that benchmarks have large programs to run.
//
// On-chip layout (the one isa-fields.md describes): a feature map of `cg` channel groups lives in one
// image bank group; with `stride` rows per bank, image row r goes to bank (r div stride) mod PP, address
// group (r div stride) div PP, slot r mod stride; pixel x of it at
//   group x stride x pitch + slot x pitch + x x cg      (pitch = width x cg addresses per row).

import type { Arch } from '../../arch/model';
import { bankName } from '../../arch/model';
import { outSize, type Activation, type Pads, type PoolType } from './reference';

export interface ConvLayer {
  readonly kind: 'conv';
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly k: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pads: Pads;
  readonly act: Activation;
  readonly shiftCut: number;
  readonly shiftBias: number;
}

export interface DepthwiseLayer {
  readonly kind: 'depthwise';
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pads: Pads;
  readonly act: Activation;
  readonly shiftCut: number;
  readonly shiftBias: number;
}

export interface PoolLayer {
  readonly kind: 'pool';
  readonly type: PoolType;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pads: Pads;
  readonly shiftCut: number;
}

export interface EltwiseLayer {
  readonly kind: 'eltwise';
  readonly type: 'add' | 'mult';
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly shiftRead: readonly number[];
  readonly shiftWrite: number;
  readonly relu: boolean;
}

export type Layer = ConvLayer | DepthwiseLayer | PoolLayer | EltwiseLayer;

export interface TileOptions {
  /** Most output columns per instruction (default: the whole row, up to 64). */
  readonly maxLength?: number;
  /** Output rows per bank (stride_out); default 1. */
  readonly outStride?: number;
  /** Zero the padding channels with channel_offset instead of relying on the LOAD zero-fill. */
  readonly channelOffset?: boolean;
  /** Layer name for the `.layer` marker. */
  readonly name?: string;
}

export interface TiledLayer {
  readonly text: string;
  /** DDR regions by name, with their sizes: input (input0.. for eltwise), weights, bias, output. */
  readonly regions: Readonly<Record<string, number>>;
  readonly out: { readonly h: number; readonly w: number; readonly c: number };
}

const ACT_NAMES: Record<Activation, string> = { none: 'none', relu: 'relu', leaky_relu: 'leaky_relu', relu6: 'relu6' };

/** Modulo that is never negative. */
function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

class Layout {
  readonly pitch: number;
  readonly groupPitch: number;
  constructor(
    readonly arch: Arch,
    readonly groupBase: number,
    readonly w: number,
    readonly cg: number,
    readonly stride: number,
    readonly base: number,
  ) {
    this.pitch = w * cg;
    this.groupPitch = stride * this.pitch;
  }
  /** Addresses each bank needs for `rows` rows. */
  span(rows: number): number {
    return Math.ceil(Math.ceil(rows / this.stride) / this.arch.dpu.pp) * this.groupPitch;
  }
  at(row: number, x: number): { bank: number; addr: number } {
    const PP = this.arch.dpu.pp;
    const q = Math.floor(row / this.stride);
    const slot = row - q * this.stride;
    const g = Math.floor(q / PP);
    return { bank: this.groupBase + mod(q, PP), addr: mod(this.base + g * this.groupPitch + slot * this.pitch + x * this.cg, this.arch.dpu.bankDepth) };
  }
  /** The bank walk of a tile whose first row is `r0` and first column `c0` (both may be negative). */
  walk(r0: number, c0: number): { bank: number; slot: number; bases: number[] } {
    const PP = this.arch.dpu.pp;
    const q0 = Math.floor(r0 / this.stride);
    const g0 = Math.floor(q0 / PP);
    const bases = [0, 1, 2, 3].map((k) => mod(this.base + (g0 + k) * this.groupPitch + c0 * this.cg, this.arch.dpu.bankDepth));
    return { bank: this.groupBase + mod(q0, PP), slot: r0 - q0 * this.stride, bases };
  }
  /** Where an output tile starting at row `r0`, column `x0` is written (CONV output rule). */
  outTile(r0: number, x0: number, lane: number): { bank: number; addr: number; offset: number } {
    const PP = this.arch.dpu.pp;
    const q0 = Math.floor(r0 / this.stride);
    return {
      bank: this.groupBase + mod(q0, PP),
      addr: mod(this.base + Math.floor(q0 / PP) * this.groupPitch + x0 * this.cg + lane, this.arch.dpu.bankDepth),
      offset: r0 - q0 * this.stride,
    };
  }
}

/** The program for one layer; throws on a layer the simple layout cannot hold (a test-setup error). */
export function tileLayer(layer: Layer, arch: Arch, options: TileOptions = {}): TiledLayer {
  const dpu = arch.dpu;
  const PP = dpu.pp;
  const ICP = dpu.icp;
  const OCP = dpu.ocp;
  const depth = dpu.bankDepth;
  const vb = (g: number) => arch.bankGroups.find((b) => b.name === `VB${g}`)!.baseId;
  const name = (id: number) => bankName(arch, id)!;
  const lines: string[] = [`.arch ${arch.name}`];
  const cg = Math.ceil(layer.c / ICP);
  const outStride = options.outStride ?? 1;

  const isConv = layer.kind === 'conv';
  const isMisc = !isConv;
  const engine = isConv ? 'CONV' : 'MISC';
  const reduce = layer.kind === 'pool' && layer.type === 'max_reduce';
  const kh = layer.kind === 'eltwise' ? 1 : layer.kh;
  const kw = layer.kind === 'eltwise' ? 1 : layer.kw;
  const sh = layer.kind === 'eltwise' ? 1 : reduce ? kh : layer.sh;
  const sw = layer.kind === 'eltwise' ? 1 : reduce ? kw : layer.sw;
  const pads = layer.kind === 'eltwise' || reduce ? { top: 0, left: 0, bottom: 0, right: 0 } : layer.pads;
  const ho = outSize(layer.h, kh, sh, pads.top, pads.bottom);
  const wo = outSize(layer.w, kw, sw, pads.left, pads.right);
  const k = layer.kind === 'conv' ? layer.k : layer.c;
  const cgo = Math.ceil(k / (isConv ? OCP : ICP));
  const inputs = layer.kind === 'eltwise' ? (layer.type === 'mult' ? 2 : layer.shiftRead.length) : 1;
  const rowsPerTile = layer.kind === 'conv' ? PP : layer.kind === 'depthwise' ? dpu.dwPP : layer.kind === 'pool' ? dpu.poolPP : dpu.elewPP;
  const maxLen = Math.min(options.maxLength ?? 64, wo);

  // Input images in VB0 (eltwise inputs one after another), the output in VB1.
  const inSpan = new Layout(arch, vb(0), layer.w, cg, sh, 0).span(layer.h);
  const inLayouts = Array.from({ length: inputs }, (_, i) => new Layout(arch, vb(0), layer.w, cg, sh, i * inSpan));
  const outLayout = new Layout(arch, vb(1), wo, cgo, outStride, 0);
  if (inSpan * inputs > depth || outLayout.span(ho) > depth) throw new Error(`tileLayer: the layer does not fit the ${depth}-deep banks of ${arch.name}`);
  if (isMisc && cg * ICP > ICP * 256) throw new Error('tileLayer: too many channels');

  const inBytes = layer.h * layer.w * layer.c;
  const regions: Record<string, number> = {};
  if (layer.kind === 'eltwise') {
    for (let i = 0; i < inputs; i++) {
      lines.push(`.ddr input${i} reg=0 offset=${i * inBytes} size=${inBytes}`);
      regions[`input${i}`] = inBytes;
    }
  } else {
    lines.push(`.ddr input reg=0 size=${inBytes}`);
    regions['input'] = inBytes;
  }
  const kk = kh * kw;
  const weightBytes = layer.kind === 'conv' ? layer.k * kk * layer.c : layer.kind === 'depthwise' ? kk * layer.c : 0;
  const biasBytes = layer.kind === 'conv' ? layer.k : layer.kind === 'depthwise' ? layer.c : 0;
  if (weightBytes) {
    lines.push(`.ddr weights reg=1 size=${weightBytes}`);
    lines.push(`.ddr bias reg=1 offset=${weightBytes} size=${biasBytes}`);
    regions['weights'] = weightBytes;
    regions['bias'] = biasBytes;
  }
  const outBytes = ho * wo * k;
  lines.push(`.ddr output reg=2 size=${outBytes}`);
  regions['output'] = outBytes;
  lines.push(`.layer ${options.name ?? layer.kind}`);

  // Loads: the input rows, then weights and biases; the last one hands a token to the compute engine.
  const loads: string[] = [];
  for (let i = 0; i < inputs; i++)
    for (let r = 0; r < layer.h; r++) {
      const { bank, addr } = inLayouts[i]!.at(r, 0);
      const region = layer.kind === 'eltwise' ? `input${i}` : 'input';
      loads.push(`LOAD bank_id=${name(bank)} bank_addr=${addr} jump_write=${cg} jump_read=${layer.c} length=${layer.w} channel=${layer.c} reg_id=${region} ddr_addr=${region}+${r * layer.w * layer.c}`);
    }
  if (layer.kind === 'conv') {
    const convw = arch.bankGroups.find((g) => g.role === 'convWeights')!.baseId;
    const blocks = Math.ceil(layer.k / OCP);
    if (blocks * kk * cg > depth) throw new Error('tileLayer: the weights do not fit a CONVW bank');
    for (let o = 0; o < blocks * OCP; o++) {
      const addr = Math.floor(o / OCP) * kk * cg;
      const bank = name(convw + (o % OCP));
      // Output channels past k still get weights (zeros): a CONV always reads all OCP banks.
      if (o < layer.k) loads.push(`LOAD bank_id=${bank} bank_addr=${addr} jump_write=${cg} jump_read=${layer.c} length=${kk} channel=${layer.c} reg_id=weights ddr_addr=weights+${o * kk * layer.c}`);
      else loads.push(`LOAD bank_id=${bank} bank_addr=${addr} jump_write=${cg} jump_read=${layer.c} length=${kk} channel=${layer.c} reg_id=weights ddr_addr=weights broadcast=7 const_value=0`);
    }
    for (let b = 0; b < blocks; b++) {
      const n = Math.min(OCP, layer.k - b * OCP);
      loads.push(`LOAD bank_id=BIAS[0] bank_addr=${b} jump_write=1 jump_read=${n} length=1 channel=${n} reg_id=bias ddr_addr=bias+${b * OCP}`);
    }
  } else if (layer.kind === 'depthwise') {
    loads.push(`LOAD bank_id=DWCONVW[0] bank_addr=0 jump_write=${cg} jump_read=${layer.c} length=${kk} channel=${layer.c} reg_id=weights ddr_addr=weights`);
    loads.push(`LOAD bank_id=BIAS[0] bank_addr=0 jump_write=${cg} jump_read=${layer.c} length=1 channel=${layer.c} reg_id=bias ddr_addr=bias`);
  }
  loads[loads.length - 1] += ` dpdby=${engine}`;
  lines.push(...loads.map((l) => '    ' + l));

  // Compute, one instruction per tile (row block x column block x output-channel block), then the
  // saves of each row block once its last tile is done.
  const co = options.channelOffset ? cg * ICP - layer.c : 0;
  let lastInit = '';
  let firstCompute = true;
  const blocks = layer.kind === 'conv' ? Math.ceil(layer.k / OCP) : 1;
  for (let y0 = 0; y0 < ho; y0 += rowsPerTile) {
    const vpp = Math.min(rowsPerTile, ho - y0);
    const r0 = y0 * sh - pads.top;
    const rows = (vpp - 1) * sh + kh;
    const overBottom = Math.max(0, r0 + rows - layer.h);
    if (overBottom > kh - 1) throw new Error('tileLayer: bottom padding larger than the kernel');
    const tileInstrs: string[] = [];
    for (let x0 = 0; x0 < wo; x0 += maxLen) {
      const len = Math.min(maxLen, wo - x0);
      const c0 = x0 * sw - pads.left;
      const srcW = (len - 1) * sw + kw;
      const overRight = Math.max(0, c0 + srcW - layer.w);
      if (overRight > kw - 1) throw new Error('tileLayer: right padding larger than the kernel');
      const padTop = Math.max(0, -r0);
      const padLeft = Math.max(0, -c0);
      const padBottom = kh - 1 - overBottom;
      const padRight = kw - 1 - overRight;
      for (let b = 0; b < blocks; b++) {
        const walk = inLayouts[0]!.walk(r0, c0);
        const out = outLayout.outTile(y0, x0, b);
        const basesText = `bank_addr_in=${walk.bases[0]} bank_addr_in_1=${walk.bases[1]} bank_addr_in_2=${walk.bases[2]} bank_addr_in_3=${walk.bases[3]}`;
        let init = '';
        let op: string[] = [];
        switch (layer.kind) {
          case 'conv':
            init =
              `CONVINIT jump_read=${cg} shift_cut=${layer.shiftCut} act_type=${ACT_NAMES[layer.act]} jump_read_endl=${inLayouts[0]!.pitch} shift_bias=${layer.shiftBias} ` +
              `stride_out=${outStride} jump_write=${cgo} stride_offset_in=${walk.slot} valid_pixel_parallel=${vpp} kernel_h=${kh} stride_h=${sh} ` +
              `jump_write_endl=${outLayout.pitch} stride_offset_out=${out.offset} kernel_w=${kw} stride_w=${sw}`;
            op = [
              `CONV ${basesText} pad_top=${padTop} pad_left=${padLeft} pad_bottom=${padBottom} pad_right=${padRight} channel_group=${cg} ` +
              `bank_addr_weights=${b * kk * cg} bank_id_in=${name(walk.bank)} length=${len} bank_addr_bias=${b} bank_id_out=${name(out.bank)} bank_addr_out=${out.addr} channel_offset=${co}`,
            ];
            break;
          case 'depthwise':
            init =
              `DWINIT jump_read_endl=${inLayouts[0]!.pitch} jump_read=${cg} jump_write_endl=${outLayout.pitch} kernel_h=${kh} kernel_w=${kw} stride_h=${sh} stride_w=${sw} ` +
              `valid_pixel_parallel=${vpp} stride_offset_in=${walk.slot} shift_cut=${layer.shiftCut} shift_bias=${layer.shiftBias} stride_offset_out=${out.offset} stride_out=${outStride} jump_write=${cgo}`;
            op = [
              `DPTWISE ${basesText} channel_group=${cg} bank_addr_out=${out.addr} pad_top=${padTop} pad_left=${padLeft} pad_bottom=${padBottom} pad_right=${padRight} ` +
              `bank_addr_weights=0 bank_id_in=${name(walk.bank)} length=${len} act_type=${ACT_NAMES[layer.act]} bank_addr_bias=0 bank_id_out=${name(out.bank)} channel_offset=${co}`,
            ];
            break;
          case 'pool': {
            const poolKh = reduce ? 1 : kh;
            const poolKw = reduce ? 1 : kw;
            init =
              `POOLINIT jump_read=${cg} kernel_h=${poolKh} kernel_w=${poolKw} shift_cut=${layer.shiftCut} pool_type=${layer.type} stride_h=${reduce ? 1 : sh} stride_w=${reduce ? 1 : sw} ` +
              `stride_offset_in=${walk.slot} valid_pixel_parallel=${vpp} stride_offset_out=${out.offset} stride_out=${outStride} jump_write=${cgo}`;
            op = [
              `POOL ${basesText} channel_group=${cg} bank_id_in=${name(walk.bank)} pad_top=${padTop} pad_left=${padLeft} pad_bottom=${reduce ? 0 : padBottom} pad_right=${reduce ? 0 : padRight} ` +
              `jump_write_endl=${outLayout.pitch} bank_id_out=${name(out.bank)} length=${len} jump_read_endl=${inLayouts[0]!.pitch} bank_addr_out=${out.addr}` +
                (reduce ? ` downsample_kernel_w=${kw} downsample_kernel_h=${kh}` : ''),
            ];
            if (reduce && (kh > 8 || kw > 8)) throw new Error('tileLayer: max_reduce kernels above 8 do not fit POOLINIT stride fields');
            break;
          }
          case 'eltwise': {
            const parts: string[] = [];
            for (let i = 0; i < inputs; i++) {
              const at = inLayouts[i]!.at(y0, x0);
              parts.push(
                `ELEWINIT bank_id_in=${name(at.bank)} bank_addr_in=${at.addr} jump_read_endl=${inLayouts[i]!.groupPitch} id=${i} jump_bank=1 jump_read=${cg} shift_read=${layer.shiftRead[i] ?? 0}`,
              );
            }
            if (outStride !== 1) throw new Error('tileLayer: eltwise output rows are one per bank');
            init = '';
            op = [
              ...parts,
              `ELEW length=${len} act_type=${layer.relu ? 'relu' : 'none'} elew_type=${layer.type} bank_id_out=${name(out.bank)} bank_addr_out=${out.addr} ` +
              `jump_write_endl=${outLayout.groupPitch} num=${inputs} valid_pixel_parallel=${vpp} jump_write=${cgo} shift_write=${layer.shiftWrite} channel_group=${cg}`,
            ];
            break;
          }
        }
        if (init && init !== lastInit) {
          tileInstrs.push(init);
          lastInit = init;
        }
        if (firstCompute) {
          // The first compute instruction (for eltwise, the ELEW; ELEWINITs read nothing) waits for the loads.
          op[op.length - 1] = op[op.length - 1]!.replace(/^(\w+) /, '$1 dpdon=LOAD ');
          firstCompute = false;
        }
        tileInstrs.push(...op);
      }
    }
    // The row block's last compute instruction lets the saves of its rows go.
    const last = tileInstrs.length - 1;
    tileInstrs[last] = tileInstrs[last]!.replace(/^(\w+) /, '$1 dpdby=SAVE ');
    lines.push(...tileInstrs.map((l) => '    ' + l));
    for (let y = y0; y < y0 + vpp; y++) {
      const { bank, addr } = outLayout.at(y, 0);
      const dep = y === y0 ? ` dpdon=${engine}` : '';
      lines.push(`    SAVE${dep} bank_id=${name(bank)} bank_addr=${addr} jump_read=${cgo} jump_write=${k} length=${wo} channel=${k} reg_id=output ddr_addr=output+${y * wo * k}`);
    }
  }
  lines.push('    END');
  return { text: lines.join('\n') + '\n', regions, out: { h: ho, w: wo, c: k } };
}
