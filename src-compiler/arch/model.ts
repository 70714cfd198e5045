// The architecture model: one DPU configuration (parallelism, banks, engines, limits) placed on a board
// (cores, clock, DDR). Compiler, simulators and language server read hardware facts only from here.
//
// Every figure of a preset carries its source (see presets.ts). Derived figures (peak ops/s, bank
// bytes, DDR bytes per cycle) are computed here and nowhere else.

import type { BankRole } from '../isa/table';

/** The activation names the CONV engine of a configuration supports (Vitis AI `nonlinear_type`). */
export type Nonlinear = 'relu' | 'leaky_relu' | 'relu6';

export interface DpuConfig {
  /** PG338 name, e.g. "B4096". */
  readonly name: string;
  /** Pixel parallelism: output rows per CONV. */
  readonly pp: number;
  /** Input channel parallelism: also the width of every bank in bytes. */
  readonly icp: number;
  /** Output channel parallelism: also the number of CONVW banks. */
  readonly ocp: number;
  /** Addresses per bank. */
  readonly bankDepth: number;
  /** Image bank groups: 2 (VB0, VB1), or 3 with high RAM usage (VB2). */
  readonly imageBankGroups: number;
  /** Rows per POOL, per DPTWISE and per ELEW: the MISC engine's own pixel parallelism. */
  readonly poolPP: number;
  readonly dwPP: number;
  readonly elewPP: number;
  /** Channels per cycle of the MISC engine (per pixel). */
  readonly miscCP: number;
  readonly convKernel: readonly [number, number];
  readonly convStride: readonly [number, number];
  /** Activations the CONV engine supports. */
  readonly nonlinear: readonly Nonlinear[];
  /** Channel augmentation width of the first layer (Vitis AI `channel_augmentation.channel_num`). */
  readonly channelAugmentation: number;
  /** CONV pipeline depth in cycles (read, pad, MAC tree, bias, shift, activation, write). */
  readonly convPipelineCycles: number;
  /** MISC pipeline depth in cycles. */
  readonly miscPipelineCycles: number;
  /** Cycles an INIT instruction (CONVINIT, POOLINIT, DWINIT, ELEWINIT) occupies its engine. */
  readonly initCycles: number;
}

export interface DdrSpec {
  /** Memory type for display, e.g. "DDR4-2400". */
  readonly type: string;
  readonly busWidthBits: number;
  readonly megaTransfersPerSecond: number;
  /** Fraction of the peak that streaming transfers sustain (a modelling assumption; see sources). */
  readonly efficiency: number;
  /** First-byte latency of a read or write burst, seen from the DPU. */
  readonly latencyNs: number;
}

/** The per-core AXI data ports through which a DPU core reaches DDR. */
export interface AxiSpec {
  readonly dataPorts: number;
  readonly portBytes: number;
}

/** What an architecture file (JSON) or preset says; `Arch` adds what derives from it. */
export interface ArchSpec {
  readonly name: string;
  readonly description: string;
  readonly dpu: DpuConfig;
  readonly cores: number;
  readonly frequencyMHz: number;
  readonly ddr: DdrSpec;
  readonly axi: AxiSpec;
  /** Where each figure comes from, keyed by the figure ("cores", "ddr", ...). */
  readonly sources: Readonly<Record<string, string>>;
}

export interface BankGroup {
  readonly name: string;
  readonly role: BankRole;
  /** Global id of the group's first bank. */
  readonly baseId: number;
  readonly count: number;
  /** Bytes per address. */
  readonly width: number;
  /** Addresses per bank. */
  readonly depth: number;
}

export interface Arch extends ArchSpec {
  readonly bankGroups: readonly BankGroup[];
  /** bankGroupOf[id] is the group of global bank id `id`, or undefined. */
  readonly bankGroupOf: readonly (BankGroup | undefined)[];
  readonly derived: DerivedFigures;
}

export interface DerivedFigures {
  /** 2 x PP x ICP x OCP: one MAC is two ops. */
  readonly peakOpsPerCyclePerCore: number;
  readonly macsPerCyclePerCore: number;
  readonly peakOpsPerSecond: number;
  readonly frequencyHz: number;
  /** Bus width x transfer rate. */
  readonly ddrPeakBytesPerSecond: number;
  /** Peak x efficiency: what the timing model lets all cores together move. */
  readonly ddrBytesPerSecond: number;
  readonly ddrBytesPerCycle: number;
  /** Per core, through its AXI data ports, per DPU cycle. */
  readonly axiBytesPerCyclePerCore: number;
  /** The most one core can move per cycle: its AXI ports, or the whole board's DDR if that is less. */
  readonly coreDdrBytesPerCycle: number;
  readonly ddrLatencyCycles: number;
  readonly bankBytes: number;
  readonly imageGroupBytes: number;
  readonly weightBytes: number;
  readonly onChipBytes: number;
  /** Ops per DDR byte above which a layer is compute-bound on the whole device (the roofline ridge). */
  readonly ridgeOpsPerByte: number;
}

/** The banks of a configuration, in global-id order: VB0, VB1 (VB2), CONVW, DWCONVW, BIAS. The order
 * and ids match the Vitis AI ISA1 target descriptions (B4096: VB0 0..7, VB1 8..15, CONVW 16..31,
 * DWCONVW 32, BIAS 33). */
export function bankGroupsOf(dpu: DpuConfig): BankGroup[] {
  const groups: BankGroup[] = [];
  let id = 0;
  const add = (name: string, role: BankRole, count: number) => {
    groups.push({ name, role, baseId: id, count, width: dpu.icp, depth: dpu.bankDepth });
    id += count;
  };
  for (let g = 0; g < dpu.imageBankGroups; g++) add(`VB${g}`, 'image', dpu.pp);
  add('CONVW', 'convWeights', dpu.ocp);
  add('DWCONVW', 'dwWeights', 1);
  add('BIAS', 'bias', 1);
  return groups;
}

export function deriveArch(spec: ArchSpec): Arch {
  const groups = bankGroupsOf(spec.dpu);
  const bankGroupOf: (BankGroup | undefined)[] = [];
  for (const g of groups) for (let i = 0; i < g.count; i++) bankGroupOf[g.baseId + i] = g;
  const { dpu } = spec;
  const f = spec.frequencyMHz * 1e6;
  const macs = dpu.pp * dpu.icp * dpu.ocp;
  const ddrPeak = (spec.ddr.busWidthBits / 8) * spec.ddr.megaTransfersPerSecond * 1e6;
  const ddr = ddrPeak * spec.ddr.efficiency;
  const bankBytes = dpu.icp * dpu.bankDepth;
  const peakOps = 2 * macs * spec.cores * f;
  const derived: DerivedFigures = {
    peakOpsPerCyclePerCore: 2 * macs,
    macsPerCyclePerCore: macs,
    peakOpsPerSecond: peakOps,
    frequencyHz: f,
    ddrPeakBytesPerSecond: ddrPeak,
    ddrBytesPerSecond: ddr,
    ddrBytesPerCycle: ddr / f,
    axiBytesPerCyclePerCore: spec.axi.dataPorts * spec.axi.portBytes,
    coreDdrBytesPerCycle: Math.min(spec.axi.dataPorts * spec.axi.portBytes, ddr / f),
    ddrLatencyCycles: Math.round((spec.ddr.latencyNs * 1e-9) * f),
    bankBytes,
    imageGroupBytes: bankBytes * dpu.pp,
    weightBytes: bankBytes * dpu.ocp,
    onChipBytes: groups.reduce((s, g) => s + g.count * g.width * g.depth, 0),
    ridgeOpsPerByte: peakOps / ddr,
  };
  return Object.freeze({ ...spec, bankGroups: Object.freeze(groups), bankGroupOf: Object.freeze(bankGroupOf), derived });
}

const groupsByName = new WeakMap<Arch, Map<string, BankGroup>>();

/** The group named `name` (case-insensitive), if the architecture has it. */
export function bankGroupByName(arch: Arch, name: string): BankGroup | undefined {
  let m = groupsByName.get(arch);
  if (!m) groupsByName.set(arch, (m = new Map(arch.bankGroups.flatMap((g) => [[g.name, g], [g.name.toLowerCase(), g]]))));
  return m.get(name) ?? m.get(name.toUpperCase());
}

/** Symbolic name of a global bank id: `VB0[3]`, `CONVW[12]`, `BIAS[0]`; undefined if absent. */
export function bankName(arch: Arch, id: number): string | undefined {
  const g = arch.bankGroupOf[id];
  return g ? `${g.name}[${id - g.baseId}]` : undefined;
}
