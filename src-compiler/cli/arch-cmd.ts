// `dnnvm arch [NAME|FILE] [--json]`: the presets, or one architecture with its derived figures.

import { resolveArch } from '../arch/load';
import { archJson } from '../arch/json';
import { BOARD_PRESETS, DPU_CONFIGS, DPU_CONFIG_SOURCES } from '../arch/presets';
import type { CliIO } from './io';
import { optFlag, type ParsedArgs } from './args';
import { table, si } from './table';

export function runArch(p: ParsedArgs, io: CliIO): number {
  const json = optFlag(p, 'json');
  const name = p.positional[0];
  if (!name) {
    if (json) {
      io.out(JSON.stringify({ presets: BOARD_PRESETS.map(archJson), configs: DPU_CONFIGS.map((c) => ({ ...c, peakOpsPerCycle: 2 * c.pp * c.icp * c.ocp })) }, null, 2) + '\n');
      return 0;
    }
    io.out('Board presets\n');
    io.out(
      table(
        ['name', 'DPU', 'cores', 'MHz', 'peak ops/s', 'DDR', 'DDR B/s (sustained)', 'ridge ops/B'],
        BOARD_PRESETS.map((a) => [a.name, a.dpu.name, String(a.cores), String(a.frequencyMHz), si(a.derived.peakOpsPerSecond, 'OP/s'), a.ddr.type, si(a.derived.ddrBytesPerSecond, 'B/s'), a.derived.ridgeOpsPerByte.toFixed(0)]),
      ),
    );
    io.out('\nDPU configurations (PG338)\n');
    io.out(table(['name', 'PP', 'ICP', 'OCP', 'ops/cycle'], DPU_CONFIGS.map((c) => [c.name, String(c.pp), String(c.icp), String(c.ocp), String(2 * c.pp * c.icp * c.ocp)])));
    io.out('\nA configuration name (e.g. B1024) runs as one core on a generic board; `dnnvm arch NAME` shows the figures.\n');
    return 0;
  }
  const a = resolveArch(name, io.cwd);
  if (json) {
    io.out(JSON.stringify(archJson(a), null, 2) + '\n');
    return 0;
  }
  const d = a.derived;
  io.out(`${a.name}: ${a.description}\n\n`);
  io.out(
    table(
      ['figure', 'value', 'source'],
      [
        ['DPU configuration', `${a.dpu.name} (PP ${a.dpu.pp}, ICP ${a.dpu.icp}, OCP ${a.dpu.ocp})`, DPU_CONFIG_SOURCES['pp/icp/ocp']!],
        ['cores', String(a.cores), a.sources['cores'] ?? ''],
        ['clock', `${a.frequencyMHz} MHz`, a.sources['frequencyMHz'] ?? ''],
        ['peak', `${si(d.peakOpsPerSecond, 'OP/s')} (${d.peakOpsPerCyclePerCore} ops/cycle/core)`, 'derived: 2 x PP x ICP x OCP x cores x clock'],
        ['DDR', `${a.ddr.type}: ${si(d.ddrPeakBytesPerSecond, 'B/s')} peak, ${si(d.ddrBytesPerSecond, 'B/s')} sustained (${(a.ddr.efficiency * 100).toFixed(0)}%)`, a.sources['ddr'] ?? ''],
        ['DDR per cycle', `${d.ddrBytesPerCycle.toFixed(1)} B/cycle shared by all cores; latency ${a.ddr.latencyNs} ns = ${d.ddrLatencyCycles} cycles`, a.sources['ddr.latencyNs'] ?? ''],
        ['AXI per core', `${a.axi.dataPorts} x ${a.axi.portBytes} B = ${d.axiBytesPerCyclePerCore} B/cycle`, a.sources['axi'] ?? ''],
        ['roofline ridge', `${d.ridgeOpsPerByte.toFixed(1)} ops per DDR byte`, 'derived: peak / sustained DDR'],
        ['MISC engines', `pool PP ${a.dpu.poolPP}, depthwise PP ${a.dpu.dwPP}, eltwise PP ${a.dpu.elewPP}, ${a.dpu.miscCP} channels`, DPU_CONFIG_SOURCES['poolPP/dwPP/elewPP']!],
        ['CONV limits', `kernel ${a.dpu.convKernel.join('..')}, stride ${a.dpu.convStride.join('..')}, ${a.dpu.nonlinear.join(', ')}`, DPU_CONFIG_SOURCES['banks']!],
        ['on-chip', `${si(d.onChipBytes, 'B')} in ${a.bankGroups.reduce((s, g) => s + g.count, 0)} banks`, 'derived'],
      ],
      [0, 0, 60],
    ),
  );
  io.out('\nBanks\n');
  io.out(
    table(
      ['group', 'role', 'ids', 'banks', 'width', 'depth', 'bytes'],
      a.bankGroups.map((g) => [g.name, g.role, `${g.baseId}..${g.baseId + g.count - 1}`, String(g.count), `${g.width} B`, String(g.depth), si(g.count * g.width * g.depth, 'B')]),
    ),
  );
  return 0;
}
