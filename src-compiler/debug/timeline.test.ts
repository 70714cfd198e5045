// The timeline's data, geometry and message checks.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDebugProgram } from './launch';
import { DebugEngine } from './session';
import { timelineData } from './timeline';
import { instructionTiming } from '../sim/timing';
import { ENGINES } from '../isa/table';
import { LABEL_WIDTH, LANE_HEIGHT, cycleToX, hitTest, laneRanges, laneTop, parseHostMessage, parseWebviewMessage, zoom } from './timeline-model';

const FIXTURE = path.join(__dirname, '..', '..', 'test-fixtures', 'programs', 'conv3x3.dnnasm');

describe('engine timeline', () => {
  const e = new DebugEngine(loadDebugProgram({ program: FIXTURE, cores: 2 }));
  const d = timelineData(e);

  it('has a bar per started instruction per core, sorted by lane then start, with stalls', () => {
    expect(d.bars.lane.length).toBe(2 * (e.program.count - 1));
    for (let k = 1; k < d.bars.lane.length; k++) {
      const l0 = d.bars.lane[k - 1]!;
      const l1 = d.bars.lane[k]!;
      expect(l1 > l0 || (l1 === l0 && d.bars.start[k]! >= d.bars.end[k - 1]!)).toBe(true);
    }
    // The CONV waited for the LOAD engine's token: its stall is coloured LOAD (engine 0).
    const conv = e.program.instrs.findIndex((i) => i.spec.mnemonic === 'CONV');
    const k = d.bars.instr.indexOf(conv);
    expect(d.bars.wait[k]).toBeGreaterThan(0);
    expect(d.bars.from[k]).toBe(0);
    expect(d.layers.map((l) => l.name)).toEqual(['conv1']);
    expect(parseHostMessage({ type: 'data', data: d })).toEqual({ type: 'data', data: d });
  });

  it('gives each bar the stalls the simulator reports for its instruction', () => {
    const r2 = (x: number) => Math.round(x * 100) / 100;
    // Three cores: their loads together ask for more than the board's DDR gives, so some are slowed.
    const e3 = new DebugEngine(loadDebugProgram({ program: FIXTURE, cores: 3 }));
    const d3 = timelineData(e3);
    for (let k = 0; k < d3.bars.lane.length; k++) {
      const it = instructionTiming(e3.trace.timing, d3.bars.instr[k]!, Math.floor(d3.bars.lane[k]! / 4))!;
      expect([d3.bars.wait[k], d3.bars.from[k], d3.bars.ddr[k]]).toEqual([r2(it.stall.token), it.stall.tokenFrom ? ENGINES.indexOf(it.stall.tokenFrom as (typeof ENGINES)[number]) : -1, r2(it.stall.ddrContention)]);
    }
    expect(d3.bars.ddr.some((x) => x > 0)).toBe(true);
    expect(d3.bars.wait.some((x) => x > 0)).toBe(true);
  });

  it('finds the bar under the pointer and zooms within the run', () => {
    const ranges = laneRanges(d);
    const view = { x0: 0, x1: d.cycles, width: 1000 };
    const conv = e.program.instrs.findIndex((i) => i.spec.mnemonic === 'CONV');
    const k = d.bars.instr.indexOf(conv);
    const x = (cycleToX(view, d.bars.start[k]!) + cycleToX(view, d.bars.end[k]!)) / 2;
    expect(hitTest(d, ranges, view, x, laneTop(d.bars.lane[k]!) + LANE_HEIGHT / 2)).toBe(k);
    expect(hitTest(d, ranges, view, LABEL_WIDTH - 1, laneTop(0) + 2)).toBe(-1);
    const z = zoom(view, d.cycles / 2, 0.1, d.cycles);
    expect(z.x1 - z.x0).toBeCloseTo(d.cycles * 0.1);
    const out = zoom(view, 0, 100, d.cycles);
    expect(out.x1 - out.x0).toBeLessThanOrEqual(d.cycles * 1.05 + 1e-9);
  });

  it('accepts only well-formed messages from the webview', () => {
    const limits = { instructions: 37, cores: 2 };
    expect(parseWebviewMessage({ type: 'reveal', instr: 3, core: 1 }, limits)).toEqual({ type: 'reveal', instr: 3, core: 1 });
    expect(parseWebviewMessage({ type: 'reveal', instr: 37, core: 0 }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'reveal', instr: 3, core: 2 }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'reveal', instr: '3', core: 0 }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'reveal', instr: 3, core: 0, file: '/etc/passwd' }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'gotoCycle', cycle: -1 }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'gotoCycle', cycle: 12.5 }, limits)).toEqual({ type: 'gotoCycle', cycle: 12.5 });
    expect(parseWebviewMessage({ type: 'exportPerfetto', path: 'x' }, limits)).toBeUndefined();
    expect(parseWebviewMessage({ type: 'runCommand' }, limits)).toBeUndefined();
    expect(parseWebviewMessage(null, limits)).toBeUndefined();
    expect(parseHostMessage({ type: 'data', data: { ...d, bars: { ...d.bars, end: d.bars.end.slice(1) } } })).toBeUndefined();
    expect(parseHostMessage({ type: 'cursor', cursor: { cycle: 5, position: -1, events: 3 } })).toBeUndefined();
  });
});
