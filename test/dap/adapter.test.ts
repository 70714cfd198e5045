// The standalone debug adapter (`node dist/debug-adapter.js`, the Debug Adapter Protocol over stdio)
// driven by @vscode/debugadapter-testsupport's DebugClient, as an editor would drive it.
//
// The program is the hand-written test-fixtures/programs/conv3x3.dnnasm: its input, weights and
// expected output are known (conv3x3.expected.bin), and its timing follows from the model by hand:
// CONVINIT starts at cycle 0 (4 cycles), each input LOAD moves 128 bytes at the bank side's 16 bytes
// per cycle after the 66-cycle DDR latency, so LOADs start at 0, 74, 148, ...

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const ADAPTER = path.join(ROOT, 'dist', 'debug-adapter.js');
const FIXTURES = path.join(ROOT, 'test-fixtures', 'programs');
const PROGRAM = path.join(FIXTURES, 'conv3x3.dnnasm');
const TEXT = fs.readFileSync(PROGRAM, 'utf8');
const EXPECTED = fs.readFileSync(path.join(FIXTURES, 'conv3x3.expected.bin'));
const INPUT = fs.readFileSync(path.join(FIXTURES, 'conv3x3.input.bin'));

/** 1-based line of the n-th (0-based) line containing `needle`. */
function lineOf(needle: string, n = 0, text = TEXT): number {
  const lines = text.split('\n');
  let seen = 0;
  for (let k = 0; k < lines.length; k++) if (lines[k]!.includes(needle) && seen++ === n) return k + 1;
  throw new Error(`no line ${n} containing ${needle}`);
}
const CONVINIT = lineOf('CONVINIT');
const CONV = lineOf('CONV     dpdon');
const LOAD0 = lineOf('bank_id=VB0[0]');
const LOAD1 = lineOf('bank_id=VB0[1]');
const SAVE1 = lineOf('bank_id=VB1[1]');

// Variants of the fixture, next to copies of its data files.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-dap-'));
for (const f of fs.readdirSync(FIXTURES)) fs.copyFileSync(path.join(FIXTURES, f), path.join(tmp, f));
function variant(name: string, from: string, to: string): string {
  expect(TEXT.split(from)).toHaveLength(2);
  const file = path.join(tmp, name);
  fs.writeFileSync(file, TEXT.replace(from, to));
  return file;
}
/** The last LOAD no longer hands CONV its token: CONV waits for ever, and SAVE for CONV. */
const DEADLOCK = variant('deadlock.dnnasm', 'LOAD     dpdby=CONV bank_addr=0 bank_id=BIAS[0]', 'LOAD     bank_addr=0 bank_id=BIAS[0]');
/** CONV no longer waits for the loads: it races with them. */
const RACE = variant('race.dnnasm', 'CONV     dpdon=LOAD dpdby=SAVE', 'CONV     dpdby=SAVE');

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let dc: DebugClient | undefined;
afterEach(async () => {
  await dc?.stop();
  dc = undefined;
});

interface Started {
  dc: DebugClient;
  stopped: DebugProtocol.StoppedEvent;
}

/** Start the adapter, launch, run `setup` between the initialized event and configurationDone. */
async function start(args: Record<string, unknown>, setup?: (dc: DebugClient) => Promise<void>): Promise<Started> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: run npm run build (npm test does it first)`);
  dc = new DebugClient('node', ADAPTER, 'dnnasm');
  dc.defaultTimeout = 20_000;
  await dc.start();
  const client = dc;
  const stopped = client.waitForEvent('stopped');
  await Promise.all([
    client.waitForEvent('initialized').then(async () => {
      if (setup) await setup(client);
      await client.configurationDoneRequest();
    }),
    client.launch({ type: 'dnnasm', request: 'launch', name: 'test', ...args }),
  ]);
  return { dc: client, stopped: (await stopped) as DebugProtocol.StoppedEvent };
}

async function stopAfter(d: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const ev = d.waitForEvent('stopped');
  await request();
  return (await ev) as DebugProtocol.StoppedEvent;
}

async function topFrame(d: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  const st = await d.stackTraceRequest({ threadId });
  return st.body.stackFrames[0]!;
}

/** The variables of the scope whose name starts with `scope`, of the top frame (or `frameId`). */
async function vars(d: DebugClient, scope: string, threadId = 1, frameId?: number): Promise<Map<string, DebugProtocol.Variable>> {
  const id = frameId ?? (await topFrame(d, threadId)).id;
  const scopes = await d.scopesRequest({ frameId: id });
  const s = scopes.body.scopes.find((x) => x.name.startsWith(scope));
  if (!s) throw new Error(`no scope ${scope}: ${scopes.body.scopes.map((x) => x.name).join(', ')}`);
  const v = await d.variablesRequest({ variablesReference: s.variablesReference });
  return new Map(v.body.variables.map((x) => [x.name, x]));
}

async function children(d: DebugClient, v: DebugProtocol.Variable): Promise<Map<string, DebugProtocol.Variable>> {
  const r = await d.variablesRequest({ variablesReference: v.variablesReference });
  return new Map(r.body.variables.map((x) => [x.name, x]));
}

async function cycle(d: DebugClient, threadId = 1): Promise<string> {
  return (await vars(d, 'Run', threadId)).get('cycle')!.value;
}

async function readMemory(d: DebugClient, memoryReference: string, offset: number, count: number): Promise<{ address: string; data: Buffer; unreadableBytes?: number }> {
  const r = (await d.customRequest('readMemory', { memoryReference, offset, count })) as DebugProtocol.ReadMemoryResponse;
  return { address: r.body!.address, data: Buffer.from(r.body!.data ?? '', 'base64'), ...(r.body!.unreadableBytes ? { unreadableBytes: r.body!.unreadableBytes } : {}) };
}

/** The memory reference of a bank (VB1[3]) of a core, found through the Memory scope as a user would. */
async function bankRef(d: DebugClient, group: string, bank: string, threadId = 1): Promise<string> {
  const mem = await vars(d, 'Memory', threadId);
  const groups = await children(d, mem.get('banks')!);
  const banks = await children(d, groups.get(group)!);
  const v = banks.get(bank);
  if (!v?.memoryReference) throw new Error(`${bank} has no memory reference`);
  return v.memoryReference;
}

describe('dnnasm debug adapter over stdio (DebugClient)', () => {
  it('launches, stops on entry, and steps forward in time order and back', async () => {
    const { dc: d, stopped } = await start({ program: PROGRAM, cores: 1, stopOnEntry: true });
    expect(stopped.body.reason).toBe('entry');
    expect((await d.threadsRequest()).body.threads.map((t) => t.name)).toEqual(['core 0']);
    // The first instruction to start: CONVINIT (ends at 4, before the LOAD that also starts at 0).
    let top = await topFrame(d);
    expect(top.line).toBe(CONVINIT);
    expect(top.source!.path).toBe(PROGRAM);
    expect(top.name).toMatch(/^CONV: starting/);
    expect(await cycle(d)).toBe('0');
    const trail: { line: number; cycle: string }[] = [];
    for (let k = 0; k < 3; k++) {
      const s = await stopAfter(d, () => d.nextRequest({ threadId: 1 }));
      expect(s.body.reason).toBe('step');
      top = await topFrame(d);
      trail.push({ line: top.line, cycle: await cycle(d) });
    }
    // Then LOAD of VB0[0] at 0 (still cycle 0), LOAD of VB0[1] at 74, LOAD of VB0[2] at 148.
    expect(trail).toEqual([
      { line: LOAD0, cycle: '0' },
      { line: LOAD1, cycle: '74' },
      { line: LOAD1 + 1, cycle: '148' },
    ]);
    // The engines meanwhile: CONV waits for LOAD's token, SAVE for CONV's.
    const engines = await vars(d, 'Engines');
    expect(engines.get('CONV')!.value).toBe(`waiting since cycle 4: CONV at line ${CONV} needs a token on LOAD->CONV (holds none); starts at cycle 1859`);
    expect(engines.get('LOAD')!.value).toMatch(/^starting now: LOAD at line/);
    expect(engines.get('SAVE')!.type).toBe('waiting');
    expect(engines.get('MISC')!.value).toMatch(/^unused/);
    const tokens = await vars(d, 'Tokens');
    expect([...tokens.keys()]).toEqual(['LOAD->CONV', 'CONV->SAVE']);
    expect(tokens.get('LOAD->CONV')!.value).toBe('0');
    // Step back twice: exactly the earlier states.
    for (const want of [trail[1]!, trail[0]!]) {
      const s = await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
      expect(s.body.reason).toBe('step');
      expect({ line: (await topFrame(d)).line, cycle: await cycle(d) }).toEqual(want);
    }
    // One more back: at the start again.
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    expect((await topFrame(d)).line).toBe(CONVINIT);
    expect((await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }))).body.reason).toBe('entry');
  });

  it('shows the decoded fields and timing of an instruction, and reads its banks as the program computes them', async () => {
    const { dc: d } = await start({ program: PROGRAM, cores: 1 }, async (c) => {
      await c.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: SAVE1 }] });
    });
    // Stopped before the second SAVE starts: CONV has run, the first SAVE is running.
    expect((await topFrame(d)).line).toBe(SAVE1);
    const inst = await vars(d, 'Instruction');
    expect(inst.get('mnemonic')!.value).toBe('SAVE');
    const fields = await children(d, inst.get('fields')!);
    expect(fields.get('bank_id')!.value).toBe('VB1[1]');
    expect(fields.get('length')!.value).toBe('8');
    expect(fields.get('bank_id')!.type).toMatch(/bank/i);
    const timing = await children(d, inst.get('timing')!);
    expect(Number(timing.get('end')!.value) - Number(timing.get('start')!.value)).toBe(Number(timing.get('cycles')!.value));
    // Each output row h of the convolution sits in VB1[h] (pixel x at address x, 16 channels).
    for (const h of [0, 3, 7]) {
      const m = await readMemory(d, await bankRef(d, 'VB1', `VB1[${h}]`), 0, 128);
      expect(m.address).toBe('0x0');
      expect(m.data.equals(EXPECTED.subarray(h * 128, (h + 1) * 128))).toBe(true);
    }
    // Input row 5 in VB0[5]; reading past the end of a bank reports the unreadable bytes.
    const vb0 = await bankRef(d, 'VB0', 'VB0[5]');
    expect((await readMemory(d, vb0, 0, 128)).data.equals(INPUT.subarray(5 * 128, 6 * 128))).toBe(true);
    const past = await readMemory(d, vb0, 2048 * 16 - 8, 32);
    expect(past.data.length).toBe(8);
    expect(past.unreadableBytes).toBe(24);
    // Only the first SAVE has written DDR so far: output bytes of row 1 are still unwritten (zero).
    const regions = await children(d, (await vars(d, 'Memory')).get('DDR regions')!);
    const outRef = regions.get('output')!.memoryReference!;
    expect((await readMemory(d, outRef, 0, 128)).data.equals(EXPECTED.subarray(0, 128))).toBe(true);
    expect((await readMemory(d, outRef, 128, 128)).data.equals(Buffer.alloc(128))).toBe(true);
    // Continue to the end: the whole output region is the expected result.
    const end = await stopAfter(d, () => d.continueRequest({ threadId: 1 }));
    expect(end.body.reason).toBe('end');
    expect((await readMemory(d, outRef, 0, 1024)).data.equals(EXPECTED)).toBe(true);
    // And back from the end: the DDR row written by the last SAVE is gone again.
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    expect((await readMemory(d, outRef, 7 * 128, 128)).data.equals(Buffer.alloc(128))).toBe(true);
    expect((await readMemory(d, outRef, 6 * 128, 128)).data.equals(EXPECTED.subarray(6 * 128, 7 * 128))).toBe(true);
  });

  it('stops at breakpoints whose conditions name the core and the cycle, and counts hits', async () => {
    let set: DebugProtocol.SetBreakpointsResponse | undefined;
    const { dc: d, stopped } = await start({ program: PROGRAM, cores: 3 }, async (c) => {
      set = await c.setBreakpointsRequest({
        source: { path: PROGRAM },
        breakpoints: [
          { line: SAVE1, condition: 'core == 2 && engine == SAVE' },
          { line: LOAD1, hitCondition: '2' },
          { line: CONV, condition: 'kernel_h > 1' },
          { line: CONV, condition: 'cylce > 5' },
          { line: CONV, hitCondition: 'twice' },
        ],
      });
    });
    const bps = set!.body.breakpoints;
    expect(bps.slice(0, 2).map((b) => b.verified)).toEqual([true, true]);
    // kernel_h is a CONVINIT field, not one of CONV's: the condition is refused with the names it can use.
    expect(bps[2]!.verified).toBe(false);
    expect(bps[2]!.message).toMatch(/unknown name 'kernel_h'.*fields of CONV/);
    expect(bps[3]!.message).toMatch(/unknown name 'cylce'/);
    expect(bps[4]!.message).toMatch(/hit count 'twice'/);
    // First stop: the second hit of LOAD1 over all cores (all three cores load at once; the second is core 1's).
    expect(stopped.body.reason).toBe('breakpoint');
    expect(stopped.body.hitBreakpointIds).toEqual([bps[1]!.id]);
    expect(stopped.body.threadId).toBe(2);
    expect((await topFrame(d, 2)).line).toBe(LOAD1);
    // Next stop: the SAVE on core 2 only.
    const s2 = await stopAfter(d, () => d.continueRequest({ threadId: 2 }));
    expect(s2.body.reason).toBe('breakpoint');
    expect(s2.body.threadId).toBe(3);
    expect((await topFrame(d, 3)).line).toBe(SAVE1);
    const atSave = Number(await cycle(d, 3));
    // A condition on the cycle: stop on the SAVE only after that cycle, on any core (none is left).
    await d.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: SAVE1, condition: `cycle > ${atSave}` }] });
    const s3 = await stopAfter(d, () => d.continueRequest({ threadId: 3 }));
    expect(s3.body.reason).toBe('end');
    // Reverse continue: back to the last SAVE1 stop whose cycle is later than atSave... none: the start.
    // With the plain breakpoint, reverse continue finds the last SAVE1 start (the latest core's).
    await d.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: SAVE1 }] });
    const s4 = await stopAfter(d, () => d.reverseContinueRequest({ threadId: 1 }));
    expect(s4.body.reason).toBe('breakpoint');
    expect((await topFrame(d, s4.body.threadId)).line).toBe(SAVE1);
    expect(Number(await cycle(d, s4.body.threadId))).toBeGreaterThanOrEqual(atSave);
    // A breakpoint on a comment line moves to the next instruction.
    const moved = await d.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: CONV - 1 }] });
    expect(moved.body.breakpoints[0]).toMatchObject({ verified: true, line: CONV });
  });

  it('stops on a data breakpoint on a bank range, forward and in reverse', async () => {
    const { dc: d } = await start({ program: PROGRAM, cores: 1, stopOnEntry: true });
    const info = await d.dataBreakpointInfoRequest({ name: 'VB1[3]@4', asAddress: true, bytes: 32 });
    expect(info.body.dataId).toBeTruthy();
    expect(info.body.description).toBe('writes to VB1[3] addresses 4..5');
    expect(info.body.accessTypes).toEqual(['write']);
    const bad = await d.dataBreakpointInfoRequest({ name: 'VB9[3]', asAddress: true });
    expect(bad.body.dataId).toBeNull();
    expect(bad.body.description).toMatch(/'VB9\[3\]' is not a bank of ZU9/);
    const set = await d.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId! }] });
    expect(set.body.breakpoints[0]!.verified).toBe(true);
    const s = await stopAfter(d, () => d.continueRequest({ threadId: 1 }));
    expect(s.body.reason).toBe('data breakpoint');
    expect(s.body.description).toMatch(new RegExp(`^CONV at line ${CONV} on core 0 wrote \\(writes to VB1\\[3\\] addresses 4..5\\)`));
    // Stopped right after the write, when the next instruction starts (the first SAVE, as CONV ends):
    // the bank holds the row already.
    expect((await readMemory(d, await bankRef(d, 'VB1', 'VB1[3]'), 0, 128)).data.equals(EXPECTED.subarray(3 * 128, 4 * 128))).toBe(true);
    expect((await vars(d, 'Engines')).get('CONV')!.value).toBe(`finished: its last instruction, CONV at line ${CONV}, ended at cycle 1955`);
    expect((await topFrame(d)).line).toBe(lineOf('bank_id=VB1[0]'));
    // Nothing else writes there: forward runs to the end, and reverse finds the CONV again.
    expect((await stopAfter(d, () => d.continueRequest({ threadId: 1 }))).body.reason).toBe('end');
    const back = await stopAfter(d, () => d.reverseContinueRequest({ threadId: 1 }));
    expect(back.body.reason).toBe('data breakpoint');
    expect(back.body.description).toMatch(new RegExp(`^CONV at line ${CONV}`));
    // A DDR range: the last 16 bytes of the output region, which the last SAVE writes.
    const ddr = await d.dataBreakpointInfoRequest({ name: 'ddr:output@0x3f0+16', asAddress: true });
    expect(ddr.body.description).toBe('writes to DDR region output bytes 0x3f0..0x3ff');
    await d.setDataBreakpointsRequest({ breakpoints: [{ dataId: ddr.body.dataId! }] });
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    const back2 = await stopAfter(d, () => d.reverseContinueRequest({ threadId: 1 }));
    expect(back2.body.reason).toBe('entry');
    const save = await stopAfter(d, () => d.continueRequest({ threadId: 1 }));
    expect(save.body.reason).toBe('data breakpoint');
    expect(save.body.description).toMatch(new RegExp(`^SAVE at line ${lineOf('bank_id=VB1[7]')} on core 0 wrote`));
    // A data breakpoint picked in the Variables view (the whole bank) works the same way.
    const mem = await vars(d, 'Memory');
    const groups = await children(d, mem.get('banks')!);
    const vb1 = groups.get('VB1')!;
    const whole = await d.dataBreakpointInfoRequest({ variablesReference: vb1.variablesReference, name: 'VB1[0]' });
    expect(whole.body.description).toBe('core 0: writes to VB1[0]');
    const notMemory = await d.dataBreakpointInfoRequest({ variablesReference: mem.get('banks')!.variablesReference, name: 'VB1' });
    expect(notMemory.body.dataId).toBeNull();
  });

  it('stops a deadlocked program at the deadlock with the blocked engines shown', async () => {
    const { dc: d, stopped } = await start({ program: DEADLOCK, cores: 1 });
    expect(stopped.body.reason).toBe('exception');
    expect(stopped.body.description).toBe('Deadlock: no engine can start');
    expect(stopped.body.text).toMatch(/^deadlock: no engine can start, and 9 instructions never run/);
    const info = await d.exceptionInfoRequest({ threadId: 1 });
    expect(info.body.exceptionId).toBe('deadlock');
    const frames = (await d.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const conv = frames.find((f) => f.name.startsWith('CONV'))!;
    expect(conv.name).toBe('CONV: blocked — CONV');
    expect(conv.line).toBe(lineOf('CONV     dpdon', 0, fs.readFileSync(DEADLOCK, 'utf8')));
    const engines = await vars(d, 'Engines');
    expect(engines.get('CONV')!.value).toMatch(/^blocked for ever \(deadlock\): CONV at line \d+ waits for a token on LOAD->CONV/);
    expect(engines.get('SAVE')!.value).toMatch(/^blocked for ever \(deadlock\): SAVE at line \d+ waits for a token on CONV->SAVE/);
    expect(engines.get('LOAD')!.value).toMatch(/^finished/);
    expect((await vars(d, 'Run')).get('status')!.value).toBe('deadlocked');
    // Stepping back from the deadlock works like anywhere else.
    expect((await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }))).body.reason).toBe('step');
  });

  it('stops before an instruction the race check flags, with the race in the text', async () => {
    const { dc: d, stopped } = await start({ program: RACE, cores: 1 });
    expect(stopped.body.reason).toBe('exception');
    expect(stopped.body.text).toMatch(/^data race: CONV at line \d+ reads VB0\[0\] addresses 0..7, which LOAD at line \d+ writes, and no token orders the two/);
    expect((await topFrame(d)).line).toBe(lineOf('CONV     dpdby', 0, fs.readFileSync(RACE, 'utf8')));
    expect((await vars(d, 'Run')).get('result vs order')!.value).toMatch(/^DEPENDS ON THE ORDER: 25 race/);
    // With the filter off, the run goes to the end.
    await d.setExceptionBreakpointsRequest({ filters: [] });
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    expect((await stopAfter(d, () => d.continueRequest({ threadId: 1 }))).body.reason).toBe('end');
  });

  it('steps within one engine, out of a layer, and jumps to a line', async () => {
    const { dc: d } = await start({ program: PROGRAM, cores: 1, stopOnEntry: true });
    // Select the SAVE frame (VS Code asks for its scopes), then step in: SAVE's first instruction starts.
    const frames = (await d.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const save = frames.find((f) => f.name.startsWith('SAVE'))!;
    await d.scopesRequest({ frameId: save.id });
    await stopAfter(d, () => d.stepInRequest({ threadId: 1 }));
    // The session stops when the next instruction starts: the SAVE after it, as soon as the first ends.
    expect((await vars(d, 'Engines')).get('SAVE')!.value).toBe(`starting now: SAVE at line ${SAVE1}`);
    expect(Number(await cycle(d))).toBeGreaterThan(1955);
    await stopAfter(d, () => d.stepBackRequest({ threadId: 1 }));
    expect((await vars(d, 'Engines')).get('SAVE')!.value).toBe(`starting now: SAVE at line ${lineOf('bank_id=VB1[0]')}`);
    expect(await cycle(d)).toBe('1955');
    await stopAfter(d, () => d.stepInRequest({ threadId: 1 }));
    // Step-in targets name the engines that have instructions left.
    const targets = await d.stepInTargetsRequest({ frameId: (await topFrame(d)).id });
    expect(targets.body.targets.map((t) => t.label)).toEqual(['the next SAVE instruction on core 0']);
    // Jump to the CONV line (goto targets), then step out: the program has one layer, so it runs to the end.
    const gt = await d.gotoTargetsRequest({ source: { path: PROGRAM }, line: CONV });
    expect(gt.body.targets[0]!.line).toBe(CONV);
    await stopAfter(d, () => d.gotoRequest({ threadId: 1, targetId: gt.body.targets[0]!.id }));
    expect((await topFrame(d)).line).toBe(CONV);
    expect(await cycle(d)).toBe('1859');
    expect((await stopAfter(d, () => d.stepOutRequest({ threadId: 1 }))).body.reason).toBe('end');
    // The debug console evaluates expressions at the top frame's instruction.
    const ev = await d.evaluateRequest({ expression: 'cycle > 0 && engine == "END"', context: 'repl' });
    expect(ev.body.result).toBe('true');
    await expect(d.evaluateRequest({ expression: 'cycle >', context: 'repl' })).rejects.toThrow(/ends where a value is expected/);
  });

  it('serves the timeline, a Perfetto trace and cycle jumps through custom requests', async () => {
    const { dc: d } = await start({ program: PROGRAM, cores: 2, stopOnEntry: true });
    const tl = (await d.customRequest('dnnvm/timeline')).body as { bars: { lane: number[] }; cores: number; cursor: { position: number } };
    // Every instruction but END, on each of 2 cores.
    expect(tl.cores).toBe(2);
    expect(tl.bars.lane.length).toBe(2 * 35);
    const trace = JSON.parse(((await d.customRequest('dnnvm/perfetto')).body as { json: string }).json) as { traceEvents: { ph: string; pid: number }[] };
    // A slice per instruction on each core (and the layer), and the board's DDR bandwidth counter.
    expect(trace.traceEvents.filter((e) => e.ph === 'X' && e.pid < 2).length).toBe(2 * 35 + 1);
    expect(trace.traceEvents.some((e) => e.ph === 'C')).toBe(true);
    const pos = d.waitForEvent('dnnvm/position');
    const s = await stopAfter(d, () => d.customRequest('dnnvm/gotoCycle', { cycle: 1000 }));
    expect(s.body.reason).toBe('goto');
    const p = (await pos) as DebugProtocol.Event;
    expect(p.body.cycle).toBeGreaterThanOrEqual(1000);
    await expect(d.customRequest('dnnvm/gotoCycle', { cycle: 'soon' })).rejects.toThrow(/'cycle' must be a cycle number/);
    // Pause while stopped answers with a pause stop at the same place.
    const before = await cycle(d);
    expect((await stopAfter(d, () => d.pauseRequest({ threadId: 1 }))).body.reason).toBe('pause');
    expect(await cycle(d)).toBe(before);
  });
});

describe('invalid launch configurations get an error naming the field', () => {
  async function launchError(args: Record<string, unknown>): Promise<string> {
    dc = new DebugClient('node', ADAPTER, 'dnnasm');
    await dc.start();
    try {
      await dc.launch({ type: 'dnnasm', request: 'launch', name: 'bad', ...args });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('the launch succeeded');
  }

  it.each([
    [{}, "launch configuration, 'program': missing"],
    [{ program: 42 }, "'program': must be a non-empty string, not 42"],
    [{ program: path.join(tmp, 'nope.dnnasm') }, "'program': " + path.join(tmp, 'nope.dnnasm') + ' does not exist'],
    [{ program: path.join(tmp, 'conv3x3.input.bin') }, "'program': conv3x3.input.bin is neither a .dnnasm file nor a package .manifest.json"],
    [{ program: PROGRAM, cores: 7 }, "'cores': 7 is more than ZU9's 3 cores: give 1..3"],
    [{ program: PROGRAM, cores: 1.5 }, "'cores': must be a whole number of cores"],
    [{ program: PROGRAM, arch: 'ZU99' }, "'arch': unknown architecture 'ZU99'"],
    [{ program: PROGRAM, input: path.join(tmp, 'conv3x3.bias.bin') }, 'holds 16 bytes, but region input has size=1024: supply exactly 1024 bytes'],
    [{ program: PROGRAM, segment: 'second' }, "'segment': \"second\" is not a segment of conv3x3.dnnasm; it has 0: main"],
    [{ program: PROGRAM, stopOnEntry: 'yes' }, "'stopOnEntry': must be true or false"],
    [{ progam: PROGRAM }, "'progam': unknown attribute; did you mean 'program'?"],
  ])('%j', async (args, message) => {
    expect(await launchError(args)).toContain(message);
  });

  it('a program that does not assemble names the file, the line and the error', async () => {
    const file = variant('broken.dnnasm', 'bank_id=VB0[0]', 'bank_id=VB0[9]');
    const msg = await launchError({ program: file });
    expect(msg).toContain(`'program': the program does not assemble (1 error); fix it first:\n${file}:${lineOf('bank_id=VB0[0]')}:`);
  });
});
