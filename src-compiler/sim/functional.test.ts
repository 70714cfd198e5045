import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardByName } from '../arch/presets';
import type { Arch } from '../arch/model';
import { assembleText } from '../asm/file';
import { loadDdrImage } from './ddr-files';
import { FunctionalMachine, runFunctional } from './functional';
import { DdrImage } from './memory';
import { programFromAsm, programFromInstrs, type SimProgram } from './program';
import { instr, mask } from './testing/build';
import { refConv, refDepthwise, refEltwise, refPool, seededBytes, tensor, type Activation, type Pads, type PoolType } from './testing/reference';
import { assembleOrThrow, runLayer } from './testing/run-layer';
import type { ConvLayer, DepthwiseLayer, EltwiseLayer, PoolLayer } from './testing/tiler';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;
const FIXTURE = path.join(__dirname, '..', '..', 'test-fixtures', 'programs', 'conv3x3.dnnasm');
const fixtureText = () => fs.readFileSync(FIXTURE, 'utf8');

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const k = text.split('\n').findIndex((l) => l.includes(needle));
  if (k < 0) throw new Error(`no line contains ${needle}`);
  return k + 1;
}

/** The fixture program with `edit` applied, assembled as if it were the fixture file, with its data. */
function fixtureVariant(edit: (text: string) => string): { text: string; program: SimProgram; ddr: DdrImage } {
  const text = edit(fixtureText());
  const a = assembleText(text, FIXTURE);
  const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  const program = programFromAsm(a.program, a.index);
  return { text, program, ddr: loadDdrImage(program, FIXTURE) };
}

function diff(out: Int8Array, ref: Int8Array): string {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < ref.length; i++)
    if (out[i] !== ref[i]) {
      bad++;
      if (first < 0) first = i;
    }
  return bad === 0 ? 'equal' : `${bad} of ${ref.length} bytes differ, first at ${first}: ${out[first]} != ${ref[first]}`;
}

const pads = (t: number, l: number, b: number, r: number): Pads => ({ top: t, left: l, bottom: b, right: r });

function checkConv(arch: Arch, L: Omit<ConvLayer, 'kind'>, seed: number, opts: { channelOffset?: boolean; outStride?: number; maxLength?: number } = {}) {
  const layer: ConvLayer = { kind: 'conv', ...L };
  const input = seededBytes(seed, L.h * L.w * L.c);
  const weights = seededBytes(seed + 1, L.k * L.kh * L.kw * L.c);
  const bias = seededBytes(seed + 2, L.k);
  const run = runLayer(layer, arch, { input, weights, bias }, opts);
  expect(run.result.problems).toEqual([]);
  expect(diff(run.output, refConv(tensor(L.h, L.w, L.c, input), weights, bias, L.k, L).data)).toBe('equal');
}

describe('functional simulator against the plain reference', () => {
  it('runs the hand-written conv3x3 fixture to the reference output (conv3x3.expected.bin)', () => {
    const { program, ddr } = fixtureVariant((t) => t);
    const r = runFunctional(program, ddr);
    expect(r.problems).toEqual([]);
    expect(r.macs).toBe(8 * 8 * 16 * 9 * 16);
    const expected = new Int8Array(fs.readFileSync(FIXTURE.replace(/\.dnnasm$/, '.expected.bin')));
    expect(diff(ddr.byName('output')!.data, expected)).toBe('equal');
  });

  it('convolves with every kernel size 1..7, strides 1..3 and "last valid index" right/bottom padding (ZU9 and ZU2)', () => {
    for (const arch of [ZU9, ZU2])
      for (let k = 1; k <= 7; k++) {
        const s = 1 + (k % 3);
        const p = Math.floor(k / 2);
        checkConv(arch, { h: 9, w: 10, c: 20, k: 21, kh: k, kw: k, sh: s, sw: s, pads: pads(p, p, p, p), act: 'none', shiftCut: 6, shiftBias: 4 }, 100 + k);
      }
  });

  it('convolves with rectangular kernels, unequal strides and asymmetric padding', () => {
    checkConv(ZU9, { h: 11, w: 13, c: 5, k: 7, kh: 2, kw: 5, sh: 1, sw: 2, pads: pads(0, 2, 1, 1), act: 'relu', shiftCut: 5, shiftBias: 3 }, 7);
    checkConv(ZU9, { h: 12, w: 7, c: 33, k: 16, kh: 4, kw: 1, sh: 3, sw: 1, pads: pads(2, 0, 1, 0), act: 'leaky_relu', shiftCut: 7, shiftBias: 0 }, 8);
  });

  it('applies each activation, and relu6 clamps to 96', () => {
    for (const act of ['none', 'relu', 'leaky_relu', 'relu6'] as Activation[])
      checkConv(ZU9, { h: 6, w: 6, c: 16, k: 16, kh: 3, kw: 3, sh: 1, sw: 1, pads: pads(1, 1, 1, 1), act, shiftCut: 4, shiftBias: 2 }, 11);
  });

  it('zeroes the padding channels with channel_offset as well as with the LOAD zero-fill', () => {
    checkConv(ZU9, { h: 5, w: 6, c: 3, k: 5, kh: 3, kw: 3, sh: 1, sw: 1, pads: pads(1, 1, 1, 1), act: 'none', shiftCut: 3, shiftBias: 1 }, 12, { channelOffset: true });
    checkConv(ZU2, { h: 5, w: 6, c: 17, k: 5, kh: 3, kw: 3, sh: 1, sw: 1, pads: pads(1, 1, 1, 1), act: 'none', shiftCut: 3, shiftBias: 1 }, 13, { channelOffset: true });
  });

  it('writes outputs with stride_out rows per bank and splits rows into several CONVs (stride_offset_out, wraps)', () => {
    checkConv(ZU9, { h: 20, w: 9, c: 8, k: 8, kh: 3, kw: 3, sh: 1, sw: 1, pads: pads(1, 1, 1, 1), act: 'none', shiftCut: 5, shiftBias: 2 }, 14, { outStride: 2, maxLength: 4 });
    checkConv(ZU2, { h: 14, w: 9, c: 8, k: 8, kh: 3, kw: 3, sh: 1, sw: 1, pads: pads(1, 1, 1, 1), act: 'none', shiftCut: 5, shiftBias: 2 }, 15, { outStride: 3, maxLength: 5 });
  });

  it('runs depthwise convolutions (DPTWISE) with kernels 1..5 and each activation', () => {
    for (const arch of [ZU9, ZU2])
      for (let k = 1; k <= 5; k++) {
        const L: Omit<DepthwiseLayer, 'kind'> = { h: 8, w: 9, c: 20, kh: k, kw: k, sh: 1 + (k % 2), sw: 1, pads: pads(k >> 1, k >> 1, k >> 1, k >> 1), act: (['none', 'relu', 'leaky_relu', 'relu6'] as const)[k % 4]!, shiftCut: 5, shiftBias: 2 };
        const input = seededBytes(200 + k, L.h * L.w * L.c);
        const weights = seededBytes(300 + k, k * k * L.c);
        const bias = seededBytes(400 + k, L.c);
        const run = runLayer({ kind: 'depthwise', ...L }, arch, { input, weights, bias });
        expect(run.result.problems).toEqual([]);
        expect(diff(run.output, refDepthwise(tensor(L.h, L.w, L.c, input), weights, bias, L).data)).toBe('equal');
      }
  });

  it('pools: max (pad -128) and average (pad 0, factor by kernel_w) for kernels 1..8, and max_reduce', () => {
    for (const arch of [ZU9, ZU2])
      for (let k = 1; k <= 8; k++)
        for (const type of ['max', 'avg', 'max_reduce'] as PoolType[]) {
          if (type === 'max_reduce' && k > 4) continue;
          const p = type === 'max_reduce' ? 0 : Math.min(k - 1, 1);
          const L: Omit<PoolLayer, 'kind'> = { type, h: 10, w: 11, c: 13, kh: k, kw: k, sh: type === 'max_reduce' ? k : 1 + (k % 2), sw: type === 'max_reduce' ? k : 2 - (k % 2), pads: pads(p, p, p, p), shiftCut: k % 3 === 0 ? 9 : k % 3 };
          const input = seededBytes(500 + k, L.h * L.w * L.c);
          const run = runLayer({ kind: 'pool', ...L }, arch, { input });
          expect(run.result.problems).toEqual([]);
          expect(diff(run.output, refPool(tensor(L.h, L.w, L.c, input), L).data), `${type} ${k}x${k} on ${arch.name}`).toBe('equal');
        }
  });

  it('adds two to four inputs and multiplies two (ELEWINIT queue, pre-shifts, shift_write, ReLU)', () => {
    for (const arch of [ZU9, ZU2])
      for (const [type, n, shiftWrite, relu] of [
        ['add', 2, 16, false],
        ['add', 3, 17, true],
        ['add', 4, 2, false],
        ['mult', 2, 18, false],
        ['mult', 2, 16, true],
      ] as const) {
        const L: Omit<EltwiseLayer, 'kind'> = { type, h: 7, w: 9, c: 20, shiftRead: [0, 1, 2, 3].slice(0, n), shiftWrite, relu };
        const inputs = Array.from({ length: n }, (_, i) => seededBytes(600 + i, L.h * L.w * L.c));
        const data: Record<string, Int8Array> = {};
        inputs.forEach((d, i) => (data[`input${i}`] = d));
        const run = runLayer({ kind: 'eltwise', ...L }, arch, data);
        expect(run.result.problems).toEqual([]);
        expect(diff(run.output, refEltwise(inputs.map((d) => tensor(L.h, L.w, L.c, d)), L).data)).toBe('equal');
      }
  });

  describe('property: random small layers, tiled into instructions, equal the reference', () => {
    const archArb = fc.constantFrom(ZU9, ZU2);
    const kernel = fc.integer({ min: 1, max: 5 });
    it('conv', () => {
      fc.assert(
        fc.property(
          archArb,
          fc.record({ h: fc.integer({ min: 1, max: 10 }), w: fc.integer({ min: 1, max: 10 }), c: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }), kh: kernel, kw: kernel, sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }) }),
          fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.nat(4)),
          fc.constantFrom<Activation>('none', 'relu', 'leaky_relu', 'relu6'),
          fc.integer({ min: 0, max: 12 }),
          fc.integer({ min: 0, max: 8 }),
          fc.boolean(),
          fc.integer({ min: 1, max: 2 ** 30 }),
          (arch, g, [pt, pl, pb, pr], act, shiftCut, shiftBias, channelOffset, seed) => {
            const L = { ...g, pads: pads(Math.min(pt, g.kh - 1), Math.min(pl, g.kw - 1), Math.min(pb, g.kh - 1), Math.min(pr, g.kw - 1)), act, shiftCut, shiftBias };
            fc.pre(L.h + L.pads.top + L.pads.bottom >= L.kh && L.w + L.pads.left + L.pads.right >= L.kw);
            checkConv(arch, L, seed, { channelOffset, maxLength: 1 + (seed % 7) });
          },
        ),
        { numRuns: 80 },
      );
    });
    it('depthwise, pool and eltwise', () => {
      fc.assert(
        fc.property(
          archArb,
          fc.record({ h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 40 }), kh: kernel, kw: kernel, sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }) }),
          fc.constantFrom('depthwise', 'max', 'avg', 'max_reduce', 'add', 'mult'),
          fc.integer({ min: 0, max: 12 }),
          fc.integer({ min: 1, max: 2 ** 30 }),
          (arch, g, kind, shift, seed) => {
            const p = pads(Math.min(1, g.kh - 1), Math.min(1, g.kw - 1), Math.min(1, g.kh - 1), Math.min(1, g.kw - 1));
            const input = seededBytes(seed, g.h * g.w * g.c);
            if (kind === 'add' || kind === 'mult') {
              const other = seededBytes(seed + 1, g.h * g.w * g.c);
              const L: Omit<EltwiseLayer, 'kind'> = { type: kind, h: g.h, w: g.w, c: g.c, shiftRead: [shift % 4, (shift >> 2) % 4], shiftWrite: 14 + (shift % 6), relu: shift % 2 === 0 };
              const run = runLayer({ kind: 'eltwise', ...L }, arch, { input0: input, input1: other });
              expect(run.result.problems).toEqual([]);
              expect(diff(run.output, refEltwise([tensor(g.h, g.w, g.c, input), tensor(g.h, g.w, g.c, other)], L).data)).toBe('equal');
              return;
            }
            if (kind === 'depthwise') {
              fc.pre(g.h + p.top + p.bottom >= g.kh && g.w + p.left + p.right >= g.kw);
              const L: Omit<DepthwiseLayer, 'kind'> = { ...g, pads: p, act: 'leaky_relu', shiftCut: shift, shiftBias: shift % 5 };
              const weights = seededBytes(seed + 1, g.kh * g.kw * g.c);
              const bias = seededBytes(seed + 2, g.c);
              const run = runLayer({ kind: 'depthwise', ...L }, arch, { input, weights, bias });
              expect(run.result.problems).toEqual([]);
              expect(diff(run.output, refDepthwise(tensor(g.h, g.w, g.c, input), weights, bias, L).data)).toBe('equal');
              return;
            }
            const reduce = kind === 'max_reduce';
            fc.pre(reduce ? g.h >= g.kh && g.w >= g.kw : g.h + p.top + p.bottom >= g.kh && g.w + p.left + p.right >= g.kw);
            const L: Omit<PoolLayer, 'kind'> = { ...g, type: kind as PoolType, pads: p, shiftCut: shift };
            const run = runLayer({ kind: 'pool', ...L }, arch, { input });
            expect(run.result.problems).toEqual([]);
            expect(diff(run.output, refPool(tensor(g.h, g.w, g.c, input), L).data)).toBe('equal');
          },
        ),
        { numRuns: 120 },
      );
    });
  });
});

/** A one-region program of hand-built instructions on ZU9, with the region's bytes. */
function handProgram(instrs: ReturnType<typeof instr>[], regions: { name: string; reg: number; offset?: number; size: number; data?: Int8Array }[]) {
  const p = programFromInstrs(instrs, ZU9, [], regions.map((r) => ({ name: r.name, reg: r.reg, offset: r.offset ?? 0, size: r.size })));
  const ddr = new DdrImage(p.regions, (r) => regions.find((x) => x.name === r.name)!.data);
  return { p, ddr, run: () => runFunctional(p, ddr) };
}

describe('LOAD and SAVE data movement (N7)', () => {
  it('zero-fills the rest of the last address, loads const_value with broadcast=7, and wraps at the end of the bank', () => {
    const data = Int8Array.from({ length: 40 }, (_, i) => i + 1);
    const { ddr, run } = handProgram(
      [
        instr('LOAD', { bank_addr: 2047, bank_id: 0, jump_write: 1, jump_read: 20, length: 2, channel: 20, reg_id: 0, ddr_addr: 0 }),
        instr('LOAD', { bank_addr: 5, bank_id: 1, jump_write: 1, jump_read: 1, length: 1, channel: 3, reg_id: 0, ddr_addr: 0, broadcast: 7, const_value: 0xfe }),
        instr('END', {}),
      ],
      [{ name: 'in', reg: 0, size: 40, data }],
    );
    const r = run();
    expect(r.problems).toEqual([]);
    // Pixel 0 at 2047 spans 2047 and (wrapping) 0; pixel 1 at 2048 = 0 spans 0 and 1.
    expect([...r.banks.read(0, 2047, 16)]).toEqual([...data.subarray(0, 16)]);
    expect([...r.banks.read(0, 0, 32)]).toEqual([...data.subarray(20, 40), ...new Array(12).fill(0)]);
    expect([...r.banks.read(1, 5, 16)]).toEqual([-2, -2, -2, ...new Array(13).fill(0)]);
    expect(ddr.byName('in')!.data).toEqual(data);
  });

  it('pads channel-augmented pixels: pad_start from the left, pad_end (plus jump_read per pixel) from the right, counted from the bank width', () => {
    // 4 pixels of a 3-channel image, each loading a 3-pixel window (channel 9, jump_read 3).
    const data = Int8Array.from({ length: 20 }, (_, i) => i + 1);
    const { run } = handProgram(
      [instr('LOAD', { bank_addr: 0, bank_id: 0, jump_write: 1, jump_read: 3, length: 4, channel: 9, reg_id: 0, ddr_addr: 0, pad_start: 3, pad_end: 7, pad_idx: 2 }), instr('END', {})],
      [{ name: 'in', reg: 0, size: 20, data }],
    );
    const r = run();
    expect(r.problems).toEqual([]);
    const px = (i: number) => [...r.banks.read(0, i, 16)];
    const src = (i: number) => [...data.subarray(3 * i, 3 * i + 9), ...new Array(7).fill(0)];
    // Pixel 0 loses its first 3 bytes; pixels from length - pad_idx = 2 on lose their last 7 (+3 per pixel) of 16.
    expect(px(0)).toEqual([0, 0, 0, ...src(0).slice(3)]);
    expect(px(1)).toEqual(src(1));
    expect(px(2)).toEqual([...src(2).slice(0, 9), ...new Array(7).fill(0)]);
    expect(px(3)).toEqual([...src(3).slice(0, 6), ...new Array(10).fill(0)]);
  });

  it('saves argmax (first maximum; index as int8 or the value), const_en and plain pixels', () => {
    const row = Int8Array.from({ length: 160 }, (_, i) => (i === 130 || i === 140 ? 100 : i % 50) - 10);
    const { ddr, run } = handProgram(
      [
        instr('LOAD', { dpdby: mask('SAVE'), bank_addr: 0, bank_id: 0, jump_write: 10, jump_read: 160, length: 1, channel: 160, reg_id: 0, ddr_addr: 0 }),
        instr('SAVE', { dpdon: mask('LOAD'), bank_addr: 0, bank_id: 0, jump_read: 1, jump_write: 1, length: 1, channel: 160, reg_id: 1, ddr_addr: 0, argmax: 2 }),
        instr('SAVE', { bank_addr: 0, bank_id: 0, jump_read: 1, jump_write: 1, length: 1, channel: 160, reg_id: 1, ddr_addr: 1, argmax: 3 }),
        instr('SAVE', { bank_addr: 0, bank_id: 0, jump_read: 1, jump_write: 4, length: 2, channel: 4, reg_id: 1, ddr_addr: 2, const_en: 1, const_value: 7 }),
        instr('SAVE', { bank_addr: 0, bank_id: 0, jump_read: 1, jump_write: 1, length: 1, channel: 5, reg_id: 1, ddr_addr: 10 }),
        instr('END', {}),
      ],
      [
        { name: 'in', reg: 0, size: 160, data: row },
        // The published simulator checks channel bytes of room even for argmax, which writes one.
        { name: 'out', reg: 1, size: 161 },
      ],
    );
    const r = run();
    expect(r.problems).toEqual([]);
    // Index 130 wraps to int8 -126; the value is 90.
    expect([...ddr.byName('out')!.data.subarray(0, 15)]).toEqual([-126, 90, 7, 7, 7, 7, 7, 7, 7, 7, -10, -9, -8, -7, -6]);
    expect(ddr.byName('out')!.init!.subarray(15).every((b) => b === 0)).toBe(true);
  });
});

describe('ELEW input addressing (N6)', () => {
  it('broadcasts one row to every output row with share_pp, and walks rows with jump_bank otherwise', () => {
    // Row k of input A lives in VB0[k]; input B is one row in VB0[4], shared by all rows.
    const rows = [0, 1, 2, 3].map((k) => Int8Array.from({ length: 16 }, (_, c) => 10 * k + c));
    const shared = Int8Array.from({ length: 16 }, (_, c) => -c);
    const instrs = [
      ...rows.map((_, k) => instr('LOAD', { bank_addr: 0, bank_id: k, jump_write: 1, jump_read: 16, length: 1, channel: 16, reg_id: 0, ddr_addr: 16 * k })),
      instr('LOAD', { dpdby: mask('MISC'), bank_addr: 0, bank_id: 4, jump_write: 1, jump_read: 16, length: 1, channel: 16, reg_id: 0, ddr_addr: 64 }),
      instr('ELEWINIT', { bank_id_in: 0, bank_addr_in: 0, jump_read_endl: 1, id: 0, jump_read: 1 }),
      instr('ELEWINIT', { share_pp: 1, bank_id_in: 4, bank_addr_in: 0, jump_read_endl: 1, id: 1, jump_read: 1 }),
      instr('ELEW', { dpdon: mask('LOAD'), dpdby: mask('SAVE'), length: 1, act_type: 0, elew_type: 0, bank_id_out: 8, bank_addr_out: 0, jump_write_endl: 1, num: 2, valid_pixel_parallel: 4, jump_write: 1, shift_write: 16, channel_group: 1 }),
      ...rows.map((_, k) => instr('SAVE', { dpdon: k === 0 ? mask('MISC') : 0, bank_addr: 0, bank_id: 8 + k, jump_read: 1, jump_write: 16, length: 1, channel: 16, reg_id: 1, ddr_addr: 16 * k })),
      instr('END', {}),
    ];
    const input = new Int8Array(80);
    rows.forEach((r, k) => input.set(r, 16 * k));
    input.set(shared, 64);
    const { ddr, run } = handProgram(instrs, [
      { name: 'in', reg: 0, size: 80, data: input },
      { name: 'out', reg: 1, size: 64 },
    ]);
    expect(run().problems).toEqual([]);
    // shift_write 16, add: (4a + 4b) / 4 = a + b.
    const want = rows.flatMap((r) => [...r].map((a, c) => a + shared[c]!));
    expect([...ddr.byName('out')!.data]).toEqual(want);
  });
});

describe('errors name the instruction, the location and what to do', () => {
  it('a LOAD outside its DDR region', () => {
    const line = (t: string) => lineOf(t, 'ddr_addr=input+7*ROW_BYTES');
    const { text, program, ddr } = fixtureVariant((t) => t.replace('ddr_addr=input+7*ROW_BYTES', 'ddr_addr=input+7*ROW_BYTES+8'));
    const r = runFunctional(program, ddr);
    expect(r.ok).toBe(false);
    expect(r.problems.map((x) => [x.code, program.lines![x.instr], x.message])).toEqual([
      [
        'ddr-region',
        line(text),
        `LOAD at line ${line(text)} reads DDR reg 0 bytes [0x388, 0x408), which is not inside one region (reg 0 has input [0x0, 0x400)): fix ddr_addr, length, the jump or channel, or declare the region`,
      ],
      [
        'uninitialized',
        lineOf(text, 'CONV     dpdon'),
        `CONV at line ${lineOf(text, 'CONV     dpdon')} reads VB0[7] address 0, which no instruction before it in program order wrote: load the data first, or fix the addresses (a read of an unwritten address would compute garbage on the DPU)`,
      ],
    ]);
  });

  it('an uninitialized bank read', () => {
    const { text, program, ddr } = fixtureVariant((t) => t.replace('bank_id=BIAS[0] jump_write=1', 'bank_id=BIAS[0] bank_addr=1 jump_write=1').replace('LOAD     dpdby=CONV bank_addr=0', 'LOAD     dpdby=CONV'));
    const r = runFunctional(program, ddr);
    const conv = lineOf(text, 'CONV     dpdon');
    expect(r.problems.map((x) => x.message)).toEqual([
      `CONV at line ${conv} reads BIAS[0] address 0, which no instruction before it in program order wrote: load the data first, or fix the addresses (a read of an unwritten address would compute garbage on the DPU)`,
    ]);
    expect(program.lines![r.problems[0]!.instr]).toBe(conv);
  });

  it('a bank the architecture lacks, and a bank of the wrong kind for the engine', () => {
    const { run } = handProgram(
      [
        instr('LOAD', { bank_addr: 0, bank_id: 40, jump_write: 1, jump_read: 1, length: 1, channel: 4, reg_id: 0, ddr_addr: 0 }),
        instr('SAVE', { bank_addr: 0, bank_id: 16, jump_read: 1, jump_write: 1, length: 1, channel: 4, reg_id: 0, ddr_addr: 0 }),
        instr('END', {}),
      ],
      [{ name: 'in', reg: 0, size: 4, data: new Int8Array(4) }],
    );
    expect(run().problems.map((x) => x.message)).toEqual([
      'LOAD at instruction 0 (word 0): bank_id=40 is not a bank of ZU9: use one of VB0 (0..7), VB1 (8..15), CONVW (16..31), DWCONVW (32..32), BIAS (33..33)',
      'SAVE at instruction 1 (word 5): bank_id=CONVW[0] is a convWeights bank; this engine needs image here',
    ]);
  });

  it('mean-value reduction, which needs a bank no preset has', () => {
    const { run } = handProgram(
      [instr('LOAD', { bank_addr: 0, bank_id: 0, jump_write: 1, jump_read: 4, length: 1, channel: 4, reg_id: 0, ddr_addr: 0, mode_avg: 1 }), instr('END', {})],
      [{ name: 'in', reg: 0, size: 4, data: new Int8Array(4) }],
    );
    expect(run().problems.map((x) => x.message)).toEqual([
      'LOAD at instruction 0 (word 0): mode_avg=1 asks for mean-value reduction, which needs a mean-value bank; ZU9 has none: set mode_avg=0 and subtract the mean elsewhere',
    ]);
  });

  it('a data race: the CONV no longer waits for the loads', () => {
    const { text, program, ddr } = fixtureVariant((t) => t.replace('CONV     dpdon=LOAD dpdby=SAVE', 'CONV     dpdby=SAVE').replace('LOAD     dpdby=CONV', 'LOAD    '));
    const r = runFunctional(program, ddr);
    const conv = lineOf(text, 'CONV     dpdby');
    const races = r.problems.filter((x) => x.code === 'race');
    // Every load the CONV reads from races with it: 8 input rows, 16 filters, the bias.
    expect(races.length).toBe(25);
    expect(races.every((x) => program.lines![x.instr] === conv)).toBe(true);
    const load0 = lineOf(text, 'bank_id=VB0[0]');
    expect(races[0]!.message).toBe(
      `data race: CONV at line ${conv} reads VB0[0] addresses 0..7, which LOAD at line ${load0} writes, and no token orders the two: on the DPU, CONV can read before LOAD has written; ` +
        `make CONV at line ${conv} (or an earlier CONV instruction) wait for a token from LOAD (dpdon=LOAD) that LOAD at line ${load0} or a later LOAD instruction gives (dpdby=CONV)`,
    );
    expect(program.lines![races[0]!.related![0]!]).toBe(load0);
    // The values are still computed in program order (Xilinx's semantics): the output is right.
    const expected = new Int8Array(fs.readFileSync(FIXTURE.replace(/\.dnnasm$/, '.expected.bin')));
    expect(diff(ddr.byName('output')!.data, expected)).toBe('equal');
  });

  it('a write-after-read race: a SAVE that the next tile\'s CONV may overwrite', () => {
    // Two CONVs write the same output rows; the second does not wait for the SAVEs of the first.
    const { text, program, ddr } = fixtureVariant((t) => {
      const conv = t.split('\n').find((l) => l.includes('CONV     dpdon'))!;
      return t.replace('    END', `${conv.replace('dpdon=LOAD dpdby=SAVE', 'dpdon=none')}\n    END`);
    });
    const r = runFunctional(program, ddr);
    const second = lineOf(text, 'CONV     dpdon=none');
    const save0 = lineOf(text, 'SAVE     dpdon=CONV');
    const war = r.problems.filter((x) => x.code === 'race');
    expect(war.length).toBe(8);
    expect(war[0]!.message).toBe(
      `data race: CONV at line ${second} writes VB1[0] addresses 0..7, which SAVE at line ${save0} reads, and no token orders the two: on the DPU, CONV can overwrite it before SAVE has read it; ` +
        `make CONV at line ${second} (or an earlier CONV instruction) wait for a token from SAVE (dpdon=SAVE) that SAVE at line ${save0} or a later SAVE instruction gives (dpdby=CONV)`,
    );
  });

  it('a race through DDR: a LOAD of what a SAVE writes, with and without the token between them', () => {
    const build = (ordered: boolean) =>
      handProgram(
        [
          instr('LOAD', { dpdby: mask('SAVE'), bank_addr: 0, bank_id: 0, jump_write: 1, jump_read: 16, length: 2, channel: 16, reg_id: 0, ddr_addr: 0 }),
          instr('SAVE', { dpdon: mask('LOAD'), dpdby: ordered ? mask('LOAD') : 0, bank_addr: 0, bank_id: 0, jump_read: 1, jump_write: 16, length: 2, channel: 16, reg_id: 1, ddr_addr: 0 }),
          instr('LOAD', { dpdon: ordered ? mask('SAVE') : 0, bank_addr: 0, bank_id: 8, jump_write: 1, jump_read: 16, length: 1, channel: 16, reg_id: 1, ddr_addr: 16 }),
          instr('END', {}),
        ],
        [
          { name: 'in', reg: 0, size: 32, data: seededBytes(9, 32) },
          { name: 'tmp', reg: 1, size: 32 },
        ],
      ).run();
    expect(build(true).problems).toEqual([]);
    expect(build(false).problems.map((x) => [x.code, x.instr, x.related, x.message])).toEqual([
      [
        'race',
        2,
        [1],
        'data race: LOAD at instruction 2 (word 10) reads DDR region tmp bytes 16..31, which SAVE at instruction 1 (word 5) writes, and no token orders the two: on the DPU, LOAD can read before SAVE has written; ' +
          'make LOAD at instruction 2 (word 10) (or an earlier LOAD instruction) wait for a token from SAVE (dpdon=SAVE) that SAVE at instruction 1 (word 5) or a later SAVE instruction gives (dpdby=LOAD)',
      ],
    ]);
  });

  it('an order inversion: the tokens make an instruction wait for one that comes later in the program', () => {
    // The last input row moves after the CONV and becomes the one that hands the CONV its token.
    const { text, program, ddr } = fixtureVariant((t) => {
      const lines = t.split('\n');
      const k = lines.findIndex((l) => l.includes('bank_id=VB0[7]'));
      const row7 = lines.splice(k, 1)[0]!.replace('LOAD     bank_addr', 'LOAD     dpdby=CONV bank_addr');
      const c = lines.findIndex((l) => l.includes('CONV     dpdon'));
      lines.splice(c + 1, 0, row7);
      return lines.join('\n').replace('LOAD     dpdby=CONV bank_addr=0 bank_id=BIAS[0]', 'LOAD     bank_addr=0 bank_id=BIAS[0]');
    });
    const r = runFunctional(program, ddr);
    const conv = lineOf(text, 'CONV     dpdon');
    const row7 = lineOf(text, 'bank_id=VB0[7]');
    expect(row7).toBe(conv + 1);
    const order = r.problems.filter((x) => x.code === 'order');
    expect(order.map((x) => x.message)).toEqual([
      `CONV at line ${conv} reads VB0[7] addresses 0..7 and LOAD at line ${row7}, later in the program, writes it; but the tokens make CONV at line ${conv} wait for LOAD at line ${row7}, ` +
        `so the DPU runs the two in the opposite order to the program (which Xilinx's simulator follows) and computes something else: move LOAD at line ${row7} before CONV at line ${conv}, or change the masks so that CONV at line ${conv} does not wait for it`,
    ]);
    expect(order[0]!.related).toEqual([program.lines!.indexOf(conv)]);
  });

  it('a missing INIT, an ELEW input queue that does not match, and a deadlock', () => {
    const text = [
      '.arch ZU9',
      '    CONV bank_addr_in=0 bank_addr_out=0 pad_bottom=0 pad_right=0 channel_group=1 bank_addr_weights=0 bank_id_in=VB0[0] length=1 bank_addr_bias=0 bank_id_out=VB1[0]',
      '    ELEWINIT bank_id_in=VB0[0] bank_addr_in=0 jump_read_endl=1 id=1 jump_read=1',
      '    ELEW length=1 act_type=none elew_type=add bank_id_out=VB1[0] bank_addr_out=0 jump_write_endl=1 num=1 valid_pixel_parallel=1 jump_write=1 shift_write=16 channel_group=1',
      '    SAVE dpdon=CONV bank_addr=0 bank_id=VB1[0] jump_read=1 jump_write=1 length=1 channel=1 reg_id=0 ddr_addr=0',
      '    END',
    ].join('\n');
    const program = assembleOrThrow(text);
    const r = runFunctional(program, new DdrImage([{ name: 'out', reg: 0, offset: 0, size: 1 }]));
    expect(r.problems.map((x) => [x.code, program.lines![x.instr], x.message])).toEqual([
      ['no-init', 2, 'CONV at line 2: no CONVINIT comes before it in the program, so its kernel, strides and shifts are unset: add a CONVINIT earlier'],
      ['field', 4, 'ELEW at line 4: its input 0 comes from the ELEWINIT at line 3, whose id is 1: ELEWINITs queue in order and the k-th one an ELEW takes must have id=k'],
      [
        'deadlock',
        5,
        'deadlock: no engine can start, and 1 instruction never runs. SAVE at line 5 waits for a token from CONV (CONV->SAVE holds none; CONV has finished without giving one). Tokens held: none. ' +
          'Give the missing tokens (a dpdby bit on an earlier instruction of the giving engine) or remove the dpdon bits that wait for them',
      ],
      // Nothing wrote VB1[0] in program order (the CONV and the ELEW failed), so the SAVE reads garbage.
      ['uninitialized', 5, 'SAVE at line 5 reads VB1[0] address 0, which no instruction before it in program order wrote: load the data first, or fix the addresses (a read of an unwritten address would compute garbage on the DPU)'],
    ]);
  });

  it('keeps going after an error, up to maxProblems, and says so', () => {
    const { program, ddr } = fixtureVariant((t) => t.replace(/ddr_addr=weights\+/g, 'ddr_addr=weights+2300+'));
    const r = runFunctional(program, ddr, { maxProblems: 3 });
    expect(r.problems.map((x) => x.code)).toEqual(['ddr-region', 'ddr-region', 'ddr-region', 'limit']);
    expect(r.problems[3]!.message).toBe('stopped after 3 errors; fix these and run again for the rest');
  });

  it('steps one instruction at a time (the debugger\'s view) and ends where runFunctional ends', () => {
    const { program, ddr } = fixtureVariant((t) => t);
    const m = new FunctionalMachine(program, ddr);
    let steps = 0;
    while (m.step()) steps++;
    expect(steps + 1).toBe(program.count);
    expect(m.pc).toBe(program.count);
    expect(m.result().ok).toBe(true);
  });
});
