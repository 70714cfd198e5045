// Protocol-level tests of the language server: a separate process spoken to over stdio.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, CompletionItem, DocumentSymbol, FoldingRange, Hover, Location, SignatureHelp, WorkspaceEdit, TextEdit } from 'vscode-languageserver-protocol';
import { LspClient } from '../support/lsp-client';
import { SEMANTIC_TOKEN_TYPES } from '../../src-compiler/ide/semantic';

const root = path.join(__dirname, '..', '..');
const fixture = fs.readFileSync(path.join(root, 'test-fixtures', 'programs', 'conv3x3.dnnasm'), 'utf8');
const fixtureUri = `file://${root}/test-fixtures/programs/conv3x3.dnnasm`;

let lsp: LspClient;
beforeAll(async () => {
  lsp = new LspClient();
  await lsp.initialize();
});
afterAll(async () => lsp.stop());

const pos = (text: string, needle: string, delta = 0) => {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, i + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
};
const doc = (uri: string) => ({ textDocument: { uri } });

describe('diagnostics', () => {
  it('publishes nothing wrong for a correct program', async () => {
    lsp.open(fixtureUri, fixture);
    expect(await lsp.diagnostics(fixtureUri, 1)).toEqual([]);
  });

  it('publishes each planted error with its range, code and message, and follows edits', async () => {
    const uri = 'file:///tmp/planted.dnnasm';
    const text = '.arch ZU9\n    SAVE bank_addr=0 bank_id=VB1[9] jump_read=1 jump_write=16 lenght=8 channel=16 reg_id=0 ddr_addr=0\n    END\n';
    lsp.open(uri, text);
    const d = await lsp.diagnostics(uri, 1);
    expect(d.map((x) => [x.code, x.range, x.message])).toEqual([
      ['missing-field', { start: { line: 1, character: 4 }, end: { line: 1, character: 8 } }, 'SAVE lacks length: every field without a default must be given'],
      ['bank', { start: { line: 1, character: 33 }, end: { line: 1, character: 34 } }, 'VB1 has banks 0..7 on ZU9; 9 is out of range'],
      ['unknown-field', { start: { line: 1, character: 62 }, end: { line: 1, character: 68 } }, "SAVE has no field 'lenght': did you mean length? (fields: dpdon, dpdby, bank_addr, bank_id, jump_read, jump_write, argmax, hp_id, length, channel, reg_id, const_value, const_en, ddr_addr)"],
    ]);
    // Fix the typo with an incremental edit: the new version's diagnostics replace the old.
    lsp.change(uri, 2, [{ range: { start: { line: 1, character: 62 }, end: { line: 1, character: 68 } }, text: 'length' }]);
    const d2 = await lsp.diagnostics(uri, 2);
    expect(d2.map((x) => x.code)).toEqual(['bank']);
  });

  it('never publishes a superseded version: quick edits yield diagnostics for the last one only', async () => {
    const uri = 'file:///tmp/quick.dnnasm';
    lsp.open(uri, 'END\n', 1);
    await lsp.diagnostics(uri, 1);
    for (let v = 2; v <= 6; v++) lsp.change(uri, v, [{ text: `END x${v}=1\n` }]);
    const d = await lsp.diagnostics(uri, 6);
    expect(d[0]!.message).toMatch(/no field 'x6'/);
    // Each version publishes once per phase that finishes (assembly with timing, then functional): 1 and 6 only.
    await lsp.phase(uri, 6, 'functional');
    expect([...new Set(lsp.published(uri).map((p) => p.version))]).toEqual([1, 6]);
  });
});

describe('hover, completion and signature help', () => {
  it('hovers an instruction and a field with the ISA docs and the value here', async () => {
    const h = await lsp.request<Hover>('textDocument/hover', { ...doc(fixtureUri), position: pos(fixture, 'CONVINIT') });
    expect((h.contents as { value: string }).value).toMatch(/^\*\*CONVINIT\*\* — CONV engine, opcode 0x9, 4 words, instruction 25 at word 125/);
    const f = await lsp.request<Hover>('textDocument/hover', { ...doc(fixtureUri), position: pos(fixture, 'bank_addr_in_1=2047') });
    const v = (f.contents as { value: string }).value;
    expect(v).toContain('**CONV.bank_addr_in_1** — Base address of input address group 1.');
    expect(v).toContain('Bits W3[29:18]; legal 0..4095; default 0.');
    expect(v).toContain('Value here: `2047` (2047)');
  });

  it('completes mnemonics at the start of a line, missing fields after a mnemonic, and values by field kind', async () => {
    const uri = 'file:///tmp/complete.dnnasm';
    const text = '.arch ZU9\n.ddr input reg=0 size=16\n    \n    SAVE bank_addr=0 \n    SAVE bank_id=\n    CONV dpdon=\n    LOAD reg_id=\n';
    lsp.open(uri, text);
    await lsp.diagnostics(uri, 1);
    const at = async (line: number, character: number) => (await lsp.request<CompletionItem[]>('textDocument/completion', { ...doc(uri), position: { line, character } })).map((c) => c.label);
    expect(await at(2, 4)).toEqual(expect.arrayContaining(['LOAD', 'CONV', 'END', '.ddr', '.layer']));
    const fields = await at(3, 21);
    expect(fields).toContain('jump_read');
    expect(fields).not.toContain('bank_addr');
    expect(await at(4, 17)).toEqual(['VB0[0]', 'VB0[1]', 'VB0[2]', 'VB0[3]', 'VB0[4]', 'VB0[5]', 'VB0[6]', 'VB0[7]', 'VB1[0]', 'VB1[1]', 'VB1[2]', 'VB1[3]', 'VB1[4]', 'VB1[5]', 'VB1[6]', 'VB1[7]']);
    expect(await at(5, 15)).toEqual(['LOAD', 'SAVE', 'CONV', 'MISC', 'none']);
    expect(await at(6, 16)).toEqual(['input']);
    const snippet = (await lsp.request<CompletionItem[]>('textDocument/completion', { ...doc(uri), position: { line: 2, character: 4 } })).find((c) => c.label === 'SAVE')!;
    expect((snippet.textEdit as TextEdit).newText).toBe('SAVE      bank_addr=${1:0} bank_id=${2:VB0[0]} jump_read=${3:1} jump_write=${4:1} length=${5:1} channel=${6:1} reg_id=${7:0} ddr_addr=${8:0x0}');
  });

  it('gives signature help with the field under the cursor active', async () => {
    const s = await lsp.request<SignatureHelp>('textDocument/signatureHelp', { ...doc(fixtureUri), position: pos(fixture, 'shift_cut=9', 10) });
    const sig = s.signatures[0]!;
    expect(sig.label.startsWith('CONVINIT [dpdon=0] [dpdby=0] jump_read= shift_cut= act_type=')).toBe(true);
    const [a, b] = sig.parameters![s.activeParameter!]!.label as [number, number];
    expect(sig.label.slice(a, b)).toBe('shift_cut=');
  });
});

describe('navigation', () => {
  it('goes to the definition of a region, a constant and a fusion group, and finds their references', async () => {
    const def = await lsp.request<Location>('textDocument/definition', { ...doc(fixtureUri), position: pos(fixture, 'reg_id=weights', 7) });
    expect(def.range.start).toEqual(pos(fixture, 'weights reg=1'));
    const refs = await lsp.request<Location[]>('textDocument/references', { ...doc(fixtureUri), position: pos(fixture, 'ROW_BYTES    128'), context: { includeDeclaration: true } });
    expect(refs.length).toBe(1 + 8 + 8);
    const noDecl = await lsp.request<Location[]>('textDocument/references', { ...doc(fixtureUri), position: pos(fixture, 'ROW_BYTES    128'), context: { includeDeclaration: false } });
    expect(noDecl.length).toBe(16);
  });

  it('renames a region everywhere, and refuses a name that is taken', async () => {
    const e = await lsp.request<WorkspaceEdit>('textDocument/rename', { ...doc(fixtureUri), position: pos(fixture, 'bias    reg=1'), newName: 'biases' });
    const edits = e.changes![fixtureUri]!;
    expect(edits.length).toBe(3);
    expect(edits.every((x) => x.newText === 'biases')).toBe(true);
    await expect(lsp.request('textDocument/rename', { ...doc(fixtureUri), position: pos(fixture, 'bias    reg=1'), newName: 'input' })).rejects.toThrow(/'input' is already defined \(a region on line 5\)/);
  });

  it('outlines regions, constants, fusion groups with their layers and labels, and folds layers', async () => {
    const syms = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', doc(fixtureUri));
    expect(syms.map((s) => s.name)).toEqual(['input', 'weights', 'bias', 'output', 'ROW_BYTES', 'FILTER_BYTES', 'conv1_relu']);
    const group = syms[6]!;
    expect(group.children!.map((c) => c.name)).toEqual(['conv1']);
    expect(group.children![0]!.children!.map((c) => c.name)).toEqual(['load_input', 'load_weights', 'compute', 'store']);
    const folds = await lsp.request<FoldingRange[]>('textDocument/foldingRange', doc(fixtureUri));
    expect(folds).toContainEqual(expect.objectContaining({ startLine: pos(fixture, '.layer conv1').line, endLine: pos(fixture, '    END').line, kind: 'region' }));
  });
});

describe('semantic tokens, formatting and code actions', () => {
  it('classifies mnemonics, fields, banks, addresses, engines and layer markers', async () => {
    const t = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/full', doc(fixtureUri));
    const lines = fixture.split('\n');
    let line = 0;
    let char = 0;
    const toks: [string, string][] = [];
    const convLineNo = pos(fixture, '    CONV     dpdon').line;
    const convLine: [string, string][] = [];
    for (let i = 0; i < t.data.length; i += 5) {
      line += t.data[i]!;
      char = t.data[i] === 0 ? char + t.data[i + 1]! : t.data[i + 1]!;
      const tok: [string, string] = [lines[line]!.slice(char, char + t.data[i + 2]!), SEMANTIC_TOKEN_TYPES[t.data[i + 3]!]!];
      toks.push(tok);
      if (line === convLineNo && ['CONV', 'dpdon', 'LOAD', 'VB0', 'bank_addr_in_1', '2047'].includes(tok[0])) convLine.push(tok);
    }
    expect(convLine).toEqual([
      ['CONV', 'keyword'],
      ['dpdon', 'property'],
      ['LOAD', 'engine'],
      ['VB0', 'bank'],
      ['bank_addr_in_1', 'property'],
      ['2047', 'address'],
      ['2047', 'address'],
    ]);
    expect(toks).toContainEqual(['conv1', 'layer']);
    expect(toks).toContainEqual(['SAVE', 'engine']);
  });

  it('formats to the canonical layout, keeping values as written', async () => {
    const uri = 'file:///tmp/format.dnnasm';
    const text = 'top:  save   length=8, bank_id=VB1[0]  bank_addr=0 jump_read=1 jump_write=16 channel = 16 reg_id=0 ddr_addr=2*64 ;c\n   .equ   X   3\nEND\n';
    lsp.open(uri, text);
    await lsp.diagnostics(uri, 1);
    const edits = await lsp.request<TextEdit[]>('textDocument/formatting', { ...doc(uri), options: { tabSize: 4, insertSpaces: true } });
    expect(edits.map((e) => e.newText)).toEqual([
      'top:\n    SAVE     bank_addr=0 bank_id=VB1[0] jump_read=1 jump_write=16 length=8 channel=16 reg_id=0 ddr_addr=2*64  ;c',
      '.equ X 3',
      '    END',
    ]);
  });

  it('offers quick fixes: the suggested name, a clamped value, END', async () => {
    const uri = 'file:///tmp/fix.dnnasm';
    const text = '    SAVE bank_addr=0 bank_id=VB1[0] jump_read=1 jump_write=16 lenght=8 channel=99999 reg_id=0 ddr_addr=0\n';
    lsp.open(uri, text);
    const d = await lsp.diagnostics(uri, 1);
    const actions = await lsp.request<CodeAction[]>('textDocument/codeAction', { ...doc(uri), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 200 } }, context: { diagnostics: d } });
    expect(actions.map((a) => a.title)).toEqual(['Add length (with their smallest legal values)', 'Insert END', 'Change to length', 'Clamp channel to 4096']);
    const fix = actions[2]!.edit!.changes![uri]![0]!;
    expect(fix).toEqual({ range: { start: { line: 0, character: 62 }, end: { line: 0, character: 68 } }, newText: 'length' });
  });
});
