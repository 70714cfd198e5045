import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveArch, type Arch } from '../arch/model';
import { boardByName } from '../arch/presets';
import { resolveArch } from '../arch/load';
import { assembleText } from '../asm/file';
import { CancelledError } from '../util/errors';
import { instrStream } from '../../test/support/arbitraries';
import { DDR, soloCycles } from './cost';
import { analyzeDependencies } from './deps';
import { programFromAsm, programFromInstrs, type SimProgram } from './program';
import { instr, mask, pingPongProgram } from './testing/build';
import { END, START, STEADY_STATE_IMAGES, instructionTiming, simulateSteadyState, simulateTiming, type TimingResult } from './timing';
import { chromeTrace } from './trace';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;
const FIXTURE = path.join(__dirname, '..', '..', 'test-fixtures', 'programs', 'conv3x3.dnnasm');

function fixture(edit: (t: string) => string = (t) => t): { text: string; program: SimProgram } {
  const text = edit(fs.readFileSync(FIXTURE, 'utf8'));
  const a = assembleText(text, FIXTURE);
  if (a.program.diagnostics.some((d) => d.severity === 'error')) throw new Error(a.program.diagnostics.map((d) => d.message).join('\n'));
  return { text, program: programFromAsm(a.program, a.index) };
}
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const d9 = ZU9.derived;
const LAT = d9.ddrLatencyCycles;

/** Times of instruction i on core c. */
function span(r: TimingResult, i: number, c = 0): [number, number] {
  return [r.times[c]!.rec[2 * i + START]!, r.times[c]!.rec[2 * i + END]!];
}

const convInit = (o: { kh?: number; kw?: number; vpp?: number } = {}) =>
  instr('CONVINIT', {
    jump_read: 1,
    shift_cut: 8,
    act_type: 0,
    jump_read_endl: 64,
    shift_bias: 0,
    stride_out: 1,
    jump_write: 1,
    valid_pixel_parallel: o.vpp ?? 8,
    kernel_h: o.kh ?? 3,
    stride_h: 1,
    jump_write_endl: 64,
    kernel_w: o.kw ?? 3,
    stride_w: 1,
  });
const conv = (o: { length: number; cg: number; dpdon?: number; dpdby?: number; co?: number }) =>
  instr('CONV', {
    dpdon: o.dpdon ?? 0,
    dpdby: o.dpdby ?? 0,
    bank_addr_in: 0,
    bank_addr_out: 0,
    pad_bottom: 2,
    pad_right: 2,
    channel_group: o.cg,
    bank_addr_weights: 0,
    bank_id_in: 0,
    length: o.length,
    bank_addr_bias: 0,
    bank_id_out: 8,
    channel_offset: o.co ?? 0,
  });
const load = (o: { length: number; channel: number; bank?: number; dpdon?: number; dpdby?: number; broadcast?: number }) =>
  instr('LOAD', { dpdon: o.dpdon ?? 0, dpdby: o.dpdby ?? 0, bank_addr: 0, bank_id: o.bank ?? 0, jump_write: 1, jump_read: o.channel, length: o.length, channel: o.channel, reg_id: 0, ddr_addr: 0, broadcast: o.broadcast ?? 0 });
const save = (o: { length: number; channel: number; dpdon?: number; dpdby?: number; argmax?: number; constEn?: number }) =>
  instr('SAVE', { dpdon: o.dpdon ?? 0, dpdby: o.dpdby ?? 0, bank_addr: 0, bank_id: 8, jump_read: 1, jump_write: o.channel, length: o.length, channel: o.channel, reg_id: 1, ddr_addr: 0, argmax: o.argmax ?? 0, const_en: o.constEn ?? 0 });
const END_ = instr('END', {});

function sim(arch: Arch, instrs: ReturnType<typeof instr>[], cores = 1, extra: Parameters<typeof simulateTiming>[1] = {}) {
  return simulateTiming(programFromInstrs(instrs, arch), { cores, ...extra });
}

describe('instruction costs (docs/timing-model.md)', () => {
  it('CONV: length x kernel_h x kernel_w x channel_group + pipeline depth, after its CONVINIT', () => {
    const r = sim(ZU9, [convInit({ kh: 3, kw: 5 }), conv({ length: 20, cg: 3 }), END_]);
    expect(span(r, 0)).toEqual([0, ZU9.dpu.initCycles]);
    expect(span(r, 1)).toEqual([ZU9.dpu.initCycles, ZU9.dpu.initCycles + 20 * 3 * 5 * 3 + ZU9.dpu.convPipelineCycles]);
    expect(r.cycles).toBe(span(r, 1)[1]);
    // MACs count valid rows and the channels channel_offset leaves: 8 rows x 20 x 16 x 15 x 48.
    expect(r.costs.macs[1]).toBe(8 * 20 * 16 * 15 * 48);
    const r2 = sim(ZU9, [convInit({ vpp: 5 }), conv({ length: 4, cg: 1, co: 6 }), END_]);
    expect(r2.costs.macs[1]).toBe(5 * 4 * 16 * 9 * 10);
    expect(span(r2, 1)[1] - span(r2, 1)[0]).toBe(4 * 9 * 1 + 24);
  });

  it('POOL, DPTWISE and ELEW on the MISC engine, with its own pixel and channel parallelism', () => {
    const dpu = ZU2.dpu; // PP 4, ICP 12, misc PP 2, miscCP 12
    const pool = sim(ZU2, [
      instr('POOLINIT', { jump_read: 1, kernel_h: 3, kernel_w: 2, pool_type: 0, stride_h: 1, stride_w: 1, valid_pixel_parallel: 2, stride_out: 1, jump_write: 1 }),
      instr('POOL', { bank_addr_in: 0, channel_group: 3, bank_id_in: 0, pad_bottom: 2, pad_right: 1, jump_write_endl: 1, bank_id_out: 4, length: 7, jump_read_endl: 1, bank_addr_out: 0 }),
      END_,
    ]);
    expect(span(pool, 1)[1] - span(pool, 1)[0]).toBe(7 * 3 * 2 * Math.ceil((3 * 12) / dpu.miscCP) + dpu.miscPipelineCycles);
    const reduce = sim(ZU2, [
      instr('POOLINIT', { jump_read: 1, kernel_h: 3, kernel_w: 2, pool_type: 2, stride_h: 1, stride_w: 1, valid_pixel_parallel: 1, stride_out: 1, jump_write: 1 }),
      instr('POOL', { bank_addr_in: 0, channel_group: 1, bank_id_in: 0, pad_bottom: 0, pad_right: 0, jump_write_endl: 1, bank_id_out: 4, length: 5, jump_read_endl: 1, bank_addr_out: 0, downsample_kernel_w: 4, downsample_kernel_h: 4 }),
      END_,
    ]);
    expect(span(reduce, 1)[1] - span(reduce, 1)[0]).toBe(5 * 4 * 4 + dpu.miscPipelineCycles);
    const dw = sim(ZU2, [
      instr('DWINIT', { jump_read_endl: 1, jump_read: 1, jump_write_endl: 1, kernel_h: 3, kernel_w: 3, stride_h: 1, stride_w: 1, valid_pixel_parallel: 2, shift_cut: 0, shift_bias: 0, stride_out: 1, jump_write: 1 }),
      instr('DPTWISE', { bank_addr_in: 0, channel_group: 2, bank_addr_out: 0, pad_bottom: 2, pad_right: 2, bank_addr_weights: 0, bank_id_in: 0, length: 6, act_type: 0, bank_addr_bias: 0, bank_id_out: 4 }),
      END_,
    ]);
    expect(span(dw, 1)[1] - span(dw, 1)[0]).toBe(6 * 9 * 2 + dpu.miscPipelineCycles);
    expect(dw.costs.macs[1]).toBe(2 * 6 * 24 * 9);
    const elewInit = (id: number) => instr('ELEWINIT', { bank_id_in: 0, bank_addr_in: 0, jump_read_endl: 1, id, jump_read: 1 });
    const elew = sim(ZU2, [elewInit(0), elewInit(1), elewInit(2), instr('ELEW', { length: 9, act_type: 0, elew_type: 0, bank_id_out: 4, bank_addr_out: 0, jump_write_endl: 1, num: 3, valid_pixel_parallel: 2, jump_write: 1, shift_write: 16, channel_group: 2 }), END_]);
    expect(span(elew, 3)).toEqual([3 * dpu.initCycles, 3 * dpu.initCycles + 9 * 3 * 2 + dpu.miscPipelineCycles]);
  });

  it('LOAD and SAVE: DDR latency, then bytes at the lowest of the bank side, the AXI ports and the DDR', () => {
    // 10 pixels of 16 bytes into one bank: the bank side writes 16 bytes per cycle.
    const r = sim(ZU9, [load({ length: 10, channel: 16 }), END_]);
    expect(span(r, 0)).toEqual([0, LAT + 160 / 16]);
    expect(LAT).toBe(66); // 200 ns at 330 MHz
    // 24 bytes per pixel take two bank addresses: 48 bytes over 4 cycles.
    const r2 = sim(ZU9, [load({ length: 2, channel: 24 }), END_]);
    expect(span(r2, 0)).toEqual([0, LAT + 48 / 12]);
    // broadcast=7 reads no DDR: only the bank side.
    const r3 = sim(ZU9, [load({ length: 10, channel: 40, broadcast: 7 }), END_]);
    expect(span(r3, 0)).toEqual([0, 30]);
    expect(r3.costs.bytes[0]).toBe(0);
    // argmax writes one byte per pixel; const_en reads no bank.
    const r4 = sim(ZU9, [save({ length: 10, channel: 64, argmax: 2 }), save({ length: 10, channel: 64, constEn: 1 }), END_]);
    expect(r4.costs.bytes[0]).toBe(10);
    expect(span(r4, 0)).toEqual([0, LAT + 40]);
    expect(span(r4, 1)).toEqual([LAT + 40, LAT + 40 + LAT + 640 / Math.min(d9.axiBytesPerCyclePerCore, d9.ddrBytesPerCycle)]);
  });

  it('shares the AXI ports of a core between its LOAD and SAVE, and the DDR between all transfers of all cores', () => {
    const narrow = deriveArch({ ...ZU9, axi: { dataPorts: 1, portBytes: 8 } });
    const r = sim(narrow, [load({ length: 100, channel: 16 }), save({ length: 100, channel: 16 }), END_]);
    // Both move at 4 bytes per cycle while both move.
    expect(span(r, 0)).toEqual([0, LAT + 1600 / 4]);
    expect(span(r, 1)).toEqual([0, LAT + 1600 / 4]);
    // ZU2's LPDDR4 (20.7 B/cycle) cannot feed two 12-byte bank sides: each gets half.
    const z = sim(ZU2, [load({ length: 100, channel: 12 }), save({ length: 100, channel: 12 }), END_]);
    expect(span(z, 0)[1]).toBeCloseTo(ZU2.derived.ddrLatencyCycles + 1200 / (ZU2.derived.ddrBytesPerCycle / 2), 9);
    expect(instructionTiming(z, 0)!.stall.ddrContention).toBeCloseTo(1200 / (ZU2.derived.ddrBytesPerCycle / 2) - 1200 / 12, 9);
    // Three ZU9 cores each loading 16 bytes per cycle ask for 48 of the board's 46.5.
    const m = sim(ZU9, [load({ length: 100, channel: 16 }), END_], 3, { recordAllCores: true });
    for (let c = 0; c < 3; c++) expect(span(m, 0, c)[1]).toBeCloseTo(LAT + 1600 / (d9.ddrBytesPerCycle / 3), 9);
    expect(instructionTiming(m, 0, 2)!.stall.ddrContention).toBeGreaterThan(0);
  });

  it('charges INITs initCycles and END nothing', () => {
    const r = sim(ZU9, [convInit(), convInit(), END_]);
    expect(r.cycles).toBe(2 * ZU9.dpu.initCycles);
  });
});

describe('dependencies and overlap', () => {
  const T = 8;
  const loadCycles = LAT + (32 * 64) / 16;
  const convCycles = 32 * 9 * 4 + 24;
  const saveCycles = LAT + (32 * 16) / 16;

  it('a double-buffered LOAD/CONV/SAVE ping-pong overlaps: the CONV engine never waits after the first tile', () => {
    const r = simulateTiming(programFromInstrs(pingPongProgram(ZU9, T), ZU9), { cores: 1 });
    expect(r.status).toBe('complete');
    expect(r.problems).toEqual([]);
    expect(r.cycles).toBe(loadCycles + T * convCycles + saveCycles);
    const serialSum = T * (loadCycles + convCycles + saveCycles);
    expect(r.cycles).toBeLessThan(0.85 * serialSum);
    // CONV of tile 2: its LOAD was long done, but the CONV engine was busy with tile 1.
    const conv2 = instructionTiming(r, 1 + 3 * 2 + 1)!;
    expect(conv2.stall.token).toBe(0);
    expect(conv2.stall.engineBusy).toBeGreaterThan(0);
    // The first CONV waited for LOAD's token.
    const conv0 = instructionTiming(r, 2)!;
    expect(conv0.stall).toMatchObject({ tokenFrom: 'LOAD', token: loadCycles - ZU9.dpu.initCycles, engineBusy: 0 });
  });

  it('a serial chain (each instruction waits for the one before) does not overlap: it takes the sum of its parts', () => {
    const instrs = [convInit()];
    for (let t = 0; t < T; t++) {
      instrs.push(load({ length: 32, channel: 64, dpdon: t > 0 ? mask('SAVE') : 0, dpdby: mask('CONV') }));
      instrs.push(conv({ length: 32, cg: 4, dpdon: mask('LOAD'), dpdby: mask('SAVE') }));
      instrs.push(save({ length: 32, channel: 16, dpdon: mask('CONV'), dpdby: t < T - 1 ? mask('LOAD') : 0 }));
    }
    instrs.push(END_);
    const r = sim(ZU9, instrs);
    expect(r.problems).toEqual([]);
    expect(r.cycles).toBe(T * (loadCycles + convCycles + saveCycles));
  });

  it('reports a deadlock with the blocked instructions by line and the token counts, as the untimed analysis does', () => {
    const { text, program } = fixture((t) => t.replace('LOAD     dpdby=CONV bank_addr=0 bank_id=BIAS[0]', 'LOAD     dpdby=SAVE bank_addr=0 bank_id=BIAS[0]'));
    const r = simulateTiming(program);
    const conv = lineOf(text, 'CONV     dpdon');
    const save0 = lineOf(text, 'SAVE     dpdon');
    expect(r.status).toBe('deadlock');
    const message =
      `deadlock: no engine can start, and 9 instructions never run. CONV at line ${conv} waits for a token from LOAD (LOAD->CONV holds none; LOAD has finished without giving one); ` +
      `SAVE at line ${save0} waits for a token from CONV (CONV->SAVE holds none; CONV is itself blocked at line ${conv}). Tokens held: LOAD->SAVE 1. ` +
      'Give the missing tokens (a dpdby bit on an earlier instruction of the giving engine) or remove the dpdon bits that wait for them';
    expect(r.problems).toEqual([{ severity: 'error', code: 'deadlock', instr: program.lines!.indexOf(conv), related: [program.lines!.indexOf(save0)], message }]);
    expect(analyzeDependencies(program).problems).toEqual(r.problems);
    // What ran has times; what did not, has none.
    expect(instructionTiming(r, 0)).toBeDefined();
    expect(instructionTiming(r, program.lines!.indexOf(conv))).toBeUndefined();
  });

  it('warns about tokens left over at END, naming the last giver', () => {
    const { text, program } = fixture((t) => t.replace('SAVE     bank_addr=0 bank_id=VB1[7]', 'SAVE     dpdby=LOAD|MISC bank_addr=0 bank_id=VB1[7]'));
    const r = simulateTiming(program);
    const last = lineOf(text, 'bank_id=VB1[7]');
    expect(r.status).toBe('complete');
    expect(r.problems.map((x) => [x.severity, program.lines![x.instr], x.message])).toEqual([
      ['warning', last, `1 token from SAVE to LOAD is given but never taken (the last by SAVE at line ${last}); at END it stays in the counter, where the next run would find it: remove dpdby=LOAD there, or add dpdon=SAVE to a later LOAD instruction`],
      ['warning', last, `1 token from SAVE to MISC is given but never taken (the last by SAVE at line ${last}); at END it stays in the counter, where the next run would find it: remove dpdby=MISC there, or add dpdon=SAVE to a later MISC instruction`],
    ]);
  });

  it('finds the same deadlocks as the untimed analysis on 300 random instruction streams', () => {
    fc.assert(
      fc.property(instrStream(ZU9, 30), fc.integer({ min: 1, max: 3 }), (instrs, cores) => {
        const p = programFromInstrs(instrs, ZU9);
        const r = simulateTiming(p, { cores });
        const a = analyzeDependencies(p);
        expect(r.status === 'deadlock').toBe(!a.complete);
        expect(r.problems.filter((x) => x.code === 'deadlock' || x.code === 'unbalanced-tokens')).toEqual(a.problems);
      }),
      { numRuns: 300 },
    );
  });
});

describe('physics and the token semantics hold on random pipelines', () => {
  const archs = [ZU9, ZU2, resolveArch('B1024'), deriveArch({ ...ZU9, axi: { dataPorts: 1, portBytes: 4 } })];
  it('no instruction beats its MACs at PP x ICP x OCP per cycle or its bytes at the DDR rate; engines run one at a time; tokens order givers before takers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...archs),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        (arch, tiles, length, cg, kernel, coresWanted) => {
          const cores = Math.min(coresWanted, arch.cores);
          const p = programFromInstrs(pingPongProgram(arch, tiles, { length, channelGroup: cg, kernel }), arch);
          const r = simulateTiming(p, { cores, recordAllCores: true, bandwidthTimeline: true });
          expect(r.status).toBe('complete');
          const d = arch.derived;
          const peak = arch.dpu.pp * arch.dpu.icp * arch.dpu.ocp;
          const eps = 1e-9;
          let moved = 0;
          for (let c = 0; c < cores; c++) {
            const lastEnd = [0, 0, 0, 0];
            for (let i = 0; i < p.count; i++) {
              const [s, e] = span(r, i, c);
              const engine = r.graph.engine[i]!;
              if (engine === 4) continue;
              expect(e - s).toBeGreaterThanOrEqual(r.costs.macs[i]! / peak - eps);
              if (r.costs.kind[i] === DDR) {
                expect(e - s).toBeGreaterThanOrEqual(d.ddrLatencyCycles + r.costs.bytes[i]! / Math.min(d.ddrBytesPerCycle, d.axiBytesPerCyclePerCore) - eps);
                expect(e - s).toBeGreaterThanOrEqual(soloCycles(arch, r.costs, i) - eps);
                moved += r.costs.bytes[i]!;
              }
              expect(s).toBeGreaterThanOrEqual(lastEnd[engine]! - eps);
              lastEnd[engine] = e;
              const giver = r.times[c]!.giver[i]!;
              if (giver >= 0) expect(s).toBeGreaterThanOrEqual(span(r, giver, c)[1]);
            }
          }
          // The board never moves more than its DDR allows, at any moment and over the run.
          for (const seg of r.bandwidth!) expect(seg.bytesPerCycle).toBeLessThanOrEqual(d.ddrBytesPerCycle * (1 + 1e-9));
          expect(moved).toBeLessThanOrEqual(d.ddrBytesPerCycle * r.cycles * (1 + 1e-9));
          for (const l of r.layers) expect(l.rooflineFraction).toBeLessThanOrEqual(1 + 1e-9);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('results', () => {
  it('per layer: spans, increments that add up, ops, utilization and the roofline', () => {
    const instrs = pingPongProgram(ZU9, 10);
    const p = programFromInstrs(instrs, ZU9, [
      { name: 'first', first: 0, end: 16 },
      { name: 'second', first: 16, end: instrs.length },
    ]);
    const r = simulateTiming(p, { cores: 1 });
    const [a, b] = r.layers;
    expect(a!.incrementalCycles + b!.incrementalCycles).toBe(r.cycles);
    expect(b!.endCycle).toBe(r.cycles);
    expect(a!.cycles).toBe(a!.endCycle - a!.startCycle);
    // Layer "second" starts before "first" ends: its LOADs run ahead.
    expect(b!.startCycle).toBeLessThan(a!.endCycle);
    const peak = ZU9.dpu.pp * ZU9.dpu.icp * ZU9.dpu.ocp;
    expect(a!.macs).toBe(5 * 8 * 32 * 16 * 9 * 64);
    expect(a!.ops).toBe(2 * a!.macs);
    expect(a!.utilization).toBeCloseTo(a!.macs / (a!.cycles * peak), 12);
    expect(a!.bound).toBe('compute');
    expect(a!.rooflineCycles).toBeCloseTo(a!.macs / peak, 9);
    expect(a!.opsPerSecond).toBeCloseTo((a!.ops * d9.frequencyHz) / a!.cycles, 0);
    expect(r.fps).toBeCloseTo(d9.frequencyHz / r.cycles, 6);
    expect(r.engines.map((e) => e.instructions)).toEqual([10, 10, 11, 0]);
  });

  it('stops at an instruction or cycle limit with partial results, and can be cancelled', () => {
    const p = programFromInstrs(pingPongProgram(ZU9, 100), ZU9);
    const lim = simulateTiming(p, { maxInstructions: 5, cores: 1 });
    expect(lim.status).toBe('limit');
    expect(lim.executed).toBe(5);
    expect(lim.problems.map((x) => x.code)).toEqual(['limit']);
    const cyc = simulateTiming(p, { maxCycles: 1000, cores: 1 });
    expect(cyc.status).toBe('limit');
    expect(cyc.cycles).toBe(1000);
    expect(cyc.layers).toEqual([]);
    const big = programFromInstrs(pingPongProgram(ZU9, 20000), ZU9);
    expect(() => simulateTiming(big, { isCancelled: () => true })).toThrow(CancelledError);
  });

  it('reports a CONV without CONVINIT as an error and still times the rest', () => {
    const r = sim(ZU9, [conv({ length: 4, cg: 1 }), END_]);
    expect(r.problems.map((x) => [x.code, x.message])).toEqual([['no-init', 'CONV at instruction 0 (word 0) has no CONVINIT before it, so its kernel, strides and shifts are unset: add a CONVINIT earlier in the program']]);
    expect(r.status).toBe('complete');
  });

  it('exports a Chrome trace: a track per engine per core, a slice per instruction named by its line', () => {
    const { text, program } = fixture();
    const r = simulateTiming(program, { recordAllCores: true, bandwidthTimeline: true });
    const t = JSON.parse(JSON.stringify(chromeTrace(program, r)));
    const slices = t.traceEvents.filter((e: { ph: string; cat?: string }) => e.ph === 'X' && e.cat !== 'layer');
    expect(slices.length).toBe((program.count - 1) * ZU9.cores);
    const conv = lineOf(text, 'CONV     dpdon');
    const convSlice = slices.find((e: { name: string; pid: number }) => e.name === `${conv}: CONV` && e.pid === 1);
    const [s, e] = span(r, program.lines!.indexOf(conv), 1);
    expect(convSlice).toMatchObject({ tid: 2, ts: s / ZU9.frequencyMHz, dur: (e - s) / ZU9.frequencyMHz, args: { at: `line ${conv}`, macs: 147456 } });
    const threads = t.traceEvents.filter((e: { name: string; pid: number }) => e.name === 'thread_name' && e.pid === 0).map((e: { args: { name: string } }) => e.args.name);
    expect(threads).toEqual(['LOAD', 'SAVE', 'CONV', 'MISC', 'layers']);
    expect(t.traceEvents.some((e: { ph: string }) => e.ph === 'C')).toBe(true);
  });
});

describe('images back to back and staggered cores (the steady state)', () => {
  // A DDR-heavy phase (a big LOAD) followed by a compute phase: aligned cores fight over the DDR in
  // the first phase, staggered ones do not.
  const program = () =>
    programFromInstrs(
      [
        convInit(),
        ...Array.from({ length: 6 }, () => load({ length: 512, channel: 1024, bank: 0 })),
        load({ length: 32, channel: 64, dpdby: mask('CONV') }),
        conv({ length: 32, cg: 64, dpdon: mask('LOAD'), dpdby: mask('SAVE') }),
        conv({ length: 32, cg: 64 }),
        save({ length: 32, channel: 16, dpdon: mask('CONV') }),
        END_,
      ],
      ZU9,
    );

  it('one core running images back to back has a period of exactly one image alone', () => {
    const one = simulateTiming(program(), { cores: 1 });
    const four = simulateTiming(program(), { cores: 1, images: 4 });
    expect(four.imageEnds[0]).toHaveLength(4);
    expect(four.period).toBeCloseTo(one.cycles, 6);
    expect(four.cycles).toBeCloseTo(4 * one.cycles, 6);
    expect(four.fps).toBeCloseTo(one.fps, 6);
    // Per-instruction times are the last image's: its first LOAD starts where the third image ended.
    expect(span(four, 1)[0]).toBeCloseTo(four.imageEnds[0]![2]!, 6);
    // Layers count from the last image's start, so their +cycles still add up to one image.
    expect(four.utilization).toBeCloseTo(one.utilization, 6);
  });

  it('a core starts no earlier than its start cycle', () => {
    const r = simulateTiming(program(), { cores: 3, recordAllCores: true, startCycles: [0, 1000, 5000] });
    expect(span(r, 1, 1)[0]).toBe(1000);
    expect(span(r, 1, 2)[0]).toBe(5000);
  });

  it('staggering DDR-heavy cores raises throughput over starting them together, and never beats one core alone', () => {
    const one = simulateTiming(program(), { cores: 1 });
    const aligned = simulateTiming(program(), { cores: 3 });
    const steady = simulateSteadyState(program(), { cores: 3 });
    expect(steady.images).toBe(STEADY_STATE_IMAGES);
    expect(steady.fps).toBeGreaterThan(aligned.fps);
    // Physics: three cores never do better than three independent cores with the DDR to themselves.
    expect(steady.fps).toBeLessThanOrEqual(3 * one.fps * (1 + 1e-9));
    // Nor move bytes faster than the board's DDR allows.
    expect((steady.ddrBytes * 3) / steady.period).toBeLessThanOrEqual(ZU9.derived.ddrBytesPerCycle * (1 + 1e-9));
  });
});
