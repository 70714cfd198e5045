// Chrome trace-event JSON of a timing simulation, which Perfetto (ui.perfetto.dev) and chrome://tracing
// open: one process per DPU core, one thread (track) per engine, one complete ("X") slice per
// instruction named by its source line; a "layers" track per core with the layers' incremental spans;
// and, when the run recorded it, a counter of the board's DDR bytes per cycle.
//
// Timestamps are microseconds at the architecture's clock, as the format wants.

import { ENGINES } from '../isa/table';
import { CTRL, where, type SimProgram } from './program';
import { END, START, instructionTiming, type TimingResult } from './timing';

interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 'C';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

const LAYERS_TID = ENGINES.length;

export function chromeTrace(p: SimProgram, r: TimingResult): { traceEvents: TraceEvent[]; displayTimeUnit: 'ns'; metadata: Record<string, unknown> } {
  const usPerCycle = 1e6 / r.frequencyHz;
  const us = (cycles: number) => cycles * usPerCycle;
  const events: TraceEvent[] = [];
  for (let c = 0; c < r.times.length; c++) {
    events.push({ name: 'process_name', ph: 'M', pid: c, args: { name: `DPU core ${c}` } });
    events.push({ name: 'process_sort_index', ph: 'M', pid: c, args: { sort_index: c } });
    ENGINES.forEach((e, k) => {
      events.push({ name: 'thread_name', ph: 'M', pid: c, tid: k, args: { name: e } });
      events.push({ name: 'thread_sort_index', ph: 'M', pid: c, tid: k, args: { sort_index: k } });
    });
    events.push({ name: 'thread_name', ph: 'M', pid: c, tid: LAYERS_TID, args: { name: 'layers' } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: c, tid: LAYERS_TID, args: { sort_index: LAYERS_TID } });
    const rec = r.times[c]!.rec;
    for (let i = 0; i < r.instructions; i++) {
      const e = r.graph.engine[i]!;
      const start = rec[2 * i + START]!;
      const end = rec[2 * i + END]!;
      if (e === CTRL || start < 0 || end < 0) continue;
      const t = instructionTiming(r, i, c)!;
      const mnemonic = p.instrs[i]!.spec.mnemonic;
      const args: Record<string, unknown> = { at: where(p, i), startCycle: t.start, endCycle: t.end, cycles: t.cycles };
      if (t.stall.token > 0) args['tokenStall'] = `${t.stall.token} cycles (last token from ${t.stall.tokenFrom})`;
      if (t.stall.engineBusy > 0) args['engineBusyStall'] = t.stall.engineBusy;
      if (t.stall.ddrContention > 0) args['ddrContentionStall'] = t.stall.ddrContention;
      if (t.bytes > 0) args['ddrBytes'] = t.bytes;
      if (t.macs > 0) args['macs'] = t.macs;
      events.push({
        name: p.lines ? `${p.lines[i]}: ${mnemonic}` : `#${i}: ${mnemonic}`,
        cat: ENGINES[e]!,
        ph: 'X',
        pid: c,
        tid: e,
        ts: us(start),
        dur: us(end - start),
        args,
      });
    }
  }
  // Layers on core 0's track, as their incremental spans (these do not overlap).
  let from = 0;
  for (const l of r.layers) {
    const to = from + l.incrementalCycles;
    if (l.incrementalCycles > 0)
      events.push({
        name: l.name,
        cat: 'layer',
        ph: 'X',
        pid: 0,
        tid: LAYERS_TID,
        ts: us(from),
        dur: us(l.incrementalCycles),
        args: { spanCycles: l.cycles, ops: l.ops, macs: l.macs, ddrBytes: l.ddrBytes, utilization: l.utilization, rooflineFraction: l.rooflineFraction, bound: l.bound },
      });
    from = to;
  }
  if (r.bandwidth) {
    let last = 0;
    for (const seg of r.bandwidth) {
      if (seg.start > last) events.push({ name: 'DDR bytes/cycle', ph: 'C', pid: 0, ts: us(last), args: { value: 0 } });
      events.push({ name: 'DDR bytes/cycle', ph: 'C', pid: 0, ts: us(seg.start), args: { value: seg.bytesPerCycle } });
      last = seg.end;
    }
    events.push({ name: 'DDR bytes/cycle', ph: 'C', pid: 0, ts: us(last), args: { value: 0 } });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    metadata: { arch: r.arch, cores: r.cores, frequencyHz: r.frequencyHz, cycles: r.cycles, instructions: r.instructions },
  };
}
