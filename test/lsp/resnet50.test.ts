// Protocol tests on a compiled ResNet-50 program (its package cached under .cache/test-packages):
// every feature of the language server on a real program of ~17,000 instructions and 49 layers.

import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeLens, CompletionItem, DocumentSymbol, FoldingRange, Hover, InlayHint, Location } from 'vscode-languageserver-protocol';
import { assemble } from '../../src-compiler/asm/assemble';
import { LineIndex } from '../../src-compiler/asm/ast';
import { archResolverFor } from '../../src-compiler/asm/file';
import { programFromAsm } from '../../src-compiler/sim/program';
import { simulateTiming } from '../../src-compiler/sim/timing';
import type { SimulationSummary, TraceResult, ValidateResult, XGraphResult } from '../../server/src/protocol';
import { LspClient } from '../support/lsp-client';
import { sharedModel } from '../support/models';
import { compiledPackage, type TestPackage } from '../support/packages';

let pkg: TestPackage;
let text: string;
let lines: string[];
let uri: string;
let lsp: LspClient;
let manifest: { golden: { layers: unknown[] }; fusionGroups: { name: string; nodes: string[] }[]; xgraph: { nodes: { name: string }[] } };

beforeAll(async () => {
  pkg = compiledPackage(sharedModel('caffe/resnet50.prototxt'));
  text = fs.readFileSync(pkg.asm, 'utf8');
  lines = text.split('\n');
  uri = `file://${pkg.asm}`;
  manifest = JSON.parse(fs.readFileSync(pkg.manifest, 'utf8'));
  lsp = new LspClient();
  await lsp.initialize(pkg.dir);
  lsp.open(uri, text);
});
afterAll(async () => lsp?.stop());

const doc = () => ({ textDocument: { uri } });
const at = (line: number, character: number) => ({ line, character });
let markers: number[] = [];
const markerLines = () => (markers.length ? markers : (markers = lines.flatMap((l, i) => (l.startsWith('.layer ') ? [i] : []))));

describe('a compiled ResNet-50 program', () => {
  it('opens without a problem: assembly, timing, and the functional check with every golden checksum', async () => {
    const first = await lsp.diagnostics(uri, 1, 60000);
    expect(first).toEqual([]);
    const f = await lsp.phase(uri, 1, 'functional', 110000);
    expect(f.status.state).toBe('done');
    expect(f.diagnostics).toEqual([]);
    const n = manifest.golden.layers.length;
    expect(n).toBe(markerLines().length);
    expect(f.status.detail).toMatch(new RegExp(`^\\d+ instructions, 0 errors; golden: ${n} of ${n} layers match$`));
  }, 120000);

  it('hovers an instruction with its timing, and a layer marker with its latency', async () => {
    const conv = lines.findIndex((l, i) => i > markerLines()[5]! && l.startsWith('    CONV '));
    const h = await lsp.request<Hover>('textDocument/hover', { ...doc(), position: at(conv, 5) });
    const v = (h.contents as { value: string }).value;
    expect(v).toMatch(/^\*\*CONV\*\* — CONV engine, opcode 0x8, 5 words, instruction \d+ at word \d+/);
    expect(v).toMatch(/- CONV engine: cycle [\d,]+ → [\d,]+, \*\*[\d,]+ cycles\*\* \([\d.]+ [nµ]s at 330 MHz\)/);
    expect(v).toMatch(/- stalls: /);
    expect(v).toMatch(/- work: [\d.]+ [kMG]?MAC \([\d.]+ [kMGT]?OP\)/);
    expect(v).toMatch(/- utilization: [\d.]+% of the MAC array \(8×16×16 MACs per cycle\)/);
    const marker = markerLines()[5]!;
    const lh = await lsp.request<Hover>('textDocument/hover', { ...doc(), position: at(marker, 1) });
    const lv = (lh.contents as { value: string }).value;
    expect(lv).toMatch(/^\*\*layer \S+\*\*/);
    expect(lv).toMatch(/\*\*Latency [\d.]+ [µm]?s\*\*: cycles [\d,]+ → [\d,]+ \([\d,]+ cycles\) on core 0; it adds [\d,]+ cycles to the program/);
    expect(lv).toMatch(/- ops: [\d.]+ [kMGT]?OP \([\d.]+ [kMG]?MAC\), [\d.]+ [kMGT]?OP\/s over 3 cores/);
    expect(lv).toMatch(/- roofline: the layer's work needs at least [\d,]+ cycles \((compute|memory|misc)-bound\): it runs at [\d.]+% of its roofline/);
    expect(lv).toContain('XGraph nodes: ');
  });

  it('has a latency code lens on every layer marker, and a summary that is the simulator\'s', async () => {
    const lenses = await lsp.request<CodeLens[]>('textDocument/codeLens', doc());
    expect(lenses.map((l) => l.range.start.line)).toEqual(markerLines());
    const summary = await lsp.request<SimulationSummary>('dnnvm/simulation', { uri });
    // The same program through the library directly.
    const p = assemble(text, { resolveArch: archResolverFor(pkg.dir) });
    const r = simulateTiming(programFromAsm(p, new LineIndex(text)));
    expect(summary.status).toBe('complete');
    expect(summary.cycles).toBe(r.cycles);
    expect(summary.instructions).toBe(r.instructions);
    expect(summary.layers.map((l) => [l.line, l.cycles])).toEqual(r.layers.map((l, k) => [markerLines()[k], l.incrementalCycles]));
    expect(summary.layers.reduce((s, l) => s + l.cycles, 0)).toBeCloseTo(summary.cycles, 0);
    expect(summary.fps).toBeCloseTo((3 * 330e6) / r.cycles, 6);
  });

  it('shows per-instruction cycles as inlay hints in the range asked, with the setting on', async () => {
    lsp.configure({ timingInlayHints: true });
    await lsp.waitSeen('workspace/inlayHint/refresh');
    const from = markerLines()[10]!;
    const hints = await lsp.request<InlayHint[]>('textDocument/inlayHint', { ...doc(), range: { start: at(from, 0), end: at(from + 40, 0) } });
    const instrLines = lines.slice(from, from + 41).flatMap((l, k) => (/^ {4}[A-Z]/.test(l) ? [from + k] : []));
    expect(hints.map((h) => h.position.line)).toEqual(instrLines);
    for (const h of hints) expect(h.label).toMatch(/^[\d,]+ cyc/);
    lsp.configure({ timingInlayHints: false });
  });

  it('outlines fusion groups and layers, folds each layer, and goes to a fusion group\'s first marker', async () => {
    const syms = await lsp.request<DocumentSymbol[]>('textDocument/documentSymbol', doc());
    const layers = syms.flatMap((s) => (s.kind === 3 /* Namespace: a group */ ? s.children ?? [] : s.kind === 2 /* Module: a layer */ ? [s] : []));
    expect(layers.length).toBe(markerLines().length);
    const groups = syms.filter((s) => s.kind === 3).map((s) => s.name);
    expect(groups).toEqual(manifest.fusionGroups.filter((g) => g.nodes.length > 1).map((g) => g.name));
    const folds = await lsp.request<FoldingRange[]>('textDocument/foldingRange', doc());
    expect(folds.filter((f) => f.kind === 'region').map((f) => f.startLine)).toEqual(markerLines());
    const marker = markerLines()[3]!;
    const groupCol = lines[marker]!.indexOf('group=') + 'group='.length + 2;
    const def = await lsp.request<Location>('textDocument/definition', { ...doc(), position: at(marker, groupCol) });
    expect(def.range.start.line).toBe(marker);
  });

  it('completes, formats a range and colours a range as on a small program', async () => {
    const conv = lines.findIndex((l) => l.startsWith('    CONV '));
    const items = await lsp.request<CompletionItem[]>('textDocument/completion', { ...doc(), position: at(conv, 4) });
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(['LOAD', 'CONV', 'SAVE', 'END', '.layer']));
    const value = lines[conv]!.indexOf('bank_id_in=') + 'bank_id_in='.length;
    const banks = await lsp.request<CompletionItem[]>('textDocument/completion', { ...doc(), position: at(conv, value) });
    expect(banks.map((i) => i.label)).toContain('VB1[7]');
    const edits = await lsp.request<unknown[]>('textDocument/rangeFormatting', { ...doc(), range: { start: at(conv, 0), end: at(conv + 20, 0) }, options: { tabSize: 4, insertSpaces: true } });
    expect(edits).toEqual([]); // the compiler writes the canonical layout
    const toks = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/range', { ...doc(), range: { start: at(conv, 0), end: at(conv + 20, 0) } });
    expect(toks.data.length).toBeGreaterThan(20 * 5 * 5);
  });

  it('answers the trace and the XGraph with per-node latency', async () => {
    const t = await lsp.request<TraceResult>('dnnvm/trace', { uri });
    const trace = JSON.parse(t.json) as { traceEvents: { ph: string; pid: number; tid: number }[] };
    const slices = trace.traceEvents.filter((e) => e.ph === 'X' && e.tid < 4);
    const summary = await lsp.request<SimulationSummary>('dnnvm/simulation', { uri });
    expect(slices.length).toBe(3 * (summary.instructions - 1)); // every instruction but END, on each core
    const g = await lsp.request<XGraphResult>('dnnvm/xgraph', { uri });
    expect(g.arch).toBe('ZU9');
    expect(g.nodes.map((n) => n.id)).toEqual(manifest.xgraph.nodes.map((n) => n.name));
    expect(g.groups.map((x) => x.id)).toEqual(manifest.fusionGroups.filter((x) => x.nodes.length > 1).map((x) => x.name));
    const onDpu = g.nodes.filter((n) => n.asmLine !== undefined);
    expect(onDpu.length).toBeGreaterThan(50);
    for (const n of onDpu) {
      expect(lines[n.asmLine!]!.startsWith('.layer ')).toBe(true);
      expect(n.cycles).toBeGreaterThan(0);
    }
    expect(g.edges.length).toBeGreaterThan(g.nodes.length - 2);
  });

  it('names the first layer an edit breaks against the golden, and is clean again when the edit is undone', async () => {
    const marker = markerLines()[20]!;
    const init = lines.findIndex((l, i) => i > marker && l.startsWith('    CONVINIT'));
    expect(markerLines().filter((m) => m < init).pop()).toBe(marker);
    const col = lines[init]!.indexOf('shift_cut=') + 'shift_cut='.length;
    const old = /^\d+/.exec(lines[init]!.slice(col))![0];
    lsp.change(uri, 2, [{ range: { start: at(init, col), end: at(init, col + old.length) }, text: String(Number(old) + 1) }]);
    const t = await lsp.phase(uri, 2, 'timing', 60000);
    expect(t.diagnostics).toEqual([]);
    const f = await lsp.phase(uri, 2, 'functional', 110000);
    const name = /^\.layer ("[^"]+"|\S+)/.exec(lines[marker]!)![1]!.replace(/"/g, '');
    expect(f.status.detail).toMatch(new RegExp(`golden: layer ${name.replace(/[+.]/g, '\\$&')} differs$`));
    expect(f.diagnostics.map((d) => [d.code, d.range.start.line, d.range.end])).toEqual([['golden-mismatch', marker, at(marker, lines[marker]!.length)]]);
    expect(f.diagnostics[0]!.message).toMatch(new RegExp(`while the 20 layers before it match\\.`));
    lsp.change(uri, 3, [{ range: { start: at(init, col), end: at(init, col + String(Number(old) + 1).length) }, text: old }]);
    const back = await lsp.phase(uri, 3, 'functional', 110000);
    expect(back.diagnostics).toEqual([]);
  }, 240000);

  it('validates the document against the integer and float references', async () => {
    const v = await lsp.request<ValidateResult>('dnnvm/validate', { uri });
    expect(v.problems).toEqual([]);
    expect(v.bitExact).toBe(true);
    expect(v.layersChecked).toBe(markerLines().length);
    expect(v.float!.cosine).toBeGreaterThan(0.95);
  }, 120000);
});
