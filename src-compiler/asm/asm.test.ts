import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from './parser';
import { assemble } from './assemble';
import { disassemble } from './disassemble';
import { formatInstr, printProgram } from './format';
import { LineIndex } from './ast';
import { encodeProgram, type Instr } from '../isa/encoding';
import { ENGINES, enumName, type FieldSpec } from '../isa/table';
import { boardByName } from '../arch/presets';
import { bankName, type Arch } from '../arch/model';
import { instrStream } from '../../test/support/arbitraries';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;
const FIXTURES = path.join(__dirname, '..', '..', 'test-fixtures', 'programs');

/** Diagnostics as [code, text at range, message], for exact assertions. */
function diags(text: string, arch?: Arch) {
  return assemble(text, arch ? { arch } : {}).diagnostics.map((d) => [d.code, text.slice(d.start, d.end), d.message]);
}

describe('parser', () => {
  it('parses labels, instructions, directives, comments and expressions with exact ranges', () => {
    const text = 'start:  LOAD dpdby=CONV|SAVE, bank_id=VB0[2] ddr_addr=input+3*0x10 ; c\n.layer "conv/1" nodes=a,"b c" group=g\n';
    const r = parse(text);
    expect(r.errors).toEqual([]);
    const l0 = r.lines[0]!.body;
    expect(l0.label?.text).toBe('start');
    expect(l0.comment?.text).toBe('; c');
    const s = l0.statement!;
    expect(s.kind).toBe('instruction');
    if (s.kind !== 'instruction') return;
    expect(s.mnemonic).toEqual({ text: 'LOAD', start: 8, end: 12 });
    expect(s.fields.map((f) => text.slice(f.start, f.end))).toEqual(['dpdby=CONV|SAVE', 'bank_id=VB0[2]', 'ddr_addr=input+3*0x10']);
    const v = s.fields[2]!.value;
    expect(v.kind === 'binary' && v.op).toBe('+');
    const line1 = r.lines[1]!;
    const d = line1.body.statement!;
    const at = (x: { start: number; end: number }) => text.slice(line1.start + x.start, line1.start + x.end);
    expect(d.kind === 'directive' && d.args.map((a) => [a.key?.text, a.values.map(at)])).toEqual([
      [undefined, ['"conv/1"']],
      ['nodes', ['a', '"b c"']],
      ['group', ['g']],
    ]);
    expect(r.lines.length).toBe(3);
  });

  it('reports every syntax error of a file in one pass, each with its exact range', () => {
    const text = ['LOAD length 3', 'CONV x=', 'SAVE a=VB0[1', 'END @', 'POOL 12ab=1', 'LOAD a=0xZZ b="open'].join('\n');
    const r = parse(text);
    const at = (e: { start: number; end: number }) => text.slice(e.start, e.end);
    expect(r.errors.map((e) => [at(e), e.message])).toEqual([
      ['3', "expected '=' but found '3' (fields are written name=value)"],
      ['\n', 'expected a value but found the end of the line (a value is a number, a name, a bank like VB0[2], or a quoted string)'],
      ['\n', "expected ']' but found the end of the line (a value is a number, a name, a bank like VB0[2], or a quoted string)"],
      ['@', "unexpected character '@': not part of the assembly syntax (comments start with ; or //)"],
      ['12ab', "unexpected '12ab': a line holds one instruction or directive (fields are written name=value)"],
      ['0xZZ', 'malformed number: write decimal (42), hex (0x2a) or binary (0b101010)'],
      ['"open', 'this string has no closing " before the end of the line'],
    ]);
  });

  const tokenAlphabet = ['LOAD', 'CONV', 'x', 'VB0', 'length', '=', '=', ',', '|', '[', ']', '(', ')', '+', '-', '*', '12', '0x1f', '0b2', '"s"', '.ddr', 'a:', ';c', ' ', ' ', '@', '"'];
  const randomLine = fc.array(fc.constantFrom(...tokenAlphabet), { maxLength: 14 }).map((ts) => ts.join(' '));

  it('takes the fast path only where chevrotain agrees: same AST and errors on 20,000 random lines', () => {
    fc.assert(
      fc.property(fc.array(randomLine, { minLength: 1, maxLength: 3 }), (lines) => {
        const text = lines.join('\n');
        expect(parse(text)).toEqual(parse(text, { chevrotainOnly: true }));
      }),
      { numRuns: 20000 },
    );
  });
});

describe('assembler', () => {
  it('assembles the hand-written conv3x3 program without diagnostics', () => {
    const p = assemble(fs.readFileSync(path.join(FIXTURES, 'conv3x3.dnnasm'), 'utf8'));
    expect(p.diagnostics).toEqual([]);
    expect(p.instrs.length).toBe(36);
    expect(p.layers.map((l) => [l.name, l.nodes, l.group, l.first, l.end])).toEqual([['conv1', ['conv1', 'relu1'], 'conv1_relu', 0, 36]]);
    expect(p.regions.map((r) => [r.name, r.reg, r.offset, r.size])).toEqual([
      ['input', 0, 0, 1024],
      ['weights', 1, 0, 2304],
      ['bias', 1, 2304, 16],
      ['output', 2, 0, 1024],
    ]);
    expect(p.words!.length).toBe(25 * 5 + 4 + 5 + 8 * 5 + 1);
  });

  it('names unknown mnemonics and fields with a suggestion', () => {
    expect(diags('CONVV\n')).toEqual([['unknown-mnemonic', 'CONVV', "unknown instruction 'CONVV': did you mean CONV? (instructions: LOAD, SAVE, CONVINIT, CONV, POOLINIT, POOL, DWINIT, DPTWISE, ELEWINIT, ELEW, END)"]]);
    const d = diags('END foo=1\n');
    expect(d).toEqual([['unknown-field', 'foo', "END has no field 'foo' (fields: dpdon, dpdby)"]]);
  });

  const save = 'SAVE bank_addr=0 bank_id=VB1[0] jump_read=1 jump_write=16 length=8 channel=16 reg_id=0 ddr_addr=0';
  it("treats names of Object's members as any other unknown name (found by npm run fuzz)", () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const p = assemble(`.arch ZU9\n    LOAD bank_addr=0 bank_id=CONVW[1] ${name}=1 jump_read=16 length=9 channel=16 reg_id=0 ddr_addr=0\n    CONVINIT act_type=${name.toLowerCase()} jump_read=1 jump_read_endl=1 jump_write=1 jump_write_endl=1 valid_pixel_parallel=8 kernel_h=1 kernel_w=1 stride_h=1 stride_w=1 stride_out=1 shift_cut=0 shift_bias=0\n    END\n`);
      const messages = p.diagnostics.map((d) => d.message);
      expect(messages.some((m) => m.includes(`LOAD has no field '${name}'`) || (m.includes(`'${name}'`) && m.includes('no field'))), `${name}: ${messages.join(' / ')}`).toBe(true);
      expect(messages.some((m) => m.includes(`'${name.toLowerCase()}' is not a act_type value`)), `${name}: ${messages.join(' / ')}`).toBe(true);
    }
  });

  it('reports missing, duplicate and out-of-range fields', () => {
    expect(diags('SAVE bank_id=VB1[0]\nEND\n')).toEqual([['missing-field', 'SAVE', 'SAVE lacks bank_addr, jump_read, jump_write, length, channel, reg_id, ddr_addr: every field without a default must be given']]);
    expect(diags(`${save} length=2\nEND\n`)).toEqual([['duplicate-field', 'length', "field 'length' is given twice in this SAVE: keep one"]]);
    expect(diags(save.replace('length=8', 'length=1025') + '\nEND\n')).toEqual([['range', '1025', 'length=1025 is out of range 1..1024 (W2[9:0], stored as value-1)']]);
    expect(diags(save.replace('reg_id=0', 'reg_id=8') + '\nEND\n')).toEqual([['range', '8', 'reg_id=8 is out of range 0..7 (W3[2:0])']]);
  });

  it('checks banks and addresses against the target architecture', () => {
    expect(diags(save.replace('VB1[0]', 'VB1[8]') + '\nEND\n')).toEqual([['bank', '8', 'VB1 has banks 0..7 on ZU9; 8 is out of range']]);
    expect(diags(save.replace('VB1[0]', 'VB1[3]') + '\nEND\n', ZU2)).toEqual([]);
    expect(diags(save.replace('VB1[0]', 'VB1[4]') + '\nEND\n', ZU2)).toEqual([['bank', '4', 'VB1 has banks 0..3 on ZU2; 4 is out of range']]);
    expect(diags(save.replace('VB1[0]', 'CONVW[1]') + '\nEND\n')).toEqual([['bank', 'CONVW[1]', 'bank_id=CONVW[1]: SAVE needs an image bank (VB..) here, not a CONVW bank']]);
    expect(diags(save.replace('VB1[0]', '40') + '\nEND\n')).toEqual([['bank', '40', 'bank_id=40: ZU9 has no bank 40 (its banks are VB0 0..7, VB1 8..15, CONVW 16..31, DWCONVW 32..32, BIAS 33..33)']]);
    expect(diags(save.replace('bank_addr=0', 'bank_addr=2048') + '\nEND\n')).toEqual([['addr', '2048', 'bank_addr=2048 is beyond the bank depth: ZU9 banks hold addresses 0..2047']]);
    expect(diags(save.replace('VB1[0]', 'VB2[0]') + '\nEND\n')).toEqual([['bank', 'VB2', "ZU9 has no bank group 'VB2' (it has VB0, VB1, CONVW, DWCONVW, BIAS)"]]);
  });

  it('checks engine limits of the architecture', () => {
    const ci = 'CONVINIT jump_read=1 shift_cut=9 act_type=relu jump_read_endl=8 shift_bias=10 stride_out=1 jump_write=1 valid_pixel_parallel=8 kernel_h=3 stride_h=1 jump_write_endl=8 kernel_w=3 stride_w=1';
    expect(diags(ci + '\nEND\n')).toEqual([]);
    expect(diags(ci.replace('stride_h=1', 'stride_h=9') + '\nEND\n')).toEqual([['arch-limit', '9', 'stride_h=9 is outside 1..8, the CONV stride limit on ZU9 (B4096)']]);
    expect(diags(ci + '\nEND\n', ZU2)).toEqual([['arch-limit', '8', 'valid_pixel_parallel=8 is outside 1..4, the pixel parallelism (PP) on ZU2 (B1152)']]);
    expect(diags(ci.replace('act_type=relu', 'act_type=2') + '\nEND\n')).toEqual([
      ['range', '2', 'act_type=2 is not legal: PReLU (act_type 2) has no slope parameters on DPUV2; use one of none (0), relu (1), leaky_relu (3), relu6 (4) (W0[19:16])'],
    ]);
  });

  it('resolves symbols: regions, .equ, labels (also defined below their use), masks and codes', () => {
    const text = [
      '.arch ZU9',
      '.ddr out reg=3 offset=0x100 size=4096',
      '.equ ROW 128',
      'top:',
      '    SAVE dpdon=CONV|misc dpdby=0b0001 bank_addr=LATE bank_id=VB1 jump_read=1 jump_write=ROW length=8 channel=16 reg_id=out ddr_addr=out+2*ROW-1',
      '.equ LATE 7',
      '    END dpdon=none',
    ].join('\n');
    const p = assemble(text);
    expect(p.diagnostics).toEqual([]);
    const v = (name: string) => p.instrs[0]!.values[p.instrs[0]!.spec.fieldIndex[name]!];
    expect([v('dpdon'), v('dpdby'), v('bank_addr'), v('bank_id'), v('jump_write'), v('reg_id'), v('ddr_addr')]).toEqual([0b1100, 1, 7, 8, 128, 3, 0x100 + 255]);
    expect(p.symbols.get('top')).toMatchObject({ kind: 'label', value: 0 });
  });

  it('reports undefined symbols, bad masks and bad codes', () => {
    expect(diags(save.replace('reg_id=0', 'reg_id=outt') + '\nEND\n')).toEqual([['symbol', 'outt', "'outt' is not defined (define it with .equ, a label, or a .ddr region)"]]);
    expect(diags(`.equ OUT 1\n${save.replace('reg_id=0', 'reg_id=OUTT')}\nEND\n`)).toEqual([['symbol', 'OUTT', "'OUTT' is not defined: did you mean OUT? (define it with .equ, a label, or a .ddr region)"]]);
    expect(diags('END dpdon=LOAD|COMV\n')).toEqual([['symbol', 'COMV', "'COMV' is not an engine: dpdon is a mask of LOAD, SAVE, CONV, MISC joined by | (or none)"]]);
    expect(diags('POOLINIT jump_read=1 kernel_h=2 kernel_w=2 pool_type=mean stride_h=2 stride_w=2 valid_pixel_parallel=4 stride_out=1 jump_write=1\nEND\n')).toEqual([
      ['symbol', 'mean', "'mean' is not a pool_type value: use one of max, avg, max_reduce"],
    ]);
  });

  it('checks directives: regions, layers, .arch, .equ', () => {
    expect(diags('.ddr a reg=0 size=16\n.ddr b reg=0 offset=8 size=16\n')).toEqual([
      ['directive', '.ddr b reg=0 offset=8 size=16', 'region b [0x8, 0x18) overlaps region a of reg 0 (line 1): move one of them'],
    ]);
    expect(diags('.ddr a reg=9 size=16\n')).toEqual([['directive', '9', 'reg=9: DDR base registers are 0..7 (reg_id has 3 bits)']]);
    expect(diags('.ddr a size=16 colour=3\n')).toEqual([
      ['directive', '.ddr', '.ddr a needs reg=...'],
      ['directive', 'colour', ".ddr has no key 'colour' (keys: reg, size, offset, file)"],
    ]);
    expect(diags('END\n.arch ZU2\n')).toEqual([['directive', '.arch ZU2', '.arch must come before the first instruction: bank names and limits depend on it']]);
    expect(diags('.arch ZU7\n')).toEqual([['arch', 'ZU7', "unknown architecture 'ZU7'"]]);
    expect(diags('.arch ZU9\n', ZU2)).toEqual([['arch-mismatch', 'ZU9', 'the file asks for ZU9, but ZU2 was chosen (--arch or the editor setting); assembling for ZU2']]);
    expect(diags('.layer a\n.layer a\n')).toEqual([['duplicate-symbol', 'a', "layer 'a' is already marked above: layer names are unique"]]);
    expect(diags('.frobnicate 1\n')).toEqual([['directive', '.frobnicate', "unknown directive '.frobnicate' (directives: .arch, .ddr, .layer, .batch, .equ, .segment)"]]);
    expect(diags('.equ X\n')).toEqual([['directive', '.equ X', '.equ takes a name and a value: .equ TILE_ROWS 8']]);
    expect(diags('.batch 0\n')).toEqual([['directive', '.batch 0', '.batch takes the number of images per run, 1 to 64: .batch 8']]);
    expect(diags('.batch 4\n.batch 4\n')).toEqual([['directive', '.batch 4', 'the batch is already set by .batch on an earlier line: keep one .batch']]);
    expect(assemble('.batch 8\nEND\n').batch).toBe(8);
    expect(assemble('END\n').batch).toBeUndefined();
  });

  it('warns about a missing END and about instructions after END', () => {
    expect(diags(save + '\n')).toEqual([['no-end', save, 'the program has no END; the DPU would run past the last instruction: add END']]);
    expect(diags(`END\n${save}\n`)).toEqual([['after-end', save, 'instructions after END never run: move END to the end of the program']]);
  });

  it('maps offsets to lines and columns', () => {
    const idx = new LineIndex('ab\ncd\n\nef');
    expect([0, 2, 3, 6, 7, 9].map((o) => idx.position(o))).toEqual([
      { line: 0, character: 0 },
      { line: 0, character: 2 },
      { line: 1, character: 0 },
      { line: 2, character: 0 },
      { line: 3, character: 0 },
      { line: 3, character: 2 },
    ]);
    expect(idx.offset(3, 1)).toBe(8);
  });
});

/** Writes an instruction in a random but equivalent way: field order, separators, radix, case, symbols. */
function scramble(instr: Instr, arch: Arch): fc.Arbitrary<string> {
  const { spec, values } = instr;
  const perField = spec.fields.map((fs: FieldSpec, i: number) => {
    const v = values[i]!;
    const forms: string[] = [String(v), '0x' + v.toString(16), '0b' + v.toString(2)];
    if (fs.kind === 'mask') forms.push(v === 0 ? 'none' : ENGINES.filter((_, b) => v & (1 << b)).join('|').toLowerCase());
    if (fs.kind === 'enum') forms.push(enumName(fs, v)!);
    if (fs.kind === 'bank') forms.push(bankName(arch, v)!);
    if (v > 0) forms.push(`${v - 1}+1`, `2*${Math.floor(v / 2)}+${v % 2}`);
    const omittable = fs.default !== undefined && fs.default === v;
    return fc.record({ text: fc.constantFrom(...forms), omit: omittable ? fc.boolean() : fc.constant(false), sep: fc.constantFrom(' ', ', ', '  ', '\t') });
  });
  return fc.tuple(fc.tuple(...perField), fc.boolean(), fc.boolean()).chain(([fields, lower, comment]) =>
    fc.shuffledSubarray(fields.map((f, i) => ({ ...f, name: spec.fields[i]!.name })), { minLength: fields.length, maxLength: fields.length }).map((order) => {
      const body = order
        .filter((f) => !f.omit)
        .map((f) => `${f.sep}${f.name}=${f.text}`)
        .join('');
      return `${lower ? spec.mnemonic.toLowerCase() : spec.mnemonic}${body}${comment ? ' ; note' : ''}`;
    }),
  );
}

describe('round trips', () => {
  for (const arch of [ZU9, ZU2]) {
    it(`asm(disasm(bin)) == bin for 10,000 random valid instructions in streams (${arch.name})`, () => {
      fc.assert(
        fc.property(instrStream(arch, 5), (instrs) => {
          const words = encodeProgram(instrs);
          const d = disassemble(words, arch);
          expect(d.errors).toEqual([]);
          const p = assemble(d.text);
          expect(p.diagnostics.filter((x) => x.code !== 'no-end' && x.code !== 'after-end')).toEqual([]);
          expect([...p.words!]).toEqual([...words]);
        }),
        { numRuns: 2000 },
      );
    });

    it(`disasm(asm(text)) is the canonical form of text, for 10,000 randomly written instructions (${arch.name})`, () => {
      fc.assert(
        fc.property(
          instrStream(arch, 3).chain((instrs) => fc.tuple(fc.constant(instrs), fc.tuple(...instrs.map((i) => scramble(i, arch))))),
          ([instrs, lines]) => {
            const text = `.arch ${arch.name}\n${lines.join('\n')}\n`;
            const p = assemble(text);
            expect(p.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
            expect(disassemble(p.words!, arch).text).toBe(printProgram(instrs, arch));
          },
        ),
        { numRuns: 5000 },
      );
    });
  }

  it('prints the canonical form: defaults omitted, masks, codes and banks by name, DDR offsets in hex', () => {
    const p = assemble(fs.readFileSync(path.join(FIXTURES, 'conv3x3.dnnasm'), 'utf8'));
    const conv = p.instrs.find((i) => i.spec.mnemonic === 'CONV')!;
    expect(formatInstr(conv, ZU9)).toBe(
      '    CONV     dpdon=LOAD dpdby=SAVE bank_addr_in=0 pad_top=1 pad_left=1 bank_addr_out=0 pad_bottom=1 pad_right=1 channel_group=1 bank_addr_weights=0 bank_id_in=VB0[7] length=8 bank_addr_bias=0 bank_id_out=VB1[0] bank_addr_in_1=2047 bank_addr_in_2=2047',
    );
    expect(formatInstr(p.instrs[1]!, ZU9)).toBe('    LOAD     bank_addr=0 bank_id=VB0[1] jump_write=1 jump_read=16 length=8 channel=16 reg_id=0 ddr_addr=0x80');
  });
});

describe('incremental assembly (the language server path)', () => {
  it('gives the same program and diagnostics with line and instruction caches, across edits', () => {
    const base = fs.readFileSync(path.join(FIXTURES, 'conv3x3.dnnasm'), 'utf8');
    const lineCache = new Map();
    const instrCache = new WeakMap();
    const edits = [
      base,
      base.replace('.equ ROW_BYTES    128', '.equ ROW_BYTES    64'), // a symbol changes: users of it re-check
      base.replace('length=8 channel=16 reg_id=input ddr_addr=input+3*ROW_BYTES', 'length=9000 channel=16 reg_id=input ddr_addr=input+3*ROW_BYTES'),
      base.replace('.arch ZU9', '.arch ZU2'), // the architecture changes: everything re-checks
      base.replace('    END', '    END\n    LOAD x=1'),
      base,
    ];
    for (const text of edits) {
      const fresh = assemble(text, { keepAst: true });
      const cached = assemble(text, { keepAst: true, lineCache, instrCache });
      expect(cached.diagnostics).toEqual(fresh.diagnostics);
      expect(cached.instrs.map((i) => [i.spec.mnemonic, i.values, i.start, i.line])).toEqual(fresh.instrs.map((i) => [i.spec.mnemonic, i.values, i.start, i.line]));
      expect(cached.refs).toEqual(fresh.refs);
      expect(cached.words && [...cached.words]).toEqual(fresh.words && [...fresh.words]);
    }
  });

  it('re-checks an instruction whose symbol is defined below it when that definition changes', () => {
    const lineCache = new Map();
    const instrCache = new WeakMap();
    const t1 = 'END dpdon=X\n.equ X 1\n';
    expect(assemble(t1, { lineCache, instrCache }).instrs[0]!.values[0]).toBe(1);
    const t2 = 'END dpdon=X\n.equ X 4\n';
    expect(assemble(t2, { lineCache, instrCache }).instrs[0]!.values[0]).toBe(4);
  });
});
