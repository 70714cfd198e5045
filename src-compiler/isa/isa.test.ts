import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INSTRUCTIONS, OPCODE_LO, fieldMask, spec, specByOpcode } from './table';
import { bytesFromWords, decodeProgram, encodeProgram, wordsFromBytes, type Instr } from './encoding';
import { boardByName } from '../arch/presets';
import { anyInstr, instrStream } from '../../test/support/arbitraries';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;

describe('ISA table', () => {
  it('has the eleven published DPUV2 instructions with their opcodes and word counts', () => {
    const published: [string, number, number][] = [
      ['LOAD', 0x0, 5], ['SAVE', 0x4, 5], ['CONVINIT', 0x9, 4], ['CONV', 0x8, 5], ['POOLINIT', 0x6, 2], ['POOL', 0xc, 5],
      ['DWINIT', 0xb, 3], ['DPTWISE', 0xa, 5], ['ELEWINIT', 0xd, 3], ['ELEW', 0xe, 3], ['END', 0x7, 1],
    ];
    expect(INSTRUCTIONS.map((s) => [s.mnemonic, s.opcode, s.words])).toEqual(published);
  });

  it('lays out fields inside their words without overlaps, and every field has a doc', () => {
    for (const s of INSTRUCTIONS) {
      const used = new Array<number>(s.words).fill(0);
      used[0] = (fieldMask({ hi: 31, lo: OPCODE_LO }) << OPCODE_LO) >>> 0;
      for (const f of s.fields) {
        expect(f.word, `${s.mnemonic}.${f.name}`).toBeLessThan(s.words);
        expect(f.hi).toBeLessThanOrEqual(31);
        expect(f.lo).toBeGreaterThanOrEqual(0);
        expect(f.hi).toBeGreaterThanOrEqual(f.lo);
        const m = (fieldMask(f) << f.lo) >>> 0;
        expect((used[f.word]! & m) >>> 0, `${s.mnemonic}.${f.name} overlaps`).toBe(0);
        used[f.word] = (used[f.word]! | m) >>> 0;
        expect(f.doc.length).toBeGreaterThan(10);
        if (f.default !== undefined) expect(f.default).toBeGreaterThanOrEqual(f.min);
      }
      expect(s.fields.slice(0, 2).map((f) => f.name)).toEqual(['dpdon', 'dpdby']);
    }
  });

  it('encodes fields at the published bit positions (hand-computed words)', () => {
    // LOAD: W0 bank_addr[11:0] bank_id[19:14]; W1 jump_write[9:0](-1) jump_read[25:10](-1);
    // W2 length[9:0](-1) channel[23:10](-1) pad_idx[31:27](-1); W3 reg_id[2:0] ...; W4 ddr_addr[28:0].
    const load = spec('LOAD');
    const v = (o: Record<string, number>): Instr => ({ spec: load, values: load.fields.map((f) => o[f.name] ?? f.default ?? f.min) });
    const words = encodeProgram([v({ dpdon: 0b0100, dpdby: 0b0001, bank_addr: 0x123, bank_id: 9, jump_write: 3, jump_read: 1024, length: 224, channel: 3, pad_idx: 1, reg_id: 5, ddr_addr: 0x1abcdef })]);
    expect([...words].map((w) => w.toString(16))).toEqual([
      ((0x0 << 28) | (0b0100 << 24) | (0b0001 << 20) | (9 << 14) | 0x123).toString(16),
      ((2 << 0) | (1023 << 10)).toString(16),
      ((223 << 0) | (2 << 10) | (0 << 27)).toString(16),
      (5).toString(16),
      (0x1abcdef).toString(16),
    ]);
    // CONVINIT W2: jump_write[9:0](-1) stride_offset_in[12:10] vpp[15:13](-1) kernel_h[27:24](-1) stride_h[31:28](-1)
    const ci = spec('CONVINIT');
    const cw = encodeProgram([{ spec: ci, values: ci.fields.map((f) => ({ jump_write: 16, stride_offset_in: 1, valid_pixel_parallel: 8, kernel_h: 16, stride_h: 2 })[f.name] ?? f.default ?? f.min) }]);
    expect(cw[2]!.toString(16)).toBe((((15 << 0) | (1 << 10) | (7 << 13) | (15 << 24) | (1 << 28)) >>> 0).toString(16));
    expect(cw[0]! >>> 28).toBe(0x9);
    // ELEWINIT jump_read has no (-1): stored as is.
    const ei = spec('ELEWINIT');
    const ew = encodeProgram([{ spec: ei, values: ei.fields.map((f) => ({ jump_read: 0, bank_addr_in: 0x3fff })[f.name] ?? f.default ?? f.min) }]);
    expect(ew[2]! & 0xfff).toBe(0);
    expect(ew[1]! & 0x3fff).toBe(0x3fff);
  });

  it('decodes what it encodes, for 10,000 random valid instructions (ZU9 and ZU2)', () => {
    for (const arch of [ZU9, ZU2])
      fc.assert(
        fc.property(anyInstr(arch), (i) => {
          const d = decodeProgram(encodeProgram([i]));
          expect(d.errors).toEqual([]);
          expect(d.instrs[0]!.spec).toBe(i.spec);
          expect(d.instrs[0]!.values).toEqual(i.values);
        }),
        { numRuns: 5000 },
      );
  });

  it('round-trips whole streams through little-endian bytes', () => {
    fc.assert(
      fc.property(instrStream(ZU9), (is) => {
        const words = encodeProgram(is);
        const back = wordsFromBytes(bytesFromWords(words));
        expect(back.error).toBeUndefined();
        expect([...back.words]).toEqual([...words]);
      }),
      { numRuns: 300 },
    );
  });

  it('reports an unknown opcode, a truncated instruction, reserved bits and a ragged length by word offset', () => {
    const end = (0x7 << 28) >>> 0;
    expect(decodeProgram(new Uint32Array([end, 0x1 << 28])).errors[0]!.message).toMatch(/^word 1: opcode 0x1 is ALUINIT/);
    expect(decodeProgram(new Uint32Array([end, 0x3 << 28])).errors[0]!.message).toMatch(/^word 1: opcode 0x3 is not a DPUV2 instruction/);
    expect(decodeProgram(new Uint32Array([end, 0x0, 0, 0])).errors[0]!.message).toBe('word 1: LOAD needs 5 words but the stream ends after 3');
    const r = decodeProgram(new Uint32Array([(end | 0x1) >>> 0]));
    expect(r.errors[0]!.message).toBe('word 0 (END at word 0, W0): reserved bits 0x00000001 are set; they must be 0');
    expect(wordsFromBytes(new Uint8Array(10)).error).toBe('the file is 10 bytes, not a multiple of 4: word 2 is truncated (2 trailing bytes)');
    expect(specByOpcode(0x8)!.mnemonic).toBe('CONV');
  });

  it('rejects activation codes DPUV2 cannot use, naming the reason', () => {
    const ci = spec('CONVINIT');
    const words = encodeProgram([{ spec: ci, values: ci.fields.map((f) => f.default ?? f.min) }]);
    words[0] = (words[0]! | (2 << 16)) >>> 0; // act_type = 2 (PReLU)
    const r = decodeProgram(words);
    expect(r.errors.map((e) => e.message)).toEqual([
      'word 0 (CONVINIT at word 0): act_type=2 is not legal: PReLU (act_type 2) has no slope parameters on DPUV2; use one of none (0), relu (1), leaky_relu (3), relu6 (4)',
    ]);
  });
});
