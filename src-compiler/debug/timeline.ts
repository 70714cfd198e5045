// The timeline's data from a session's timing run (timeline-model.ts describes it).

import * as path from 'node:path';
import { ENGINES, INSTRUCTIONS } from '../isa/table';
import { DDR, soloCycles } from '../sim/cost';
import { END, START } from '../sim/timing';
import type { DebugEngine } from './session';
import type { Trace } from './trace';
import { TIMELINE_VERSION, type Cursor, type TimelineData } from './timeline-model';

const round = (x: number) => Math.round(x * 100) / 100;

export function timelineData(e: DebugEngine): TimelineData {
  return timelineFromTrace(e.trace, path.basename(e.loaded.file), { cycle: e.cycle, position: e.position, events: e.trace.events });
}

export function timelineFromTrace(t: Trace, file: string, cursor: Cursor): TimelineData {
  const r = t.timing;
  const p = t.program;
  const E = ENGINES.length;
  const lane: number[] = [];
  const instr: number[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const wait: number[] = [];
  const from: number[] = [];
  const ddr: number[] = [];
  // The stalls as instructionTiming() works them out, inline (this runs over 100,000s of bars).
  const g = r.graph;
  const costs = r.costs;
  for (let c = 0; c < t.cores; c++) {
    const rec = r.times[c]!.rec;
    const giver = r.times[c]!.giver;
    for (let eng = 0; eng < E; eng++) {
      let queued = 0;
      for (const i of g.queues[eng]!) {
        const s = rec[2 * i + START]!;
        const en = rec[2 * i + END]!;
        if (s < 0 || en < 0) break;
        const gv = giver[i]!;
        const ddrStall = costs.kind[i] === DDR ? en - s - soloCycles(r.archModel, costs, i) : 0;
        lane.push(c * E + eng);
        instr.push(i);
        start.push(round(s));
        end.push(round(en));
        wait.push(round(s - queued));
        from.push(gv >= 0 && s > queued ? g.engine[gv]! : -1);
        ddr.push(ddrStall > 1e-6 ? round(ddrStall) : 0);
        queued = en;
      }
    }
  }
  const mnemonics = INSTRUCTIONS.map((s) => s.mnemonic);
  const ops = p.instrs.slice(0, p.count).map((ins) => mnemonics.indexOf(ins.spec.mnemonic));
  let at = 0;
  const layers = r.layers.map((l) => {
    const span = { name: l.name, start: round(at), end: round(at + l.incrementalCycles), line: l.line ?? 0 };
    at += l.incrementalCycles;
    return span;
  });
  return {
    version: TIMELINE_VERSION,
    file,
    arch: r.arch,
    cores: t.cores,
    cycles: r.cycles,
    frequencyHz: r.frequencyHz,
    engines: [...ENGINES],
    lines: p.lines ? Array.from(p.lines.subarray(0, p.count)) : new Array(p.count).fill(0),
    ops,
    mnemonics,
    bars: { lane, instr, start, end, wait, from, ddr },
    layers,
    cursor,
  };
}
