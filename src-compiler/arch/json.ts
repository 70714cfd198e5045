// An architecture as JSON: what `dnnvm arch --json` prints and what a program package records.

import type { Arch } from './model';

export function archJson(a: Arch) {
  const d = a.derived;
  return {
    name: a.name,
    description: a.description,
    cores: a.cores,
    frequencyMHz: a.frequencyMHz,
    dpu: a.dpu.name,
    pp: a.dpu.pp,
    icp: a.dpu.icp,
    ocp: a.dpu.ocp,
    peakOpsPerSecond: d.peakOpsPerSecond,
    peakOpsPerCyclePerCore: d.peakOpsPerCyclePerCore,
    ddrBytesPerSecond: d.ddrBytesPerSecond,
    ddrPeakBytesPerSecond: d.ddrPeakBytesPerSecond,
    ddrBytesPerCycle: d.ddrBytesPerCycle,
    ddrLatencyCycles: d.ddrLatencyCycles,
    axiBytesPerCyclePerCore: d.axiBytesPerCyclePerCore,
    ridgeOpsPerByte: d.ridgeOpsPerByte,
    ddr: a.ddr,
    engines: { poolPP: a.dpu.poolPP, dwPP: a.dpu.dwPP, elewPP: a.dpu.elewPP, miscCP: a.dpu.miscCP },
    limits: { convKernel: a.dpu.convKernel, convStride: a.dpu.convStride, nonlinear: a.dpu.nonlinear },
    bankGroups: a.bankGroups,
    onChipBytes: d.onChipBytes,
    sources: a.sources,
  };
}

