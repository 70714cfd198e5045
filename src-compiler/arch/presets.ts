// The published DPU configurations and the board presets. Every figure says where it comes from;
// figures no public document gives are marked as assumptions and explained.

import { deriveArch, type Arch, type ArchSpec, type DdrSpec, type DpuConfig } from './model';

const PG338 = 'Xilinx PG338 (DPU for Zynq UltraScale+ MPSoCs), "Architecture of the DPU" configuration table';
const VITIS_TARGET =
  'Vitis AI target descriptions DPUCZDX8G_ISA1_B1024/B4096 (../shared/models/targets): banks 2048 deep, ICP bytes wide; eltwise and ALU pixel_parallel 4 at PP 8; conv kernel 1-16, stride 1-8; relu, leaky_relu, relu6';

/** PP x ICP x OCP of each PG338 configuration (peak ops per cycle = 2 x PP x ICP x OCP). */
const PG338_TABLE: readonly [string, number, number, number][] = [
  ['B512', 4, 8, 8],
  ['B800', 4, 10, 10],
  ['B1024', 8, 8, 8],
  ['B1152', 4, 12, 12],
  ['B1600', 8, 10, 10],
  ['B2304', 8, 12, 12],
  ['B3136', 8, 14, 14],
  ['B4096', 8, 16, 16],
];

export const DPU_CONFIG_SOURCES: Readonly<Record<string, string>> = {
  'pp/icp/ocp': PG338,
  banks: VITIS_TARGET,
  'poolPP/dwPP/elewPP':
    'Vitis AI targets give pixel_parallel 4 for the eltwise and ALU engines at PP 8; for PP 4 configurations (not published) the model assumes PP/2 = 2 as well',
  convPipelineCycles:
    'assumption: 24 cycles of fill (bank read, padding, a log2(ICP)-deep adder tree, bias, shift, activation, write); no public figure',
  miscPipelineCycles: 'assumption: 12 cycles of fill; no public figure',
  initCycles:
    'assumption: 4 cycles for an INIT to latch its parameters into the engine (one per word of the longest INIT, CONVINIT); no public figure',
};

function config(name: string, pp: number, icp: number, ocp: number): DpuConfig {
  return Object.freeze({
    name,
    pp,
    icp,
    ocp,
    bankDepth: 2048,
    imageBankGroups: 2,
    poolPP: pp / 2,
    dwPP: pp / 2,
    elewPP: pp / 2,
    miscCP: icp,
    convKernel: [1, 16] as const,
    convStride: [1, 8] as const,
    nonlinear: Object.freeze(['relu', 'leaky_relu', 'relu6'] as const),
    channelAugmentation: 2 * icp,
    convPipelineCycles: 24,
    miscPipelineCycles: 12,
    initCycles: 4,
  });
}

export const DPU_CONFIGS: readonly DpuConfig[] = Object.freeze(PG338_TABLE.map(([n, pp, icp, ocp]) => config(n, pp, icp, ocp)));

export function dpuConfigByName(name: string): DpuConfig | undefined {
  return DPU_CONFIGS.find((c) => c.name.toUpperCase() === name.toUpperCase());
}

const DDR4_2400_X64: DdrSpec = {
  type: 'DDR4-2400, 64-bit',
  busWidthBits: 64,
  megaTransfersPerSecond: 2400,
  efficiency: 0.8,
  latencyNs: 200,
};

const LPDDR4_2133_X32: DdrSpec = {
  type: 'LPDDR4-2133, 32-bit',
  busWidthBits: 32,
  megaTransfersPerSecond: 2133,
  efficiency: 0.8,
  latencyNs: 200,
};

const DDR_ASSUMPTIONS = {
  'ddr.efficiency':
    'assumption: streaming DMA through the Zynq UltraScale+ PS DDR controller sustains about 80% of the peak transfer rate; refresh, bank conflicts and read/write turnarounds take the rest',
  'ddr.latencyNs': 'assumption: about 200 ns from an AXI request at the PL/PS boundary to the first data beat of a DDR read',
  axi: 'PG338: each DPU core has its data ports (DPU_DATA_AXI, 128 bits wide when configured for HP ports); the model gives a core 2 ports of 16 bytes per DPU cycle',
};

const AXI_2X128 = { dataPorts: 2, portBytes: 16 };

const BOARDS: readonly ArchSpec[] = [
  {
    name: 'ZU2',
    description: 'Ultra96-class ZU2 board: one B1152 core at 330 MHz on 32-bit LPDDR4-2133',
    dpu: dpuConfigByName('B1152')!,
    cores: 1,
    frequencyMHz: 330,
    ddr: LPDDR4_2133_X32,
    axi: AXI_2X128,
    sources: {
      cores: 'design brief (BRIEF.md section 2): 1 x B1152 at 330 MHz, the DNNVM paper\'s small configuration',
      frequencyMHz: 'design brief (BRIEF.md section 2)',
      ddr: 'Ultra96 board: 2 GB LPDDR4, 32-bit bus, 2133 MT/s (Avnet Ultra96 hardware user guide)',
      ...DDR_ASSUMPTIONS,
    },
  },
  {
    name: 'ZU9',
    description: 'ZCU102-class ZU9 board: three B4096 cores at 330 MHz sharing 64-bit DDR4-2400 (the DNNVM paper\'s platform)',
    dpu: dpuConfigByName('B4096')!,
    cores: 3,
    frequencyMHz: 330,
    ddr: DDR4_2400_X64,
    axi: AXI_2X128,
    sources: {
      cores: 'design brief (BRIEF.md section 2); DNNVM paper (arXiv 1902.07463): ZU9 at 330 MHz',
      frequencyMHz: 'DNNVM paper (arXiv 1902.07463): 330 MHz',
      ddr: 'ZCU102 board (Xilinx UG1182): PS-side DDR4 SODIMM, 64-bit, 2400 MT/s',
      ...DDR_ASSUMPTIONS,
    },
  },
  {
    name: 'ZCU102',
    description: 'Xilinx ZCU102 production reference: three B4096 cores at 281 MHz on 64-bit DDR4-2400',
    dpu: dpuConfigByName('B4096')!,
    cores: 3,
    frequencyMHz: 281,
    ddr: DDR4_2400_X64,
    axi: AXI_2X128,
    sources: {
      cores: 'Vitis AI ZCU102 DPU reference design: 3 x B4096 (BRIEF.md section 2)',
      frequencyMHz: 'Vitis AI ZCU102 DPU reference design: 281 MHz (BRIEF.md section 2)',
      ddr: 'ZCU102 board (Xilinx UG1182): PS-side DDR4 SODIMM, 64-bit, 2400 MT/s',
      ...DDR_ASSUMPTIONS,
    },
  },
  {
    name: 'ZCU104',
    description: 'Xilinx ZCU104 production reference: two B4096 cores at 300 MHz on 64-bit DDR4',
    dpu: dpuConfigByName('B4096')!,
    cores: 2,
    frequencyMHz: 300,
    ddr: DDR4_2400_X64,
    axi: AXI_2X128,
    sources: {
      cores: 'Vitis AI ZCU104 DPU reference design: 2 x B4096 (BRIEF.md section 2)',
      frequencyMHz: 'Vitis AI ZCU104 DPU reference design: 300 MHz (BRIEF.md section 2)',
      ddr: 'ZCU104 board (Xilinx UG1267): PS-side 64-bit DDR4 components; the model runs them at 2400 MT/s, the PS DDR controller\'s rate for the -2 speed grade (assumption: not checked against the board\'s configured rate)',
      ...DDR_ASSUMPTIONS,
    },
  },
];

/** The board an architecture gets when only a DPU configuration is named (e.g. `--arch B1024` or a Vitis AI
 * target file): one core at 300 MHz, on the ZCU102's DDR. Every figure of it is an assumption. */
export function genericBoard(dpu: DpuConfig, origin: string): ArchSpec {
  return {
    name: dpu.name,
    description: `${dpu.name} (${origin}) on a generic board: 1 core at 300 MHz, 64-bit DDR4-2400`,
    dpu,
    cores: 1,
    frequencyMHz: 300,
    ddr: DDR4_2400_X64,
    axi: AXI_2X128,
    sources: {
      dpu: origin,
      cores: 'assumption: a DPU configuration named without a board runs as one core',
      frequencyMHz: 'assumption: 300 MHz, a typical DPU clock in PG338\'s performance tables',
      ddr: 'assumption: the ZCU102\'s 64-bit DDR4-2400',
      ...DDR_ASSUMPTIONS,
    },
  };
}

export const BOARD_PRESETS: readonly Arch[] = Object.freeze(BOARDS.map(deriveArch));

export function boardByName(name: string): Arch | undefined {
  return BOARD_PRESETS.find((b) => b.name.toUpperCase() === name.toUpperCase());
}

/** The preset used when nothing else is said. */
export const DEFAULT_ARCH_NAME = 'ZU9';
