// Protocol tests of the simulators in the edit loop, on hand-written programs with planted errors:
// each diagnostic kind with its range, code and message; the race quick fix applied through the
// protocol; hover timing, code lenses, inlay hints; never publishing a superseded version.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, CodeLens, Diagnostic, Hover, InlayHint } from 'vscode-languageserver-protocol';
import { LspClient } from '../support/lsp-client';

const root = path.join(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-lsp-sim-'));
const uriOf = (name: string) => `file://${path.join(tmp, name)}`;

const HEAD = '.arch ZU9\n.ddr input  reg=0 size=128\n.ddr output reg=2 size=128\n';
const LOAD = (extra: string, bank = 'VB0[0]') => `    LOAD     ${extra}bank_addr=0 bank_id=${bank} jump_write=1 jump_read=16 length=8 channel=16 reg_id=input ddr_addr=input broadcast=7 const_value=3\n`;
const SAVE = (extra: string, bank = 'VB0[0]') => `    SAVE     ${extra}bank_addr=0 bank_id=${bank} jump_read=1 jump_write=16 length=8 channel=16 reg_id=output ddr_addr=output\n`;

let lsp: LspClient;
beforeAll(async () => {
  lsp = new LspClient();
  await lsp.initialize(tmp);
});
afterAll(async () => {
  await lsp.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const at = (line: number, character: number) => ({ line, character });
const rng = (line: number, c0: number, c1: number) => ({ start: at(line, c0), end: at(line, c1) });
/** Open a program and wait for its functional phase: the diagnostics of both phases. */
async function openAndCheck(name: string, text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = uriOf(name);
  fs.writeFileSync(path.join(tmp, name), text);
  lsp.open(uri, text);
  const { diagnostics } = await lsp.phase(uri, 1, 'functional');
  return { uri, diagnostics };
}
const brief = (d: Diagnostic[]) => d.map((x) => ({ code: x.code, source: x.source, severity: x.severity, range: x.range, message: x.message }));

describe('planted errors', () => {
  it('a deadlock: on every blocked instruction (its dpdon), naming the tokens, pointing at the others', async () => {
    const { diagnostics } = await openAndCheck('deadlock.dnnasm', HEAD + LOAD('dpdon=SAVE dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n');
    const message =
      'deadlock: no engine can start, and 2 instructions never run. LOAD at line 4 waits for a token from SAVE (SAVE->LOAD holds none; SAVE is itself blocked at line 5); ' +
      'SAVE at line 5 waits for a token from LOAD (LOAD->SAVE holds none; LOAD is itself blocked at line 4). Tokens held: none. ' +
      'Give the missing tokens (a dpdby bit on an earlier instruction of the giving engine) or remove the dpdon bits that wait for them';
    expect(brief(diagnostics)).toEqual([
      { code: 'deadlock', source: 'dnnvm timing', severity: 1, range: rng(3, 19, 23), message },
      { code: 'deadlock', source: 'dnnvm timing', severity: 1, range: rng(4, 19, 23), message },
    ]);
    expect(diagnostics[0]!.relatedInformation).toEqual([{ location: { uri: uriOf('deadlock.dnnasm'), range: rng(4, 4, 8) }, message: 'also blocked: SAVE at line 5' }]);
  });

  it('tokens left at END: on the dpdby of the last giver', async () => {
    const { diagnostics } = await openAndCheck('unbalanced.dnnasm', HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + LOAD('dpdby=SAVE ', 'VB0[1]') + '    END\n');
    expect(brief(diagnostics)).toEqual([
      {
        code: 'unbalanced-tokens',
        source: 'dnnvm timing',
        severity: 2,
        range: rng(5, 19, 23),
        message:
          '1 token from LOAD to SAVE is given but never taken (the last by LOAD at line 6); at END it stays in the counter, where the next run would find it: remove dpdby=SAVE there, or add dpdon=LOAD to a later SAVE instruction',
      },
    ]);
  });

  it('a missing INIT: on the instruction that needs it', async () => {
    const conv = '    CONV     bank_addr_in=0 bank_addr_out=0 pad_bottom=0 pad_right=0 channel_group=1 bank_addr_weights=0 bank_id_in=VB0[0] length=1 bank_addr_bias=0 bank_id_out=VB1[0]\n';
    const { diagnostics } = await openAndCheck('noinit.dnnasm', HEAD + conv + '    END\n');
    const noInit = diagnostics.filter((d) => d.code === 'no-init');
    expect(brief(noInit)).toEqual([
      { code: 'no-init', source: 'dnnvm timing', severity: 1, range: rng(3, 4, 8), message: 'CONV at line 4 has no CONVINIT before it, so its kernel, strides and shifts are unset: add a CONVINIT earlier in the program' },
    ]);
  });

  it('a data race: on both instructions, with a quick fix that orders them, and the race is gone once applied', async () => {
    const text = HEAD + LOAD('') + SAVE('') + '    END\n';
    const { uri, diagnostics } = await openAndCheck('race.dnnasm', text);
    const message =
      'data race: SAVE at line 5 reads VB0[0] addresses 0..7, which LOAD at line 4 writes, and no token orders the two: on the DPU, SAVE can read before LOAD has written; ' +
      'make SAVE at line 5 (or an earlier SAVE instruction) wait for a token from LOAD (dpdon=LOAD) that LOAD at line 4 or a later LOAD instruction gives (dpdby=SAVE)';
    expect(brief(diagnostics)).toEqual([
      { code: 'race', source: 'dnnvm functional', severity: 1, range: rng(3, 4, 8), message },
      { code: 'race', source: 'dnnvm functional', severity: 1, range: rng(4, 4, 8), message },
    ]);
    expect(diagnostics.map((d) => d.relatedInformation?.[0]?.message)).toEqual(['the other side: SAVE at line 5', 'the other side: LOAD at line 4']);
    const actions = await lsp.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: rng(4, 0, 10), context: { diagnostics } });
    expect(actions.map((a) => a.title)).toEqual(['Order them with a token: SAVE at line 5 waits for LOAD (dpdon), which LOAD at line 4 gives (dpdby=SAVE)']);
    const edits = actions[0]!.edit!.changes![uri]!;
    expect(edits).toEqual([
      { range: rng(3, 13, 13), newText: 'dpdby=SAVE ' },
      { range: rng(4, 13, 13), newText: 'dpdon=LOAD ' },
    ]);
    lsp.change(uri, 2, [...edits].reverse().map((e) => ({ range: e.range, text: e.newText })));
    expect((await lsp.phase(uri, 2, 'functional')).diagnostics).toEqual([]);
  });

  it('out-of-bounds DDR accesses and uninitialized reads: on the address or the instruction', async () => {
    const text = HEAD + LOAD('dpdby=SAVE ').replace('ddr_addr=input broadcast=7 const_value=3', 'ddr_addr=input') + LOAD('', 'VB0[1]').replace('ddr_addr=input', 'ddr_addr=input+100') + SAVE('dpdon=LOAD ', 'VB0[2]') + '    END\n';
    const { diagnostics } = await openAndCheck('memory.dnnasm', text);
    expect(brief(diagnostics)).toEqual([
      {
        code: 'uninitialized',
        source: 'dnnvm functional',
        severity: 1,
        range: rng(3, 119, 124),
        message:
          "LOAD at line 4 reads byte 0x0 of DDR region input, which holds no data there: give the region its contents (file=, or the caller's data) or SAVE into it before this LOAD (later reads of the region are not reported again)",
      },
      {
        code: 'ddr-region',
        source: 'dnnvm functional',
        severity: 1,
        range: rng(4, 108, 117),
        message: 'LOAD at line 5 reads DDR reg 0 bytes [0x64, 0xe4), which is not inside one region (reg 0 has input [0x0, 0x80)): fix ddr_addr, length, the jump or channel, or declare the region',
      },
      {
        code: 'uninitialized',
        source: 'dnnvm functional',
        severity: 1,
        range: rng(5, 4, 8),
        message: 'SAVE at line 6 reads VB0[2] address 0, which no instruction before it in program order wrote: load the data first, or fix the addresses (a read of an unwritten address would compute garbage on the DPU)',
      },
    ]);
  });

  it('a missing region file: on the .ddr directive, and the functional check says it did not run', async () => {
    const { diagnostics } = await openAndCheck('nofile.dnnasm', HEAD.replace('size=128\n', 'size=128 file="absent.bin"\n') + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n');
    expect(brief(diagnostics)).toEqual([
      {
        code: 'ddr-file',
        source: 'dnnvm functional',
        severity: 2,
        range: rng(1, 5, 10),
        message: `region input: file= 'absent.bin' does not exist in ${tmp}; the functional check (races, memory accesses, golden checksums) did not run`,
      },
    ]);
  });

  it('a region file outside the program\'s folder is not read', async () => {
    const { diagnostics } = await openAndCheck('outside.dnnasm', HEAD.replace('size=128\n', 'size=128 file="../passwd"\n') + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n');
    expect(brief(diagnostics)).toEqual([
      {
        code: 'ddr-file',
        source: 'dnnvm functional',
        severity: 2,
        range: rng(1, 5, 10),
        message: `region input: file= '../passwd' is outside ${tmp}; only files inside that folder are read: copy it there; the functional check (races, memory accesses, golden checksums) did not run`,
      },
    ]);
  });
});

describe('golden checksums of a package', () => {
  const name = 'conv3x3';
  const fixtures = path.join(root, 'test-fixtures', 'programs');
  let text: string;
  beforeAll(() => {
    for (const f of ['dnnasm', 'input.bin', 'weights.bin', 'bias.bin']) fs.copyFileSync(path.join(fixtures, `${name}.${f}`), path.join(tmp, `${name}.${f}`));
    text = fs.readFileSync(path.join(tmp, `${name}.dnnasm`), 'utf8');
    // The package of a hand-written program: the output the conv must leave in DDR, as its golden.
    const expected = fs.readFileSync(path.join(fixtures, `${name}.expected.bin`));
    const manifest = {
      format: 'dnnvm-package',
      version: 1,
      model: 'conv3x3 (written by hand)',
      arch: { name: 'ZU9' },
      mode: 'optimized',
      files: { asm: `${name}.dnnasm`, bin: `${name}.dnnbin`, weights: `${name}.weights.bin`, input: `${name}.input.bin` },
      quantization: { calibrationInputs: 0, stats: {} },
      segments: [{ index: 0, name: 'main', firstWord: 0, words: 0, instructions: 0 }],
      steps: [{ kind: 'dpu', segment: 0 }],
      tensors: { conv1_out: { c: 16, h: 8, w: 8, fix: 0, ddr: { reg: 2, offset: 0, pixelStride: 16 } } },
      golden: { seed: 0, layers: [{ segment: 0, layer: 0, name: 'conv1', tensor: 'conv1_out', sha256: createHash('sha256').update(expected).digest('hex') }] },
      asmSha256: createHash('sha256').update(text).digest('hex'),
    };
    fs.writeFileSync(path.join(tmp, `${name}.manifest.json`), JSON.stringify(manifest));
  });

  it('matches on the compiled program, and names the layer an edit breaks', async () => {
    const uri = uriOf(`${name}.dnnasm`);
    lsp.open(uri, text);
    const first = await lsp.phase(uri, 1, 'functional');
    expect(first.diagnostics).toEqual([]);
    expect(first.status.detail).toBe('36 instructions, 0 errors; golden: 1 of 1 layers match');
    const line = text.split('\n').findIndex((l) => l.includes('shift_cut=9'));
    const col = text.split('\n')[line]!.indexOf('shift_cut=9') + 'shift_cut='.length;
    lsp.change(uri, 2, [{ range: rng(line, col, col + 1), text: '8' }]);
    const second = await lsp.phase(uri, 2, 'functional');
    expect(second.status.detail).toBe('36 instructions, 0 errors; golden: layer conv1 differs');
    expect(brief(second.diagnostics)).toEqual([
      {
        code: 'golden-mismatch',
        source: 'dnnvm functional',
        severity: 1,
        range: rng(12, 0, 47),
        message:
          'functional mismatch: after layer conv1, its output conv1_out (16 channels x 8 x 8, HWC in DDR) differs from the golden checksum in conv3x3.manifest.json. ' +
          'The instructions of this layer (or the data they read) no longer compute what the compiled model does: compare them with the compiled program, or validate this file (DNNVM: Validate) to see which bytes differ',
      },
    ]);
  });
});

describe('timing in the editor', () => {
  const text = HEAD + '.layer first\n' + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '.layer second\n' + LOAD('dpdby=SAVE ', 'VB0[1]') + SAVE('dpdon=LOAD ', 'VB0[1]') + '    END\n';
  let uri: string;
  beforeAll(async () => {
    ({ uri } = await openAndCheck('timed.dnnasm', text));
  });

  it('hovers an instruction with its engine, cycles, stalls, bytes and utilization', async () => {
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(5, 6) });
    const v = (h.contents as { value: string }).value;
    expect(v).toMatch(/^\*\*SAVE\*\* — SAVE engine, opcode 0x4, 5 words, instruction 1 at word 5/);
    expect(v).toContain('**Timing** on core 0 of 3, in throughput mode (every core runs the program on its own image)');
    expect(v).toMatch(/- SAVE engine: cycle [\d,]+ → [\d,]+, \*\*[\d,]+ cycles\*\* \([\d.]+ ns at 330 MHz\)/);
    expect(v).toMatch(/- stalls: [\d,]+ waiting for tokens \(the last from LOAD, LOAD at line 5\)/);
    expect(v).toContain('- work: 128 B of DDR traffic');
    expect(v).toMatch(/- utilization: [\d.]+ B\/cycle \([\d.]+ [kMG]?B\/s, latency included\): [\d.]+% of the core's AXI ports, [\d.]+% of the board's DDR/);
  });

  it('hovers a layer marker with latency, ops, roofline and its place in the program', async () => {
    const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at(6, 2) });
    const v = (h.contents as { value: string }).value;
    expect(v).toMatch(/^\*\*layer second\*\*: instructions 2\.\.4 \(3\)/);
    expect(v).toMatch(/\*\*Latency [\d.]+ ns\*\*: cycles [\d,]+ → [\d,]+ \([\d,]+ cycles\) on core 0; it adds [\d,]+ cycles to the program \(the layers' shares add up to its [\d,]+\)/);
    expect(v).toMatch(/- roofline: the layer's work needs at least [\d,]+ cycles \(memory-bound\): it runs at [\d.]+% of its roofline/);
  });

  it('puts each layer latency on a code lens', async () => {
    const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    expect(lenses.map((l) => l.range)).toEqual([rng(3, 0, 0), rng(6, 0, 0)]);
    for (const l of lenses) expect(l.command!.title).toMatch(/^[\d.]+ ns \([\d,]+ cycles, \+[\d,]+ to the total\) · [\d.]+ [kMGT]?OP\/s · [\d.]+% of roofline, memory-bound$/);
  });

  it('shows per-instruction cycles as inlay hints only with dnnvm.timingInlayHints', async () => {
    const ask = () => lsp.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: at(4, 0), end: at(8, 0) } });
    expect(await ask()).toEqual([]);
    const refreshes = lsp.seen.get('workspace/inlayHint/refresh')?.length ?? 0;
    lsp.configure({ timingInlayHints: true });
    await lsp.waitSeen('workspace/inlayHint/refresh', refreshes + 1);
    const hints = await ask();
    const lines = text.split('\n');
    expect(hints.map((h) => h.position)).toEqual([4, 5, 7, 8].map((l) => at(l, lines[l]!.length)));
    for (const h of hints) expect(h.label).toMatch(/^[\d,]+ cyc(, waited [\d,]+)?$/);
    lsp.configure({ timingInlayHints: false });
    await lsp.waitSeen('workspace/inlayHint/refresh', refreshes + 2);
    expect(await ask()).toEqual([]);
  });

  it('asks the client to refresh code lenses when new timing is in', async () => {
    const before = lsp.seen.get('workspace/codeLens/refresh')?.length ?? 0;
    lsp.change(uri, 2, [{ range: rng(4, 0, 0), text: '' }]);
    await lsp.phase(uri, 2, 'timing');
    await lsp.waitSeen('workspace/codeLens/refresh', before + 1);
  });
});

describe('versions', () => {
  it('never publishes the simulations of a superseded version, however late they finish', async () => {
    const uri = uriOf('versions.dnnasm');
    const text = HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n';
    lsp.open(uri, text);
    // Edits while the earlier versions simulate: every version's analyses are cancelled but the last.
    for (let v = 2; v <= 8; v++) lsp.change(uri, v, [v % 2 === 0 ? { range: rng(3, 0, 0), text: '; x\n' } : { range: { start: at(3, 0), end: at(4, 0) }, text: '' }]);
    const last = await lsp.phase(uri, 8, 'functional');
    expect(last.diagnostics).toEqual([]);
    const versions = new Set(lsp.published(uri).map((p) => p.version));
    for (const v of versions) expect([1, 8]).toContain(v);
    const statuses = lsp.statusesOf(uri).filter((s) => s.version !== 1);
    expect(statuses.every((s) => s.version === 8)).toBe(true);
  });
});
