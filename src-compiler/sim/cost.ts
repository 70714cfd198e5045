// The cost of every instruction, computed once per program into flat arrays for the timing simulator.
//
// docs/timing-model.md states each formula and where each constant comes from. In brief (decoded
// field values; INIT fields from the latest INIT of the kind before the instruction):
//   CONV     length x kernel_h x kernel_w x channel_group + convPipelineCycles
//            (PP rows x ICP input channels x OCP output channels of MACs per cycle)
//   DPTWISE  ceil(vpp / dwPP) x length x kernel_h x kernel_w x ceil(channel_group x ICP / miscCP) + miscPipelineCycles
//   POOL     ceil(vpp / poolPP) x length x kernel_h x kernel_w x ceil(channel_group x ICP / miscCP) + miscPipelineCycles
//   ELEW     ceil(vpp / elewPP) x length x num x ceil(channel_group x ICP / miscCP) + miscPipelineCycles
//   *INIT    initCycles
//   LOAD     DDR transfer of length x channel bytes (latency + bytes at a shared rate), at most one bank
//            address (bank width bytes) per cycle on the bank side; broadcast = 7 moves no DDR byte and
//            takes the bank-side cycles only
//   SAVE     DDR transfer of length x channel bytes (length with argmax), bank side as LOAD (none with const_en)
//   END      0

import type { Arch } from '../arch/model';
import { CONV, CONVINIT, DPTWISE, DWINIT, ELEW, LOAD, POOL, POOLINIT, SAVE } from './fields';
import { OP, described, type SimProblem, type SimProgram } from './program';

export const FIXED = 0;
export const DDR = 1;

export interface InstrCosts {
  /** FIXED: a known number of cycles; DDR: a transfer whose duration depends on the shared DDR. */
  readonly kind: Uint8Array;
  /** FIXED: the duration. DDR: the bank-side minimum (cycles to read or write the bank addresses). */
  readonly cycles: Float64Array;
  /** DDR bytes moved. */
  readonly bytes: Float64Array;
  /** Multiply-accumulates of valid output rows (CONV, DPTWISE). */
  readonly macs: Float64Array;
  /** Operations: 2 per MAC, 1 per pooled input element or eltwise input element. */
  readonly ops: Float64Array;
  /** Sums over the program. */
  readonly totalMacs: number;
  readonly totalOps: number;
  readonly totalBytes: number;
  /** Missing INITs (the costs then assume 1x1 kernels and full rows). */
  readonly problems: SimProblem[];
}

export function instructionCosts(p: SimProgram): InstrCosts {
  const n = p.count;
  const { arch } = p;
  const dpu = arch.dpu;
  const kind = new Uint8Array(n);
  const cycles = new Float64Array(n);
  const bytes = new Float64Array(n);
  const macs = new Float64Array(n);
  const ops = new Float64Array(n);
  const totals = new Float64Array(3);
  const noInit: number[] = [];
  // Bytes per address of each bank id (the configuration's ICP for ids the architecture lacks: the
  // functional simulator and the assembler report those; timing only needs a width).
  const width = Int32Array.from({ length: 64 }, (_, id) => arch.bankGroupOf[id]?.width ?? dpu.icp);
  fillCosts(p.instrs, n, dpu, dpu.initCycles, width, kind, cycles, bytes, macs, ops, totals, noInit);
  const problems: SimProblem[] = noInit.map((i) => {
    const init = p.instrs[i]!.spec.readsInit!;
    return {
      severity: 'error',
      code: 'no-init',
      instr: i,
      message: `${described(p, i)} has no ${init} before it, so its kernel, strides and shifts are unset: add a ${init} earlier in the program`,
    };
  });
  return { kind, cycles, bytes, macs, ops, totalMacs: totals[0]!, totalOps: totals[1]!, totalBytes: totals[2]!, problems };
}

/**
 * The loop of instructionCosts, apart from its allocations. Each run of a simulator calls it once, so
 * how soon V8 runs it optimized matters as much as the code: V8 compiles a small loop function over
 * plain arrays quickly, and keeps its code when nothing in it was left unvisited by the interpreter.
 * Hence the shape: parameters only before the loop (code there runs before V8 collects type feedback
 * on a function's first call), and each case computes its costs into locals that one set of stores
 * after the switch writes (a store only an INIT at the very start of a program reaches would have no
 * feedback either). Writes each instruction's costs, the sums (totals: MACs, ops, bytes) and the
 * instructions that lack their INIT (noInit).
 */
function fillCosts(
  instrs: SimProgram['instrs'],
  n: number,
  dpu: Arch['dpu'],
  initCycles: number,
  width: Int32Array,
  kind: Uint8Array,
  cycles: Float64Array,
  bytes: Float64Array,
  macs: Float64Array,
  ops: Float64Array,
  totals: Float64Array,
  noInit: number[],
): void {
  let totalMacs = 0;
  let totalOps = 0;
  let totalBytes = 0;
  let convInit: number[] | undefined;
  let poolInit: number[] | undefined;
  let dwInit: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const ins = instrs[i]!;
    const v = ins.values;
    let k = FIXED;
    let c = 0;
    let b = 0;
    let m = 0;
    let o = 0;
    switch (ins.spec.opcode) {
      case OP.LOAD: {
        const len = v[LOAD.length]!;
        const ch = v[LOAD.channel]!;
        c = len * Math.ceil(ch / width[v[LOAD.bank_id]! & 63]!);
        if (v[LOAD.broadcast] !== 7) {
          k = DDR;
          b = len * ch;
        }
        break;
      }
      case OP.SAVE: {
        const len = v[SAVE.length]!;
        const ch = v[SAVE.channel]!;
        k = DDR;
        c = v[SAVE.const_en] ? 0 : len * Math.ceil(ch / width[v[SAVE.bank_id]! & 63]!);
        b = v[SAVE.argmax]! & 2 ? len : len * ch;
        break;
      }
      case OP.CONVINIT:
        convInit = v;
        c = initCycles;
        break;
      case OP.POOLINIT:
        poolInit = v;
        c = initCycles;
        break;
      case OP.DWINIT:
        dwInit = v;
        c = initCycles;
        break;
      case OP.ELEWINIT:
        c = initCycles;
        break;
      case OP.CONV: {
        if (!convInit) noInit.push(i);
        const kh = convInit ? convInit[CONVINIT.kernel_h]! : 1;
        const kw = convInit ? convInit[CONVINIT.kernel_w]! : 1;
        const vpp = convInit ? convInit[CONVINIT.valid_pixel_parallel]! : dpu.pp;
        const len = v[CONV.length]!;
        const cg = v[CONV.channel_group]!;
        const ic = Math.max(0, cg * dpu.icp - v[CONV.channel_offset]!);
        c = len * kh * kw * cg + dpu.convPipelineCycles;
        m = vpp * len * dpu.ocp * kh * kw * ic;
        o = 2 * m;
        break;
      }
      case OP.DPTWISE: {
        if (!dwInit) noInit.push(i);
        const kh = dwInit ? dwInit[DWINIT.kernel_h]! : 1;
        const kw = dwInit ? dwInit[DWINIT.kernel_w]! : 1;
        const vpp = dwInit ? dwInit[DWINIT.valid_pixel_parallel]! : dpu.dwPP;
        const len = v[DPTWISE.length]!;
        const channels = v[DPTWISE.channel_group]! * dpu.icp;
        c = Math.ceil(vpp / dpu.dwPP) * len * kh * kw * Math.ceil(channels / dpu.miscCP) + dpu.miscPipelineCycles;
        m = vpp * len * Math.max(0, channels - v[DPTWISE.channel_offset]!) * kh * kw;
        o = 2 * m;
        break;
      }
      case OP.POOL: {
        if (!poolInit) noInit.push(i);
        const reduce = poolInit !== undefined && poolInit[POOLINIT.pool_type] === 2;
        const kh = reduce ? v[POOL.downsample_kernel_h]! : poolInit ? poolInit[POOLINIT.kernel_h]! : 1;
        const kw = reduce ? v[POOL.downsample_kernel_w]! : poolInit ? poolInit[POOLINIT.kernel_w]! : 1;
        const vpp = poolInit ? poolInit[POOLINIT.valid_pixel_parallel]! : dpu.poolPP;
        const len = v[POOL.length]!;
        const channels = v[POOL.channel_group]! * dpu.icp;
        c = Math.ceil(vpp / dpu.poolPP) * len * kh * kw * Math.ceil(channels / dpu.miscCP) + dpu.miscPipelineCycles;
        o = vpp * len * channels * kh * kw;
        break;
      }
      case OP.ELEW: {
        const vpp = v[ELEW.valid_pixel_parallel]!;
        const len = v[ELEW.length]!;
        const num = v[ELEW.num]!;
        const channels = v[ELEW.channel_group]! * dpu.icp;
        c = Math.ceil(vpp / dpu.elewPP) * len * num * Math.ceil(channels / dpu.miscCP) + dpu.miscPipelineCycles;
        o = vpp * len * channels * num;
        break;
      }
      case OP.END:
        break;
    }
    kind[i] = k;
    cycles[i] = c;
    bytes[i] = b;
    macs[i] = m;
    ops[i] = o;
    totalMacs += m;
    totalOps += o;
    totalBytes += b;
  }
  totals[0] = totalMacs;
  totals[1] = totalOps;
  totals[2] = totalBytes;
}

/** A DDR transfer's bank side in bytes per cycle: bytes over the bank-side cycles (Infinity without one). */
export function bankRate(c: InstrCosts, i: number): number {
  return c.cycles[i]! > 0 ? c.bytes[i]! / c.cycles[i]! : Infinity;
}

/** An instruction's duration alone on the board: FIXED, its cycles; DDR, the latency plus its bytes at
 * the lowest of its bank side, its core's AXI ports and the board's DDR. */
export function soloCycles(arch: Arch, c: InstrCosts, i: number): number {
  if (c.kind[i] !== DDR) return c.cycles[i]!;
  const d = arch.derived;
  return d.ddrLatencyCycles + c.bytes[i]! / Math.min(bankRate(c, i), d.coreDdrBytesPerCycle);
}

/** Cycles an instruction needs at its engine's peak rate: CONV MACs / (PP x ICP x OCP), DPTWISE MACs /
 * (dwPP x miscCP), POOL and ELEW ops / (their PP x miscCP); 0 for the rest. The roofline's compute side. */
export function peakCycles(arch: Arch, c: InstrCosts, opcode: number, i: number): number {
  const dpu = arch.dpu;
  switch (opcode) {
    case OP.CONV:
      return c.macs[i]! / (dpu.pp * dpu.icp * dpu.ocp);
    case OP.DPTWISE:
      return c.macs[i]! / (dpu.dwPP * dpu.miscCP);
    case OP.POOL:
      return c.ops[i]! / (dpu.poolPP * dpu.miscCP);
    case OP.ELEW:
      return c.ops[i]! / (dpu.elewPP * dpu.miscCP);
    default:
      return 0;
  }
}
