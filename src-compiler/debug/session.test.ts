// The debugging engine without the protocol: the trace order, the state derived from it, memory
// forward and back through the undo log and through checkpoints, conditions.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boardByName } from '../arch/presets';
import { runFunctional } from '../sim/functional';
import { DdrImage } from '../sim/memory';
import { START } from '../sim/timing';
import { seededBytes } from '../sim/testing/reference';
import { tileLayer, type ConvLayer } from '../sim/testing/tiler';
import { evaluate, parseExpression, parseHitCondition } from './expr';
import { checkLaunchConfig, loadDebugProgram } from './launch';
import { DebugEngine } from './session';

const FIXTURE = path.join(__dirname, '..', '..', 'test-fixtures', 'programs', 'conv3x3.dnnasm');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-dbg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A tiled convolution with many overlapping instructions, as a .dnnasm with its data files. */
function pipelinedFile(): { file: string; data: Record<string, Int8Array> } {
  const ZU2 = boardByName('ZU2')!;
  const layer: ConvLayer = { kind: 'conv', h: 12, w: 20, c: 12, k: 12, kh: 3, kw: 3, sh: 1, sw: 1, pads: { top: 1, left: 1, bottom: 1, right: 1 }, act: 'relu', shiftCut: 7, shiftBias: 2 };
  const tiled = tileLayer(layer, ZU2, { maxLength: 5 });
  const data: Record<string, Int8Array> = { input: seededBytes(1, 12 * 20 * 12), weights: seededBytes(2, 12 * 3 * 3 * 12), bias: seededBytes(3, 12) };
  let text = tiled.text;
  for (const [name, bytes] of Object.entries(data)) {
    fs.writeFileSync(path.join(tmp, `${name}.bin`), bytes);
    text = text.replace(new RegExp(`^(\\.ddr ${name} [^\\n;]*)`, 'm'), `$1 file="${name}.bin"`);
  }
  const file = path.join(tmp, 'pipelined.dnnasm');
  fs.writeFileSync(file, text);
  return { file, data };
}

describe('debugging engine', () => {
  it('orders events by start cycle and keeps every engine in program order and every taker after its giver', () => {
    const { file } = pipelinedFile();
    const e = new DebugEngine(loadDebugProgram({ program: file }));
    const t = e.trace;
    expect(t.cores).toBe(1);
    expect(t.events).toBe(e.program.count);
    const seenOf = new Int32Array(e.program.count).fill(-1);
    for (let k = 0; k < t.events; k++) {
      if (k > 0) expect(t.evStart[k]!).toBeGreaterThanOrEqual(t.evStart[k - 1]!);
      seenOf[t.evInstr[k]!] = k;
    }
    const g = t.timing.graph;
    for (const q of g.queues) for (let j = 1; j < q.length; j++) expect(seenOf[q[j]!]!).toBeGreaterThan(seenOf[q[j - 1]!]!);
    // Token counters never go negative at any position, and END sees them back where the program leaves them.
    for (let k = 0; k <= t.events; k++) for (const v of t.counters(0, k)) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('gives the program-order result at the end, and exact earlier states going back by undo and by checkpoints', async () => {
    const { file, data } = pipelinedFile();
    const loaded = loadDebugProgram({ program: file });
    const ref = runFunctional(loaded.program, new DdrImage(loaded.program.regions, (r) => data[r.name]));
    // A tiny memory budget: the undo log keeps only a few records, checkpoints get thinned.
    const e = new DebugEngine(loaded, { memoryBytes: 8 * 1024, checkpointSpacing: 1 });
    const snaps: Buffer[] = [];
    for (let k = 0; k <= e.trace.events; k++) {
      e.position = k;
      snaps.push(Buffer.from(e.memory(0).machine.banks.data));
    }
    const outIndex = loaded.program.regions.findIndex((r) => r.name === 'output');
    const out = e.readMemory(`core0/ddr/${outIndex}`, 0, loaded.program.regions[outIndex]!.size);
    expect('data' in out && Buffer.from(out.data).equals(Buffer.from(ref.ddr.byName('output')!.data))).toBe(true);
    const mem = e.memory(0);
    expect(mem.checkpointCount).toBeGreaterThan(1);
    expect(mem.undoDepth).toBeLessThan(e.trace.events);
    // Back to every position in a scrambled order: the same bytes as on the way forward.
    const order = Array.from({ length: e.trace.events + 1 }, (_, k) => (k * 7919) % (e.trace.events + 1));
    for (const k of order) {
      e.position = k;
      expect(Buffer.from(e.memory(0).machine.banks.data).equals(snaps[k]!), `position ${k}`).toBe(true);
    }
    // Replays did not make the race checker see races, and the program-order check agrees.
    expect(e.timeOrderProblems).toEqual([]);
    expect((await e.checkProgramOrder(async () => undefined)).problems).toEqual([]);
  });

  it('tells an engine busy until its end, waiting with the token it lacks, and starting', () => {
    const e = new DebugEngine(loadDebugProgram({ program: FIXTURE, cores: 1 }));
    const t = e.trace;
    // The CONV's position: it is the next to start; every LOAD has finished and given its token.
    const conv = e.program.instrs.findIndex((i) => i.spec.mnemonic === 'CONV');
    e.position = t.rank[0]![conv]!;
    const states = t.engineStates(0, e.position);
    expect(states[2]).toMatchObject({ name: 'CONV', status: 'starting', instr: conv });
    expect(t.counters(0, e.position)[0 * 4 + 2]).toBe(1);
    expect(states[1]).toMatchObject({ name: 'SAVE', status: 'waiting', missing: [2] });
    // One step: CONV has taken the token and is busy until its end.
    e.stepCore(0);
    const after = t.engineStates(0, e.position);
    expect(after[2]!.status === 'busy' || after[2]!.status === 'finished').toBe(true);
    expect(t.counters(0, e.position)[0 * 4 + 2]).toBe(0);
    expect(e.cycle).toBe(t.timing.times[0]!.rec[2 * (conv + 1) + START]);
  });

  it('pauses a long continue between slices, and runs one segment of a multi-segment program', async () => {
    const { file } = pipelinedFile();
    const e = new DebugEngine(loadDebugProgram({ program: file }));
    // A data breakpoint no instruction triggers makes continue execute every instruction, a slice at a time.
    const id = e.dataIdFromText('ddr:input@0+1');
    expect('dataId' in id).toBe(true);
    e.setDataBreakpoints([{ dataId: (id as { dataId: string }).dataId }]);
    let slices = 0;
    // Slices of 0 ms: a yield after every instruction; the pause comes during the third.
    const stop = await e.run(
      true,
      0,
      async () => {
        if (++slices === 3) e.pause();
      },
      0,
    );
    expect(stop.reason).toBe('pause');
    expect(e.position).toBe(e.trace.coreEvents[0]![2]! + 1);
    expect((await e.run(true, 0, async () => undefined, 0)).reason).toBe('end');

    // Two segments: the fixture and a copy of its instructions after `.segment second`.
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const body = text
      .split('\n')
      .filter((l) => /^\s+[A-Z]+(\s|$)/.test(l))
      .join('\n');
    const two = path.join(tmp, 'two.dnnasm');
    for (const f of fs.readdirSync(path.dirname(FIXTURE))) if (f.endsWith('.bin')) fs.copyFileSync(path.join(path.dirname(FIXTURE), f), path.join(tmp, f));
    fs.writeFileSync(two, `${text}\n.segment second\n${body}\n`);
    const seg = new DebugEngine(loadDebugProgram({ program: two, segment: 'second', cores: 1 }));
    expect(seg.program.count).toBe(36);
    expect(seg.loaded.segment).toEqual({ name: 'second', index: 1, count: 2 });
    const firstLines = text.split('\n').length;
    const [inFirst, inSecond] = seg.setBreakpoints(two, [{ line: 16 }, { line: firstLines + 3 }]);
    expect(inFirst).toMatchObject({ verified: false, message: 'this instruction is in segment main; the session runs segment second (set "segment" in the launch configuration)' });
    expect(inSecond!.verified).toBe(true);
    const end = await seg.run(true, 0);
    expect(end.reason).toBe('breakpoint');
  });

  it('evaluates conditions and hit counts as documented', () => {
    const env = (n: string) => ({ cycle: 120, core: 1, engine: 'CONV', length: 8 })[n];
    expect(evaluate(parseExpression('cycle >= 100 && core == 1 && engine == "conv"'), env)).toBe(true);
    expect(evaluate(parseExpression('(length * 2) % 3 == 1 || !(cycle < 0)'), env)).toBe(true);
    expect(evaluate(parseExpression("engine != 'LOAD' && 0x10 == 16 && 0b11 == 3"), env)).toBe(true);
    expect(() => parseExpression('cycle = 5')).toThrow("'=' at column 7: compare with '=='");
    expect(() => parseExpression('cycle > 5 core')).toThrow("unexpected 'core' at column 11: join conditions with && or ||");
    expect(() => evaluate(parseExpression('bogus > 1'), env)).toThrow("unknown name 'bogus'");
    expect([1, 2, 3, 4].map(parseHitCondition('% 2'))).toEqual([false, true, false, true]);
    expect([1, 2, 3].map(parseHitCondition('>= 2'))).toEqual([false, true, true]);
    expect(() => parseHitCondition('% 0')).toThrow(/at least 1/);
  });

  it('checks launch configurations field by field', () => {
    expect(checkLaunchConfig({ type: 'dnnasm', request: 'launch', name: 'x', __sessionId: 'y', program: 'a.dnnasm', cores: 2 })).toEqual({ program: 'a.dnnasm', cores: 2 });
    expect(() => checkLaunchConfig({ program: 'a.dnnasm', core: 2 })).toThrow("'core': unknown attribute; did you mean 'cores'?");
    expect(() => checkLaunchConfig({ program: 'a.dnnasm', snapshotMemoryMB: 1 })).toThrow("'snapshotMemoryMB': must be a number of MiB from 16 to 65536, not 1");
    expect(() => checkLaunchConfig({ program: 'a.dnnasm', segment: -1 })).toThrow("'segment': must be a segment name or a 0-based index");
  });
});
