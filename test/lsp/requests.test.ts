// Protocol tests of the custom requests (server/src/protocol.ts): compile with progress and
// cancellation, validate (a model, and an edited document of a package), the XGraph of a model, the
// simulation summary of a file that is not open, and errors that say what to fix.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { CompileResult, SimulationSummary, ValidateResult, XGraphResult } from '../../server/src/protocol';
import { LspClient } from '../support/lsp-client';
import { sharedModel } from '../support/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-lsp-req-'));
let lsp: LspClient;

beforeAll(async () => {
  // Models are copied out of ../shared/models: the compile request writes its package beside the model.
  for (const m of ['lenet', 'cifar10_quick', 'resnet50']) fs.copyFileSync(sharedModel(`caffe/${m}.prototxt`), path.join(tmp, `${m}.prototxt`));
  lsp = new LspClient();
  await lsp.initialize(tmp);
});
afterAll(async () => {
  await lsp.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type Progress = { token: string | number; value: { kind: string; message?: string; percentage?: number } };

describe('dnnvm/compile', () => {
  let first: CompileResult;
  it('compiles a model beside it, without writing the assembly, with progress on the client token', async () => {
    const model = path.join(tmp, 'lenet.prototxt');
    first = await lsp.request<CompileResult>('dnnvm/compile', { model, workDoneToken: 'compile-1' });
    expect(first.dir).toBe(tmp);
    expect(first.asmPath).toBe(path.join(tmp, 'lenet.dnnasm'));
    expect(first.manifestPath).toBe(path.join(tmp, 'lenet.manifest.json'));
    expect(fs.existsSync(first.manifestPath)).toBe(true);
    expect(fs.existsSync(first.asmPath)).toBe(false);
    expect(first.previousAsmSha256).toBeUndefined();
    expect(first.asmSha256).toBe(sha(first.asmText));
    expect(JSON.parse(fs.readFileSync(first.manifestPath, 'utf8')).asmSha256).toBe(first.asmSha256);
    const asmLines = first.asmText.split('\n');
    expect(first.summary.status).toBe('complete');
    expect(first.summary.arch).toBe('ZU9');
    expect(first.summary.layers.map((l) => asmLines[l.line]!.startsWith('.layer '))).toEqual(first.summary.layers.map(() => true));
    const progress = ((lsp.seen.get('$/progress') ?? []) as Progress[]).filter((p) => p.token === 'compile-1').map((p) => p.value);
    expect(progress[0]).toEqual({ kind: 'begin', title: 'Compiling lenet.prototxt', cancellable: true, percentage: 0 });
    expect(progress.some((p) => p.kind === 'report' && p.message === 'quantize')).toBe(true);
    expect(progress[progress.length - 1]).toEqual({ kind: 'end' });
  });

  it('reports the previous package\'s assembly hash, so that the client can tell hand edits', async () => {
    const creates = lsp.seen.get('window/workDoneProgress/create')?.length ?? 0;
    const again = await lsp.request<CompileResult>('dnnvm/compile', { model: path.join(tmp, 'lenet.prototxt') });
    expect(again.previousAsmSha256).toBe(first.asmSha256);
    expect(again.asmSha256).toBe(first.asmSha256);
    // Without a client token, the progress is the server's own.
    expect(lsp.seen.get('window/workDoneProgress/create')?.length).toBe(creates + 1);
  });

  it('stops when the request is cancelled, and writes nothing', async () => {
    const cts = new CancellationTokenSource();
    const t0 = Date.now();
    const pending = lsp.conn.sendRequest('dnnvm/compile', { model: path.join(tmp, 'resnet50.prototxt') }, cts.token);
    setTimeout(() => cts.cancel(), 1500);
    await expect(pending).rejects.toMatchObject({ code: -32800, message: expect.stringMatching(/was cancelled$/) });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(fs.existsSync(path.join(tmp, 'resnet50.manifest.json'))).toBe(false);
  });

  it('says what is wrong with a model it cannot compile', async () => {
    fs.writeFileSync(path.join(tmp, 'broken.prototxt'), 'layer { name: "x" type: "Convolution" bottom: "nothing" top: "y" }\n');
    await expect(lsp.request('dnnvm/compile', { model: path.join(tmp, 'broken.prototxt') })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('broken.prototxt') });
    await expect(lsp.request('dnnvm/compile', { model: path.join(tmp, 'absent.onnx') })).rejects.toMatchObject({ code: -32602, message: `no model at ${path.join(tmp, 'absent.onnx')}` });
  });
});

describe('dnnvm/validate', () => {
  it('validates a model bit for bit and against the float reference', async () => {
    const v = await lsp.request<ValidateResult>('dnnvm/validate', { uri: `file://${path.join(tmp, 'lenet.prototxt')}` });
    expect(v.bitExact).toBe(true);
    expect(v.layersChecked).toBeGreaterThan(2);
    expect(v.problems).toEqual([]);
    expect(v.float!.cosine).toBeGreaterThan(0.9);
  });

  it('validates the open document of a package, hand edits included', async () => {
    const compiled = await lsp.request<CompileResult>('dnnvm/compile', { model: path.join(tmp, 'lenet.prototxt') });
    fs.writeFileSync(compiled.asmPath, compiled.asmText);
    const uri = `file://${compiled.asmPath}`;
    const ok = await lsp.request<ValidateResult>('dnnvm/validate', { uri });
    expect(ok).toMatchObject({ bitExact: true, problems: [] });
    // An unsaved edit of the second layer's shift: validation runs the text in the editor.
    const lines = compiled.asmText.split('\n');
    const markers = lines.flatMap((l, i) => (l.startsWith('.layer ') ? [i] : []));
    const init = lines.findIndex((l, i) => i > markers[1]! && l.startsWith('    CONVINIT'));
    const col = lines[init]!.indexOf('shift_cut=') + 'shift_cut='.length;
    const old = /^\d+/.exec(lines[init]!.slice(col))![0];
    lsp.open(uri, compiled.asmText);
    lsp.change(uri, 2, [{ range: { start: { line: init, character: col }, end: { line: init, character: col + old.length } }, text: String(Number(old) + 1) }]);
    await lsp.diagnostics(uri, 2);
    const bad = await lsp.request<ValidateResult>('dnnvm/validate', { uri });
    const layer = /^\.layer ("[^"]+"|\S+)/.exec(lines[markers[1]!]!)![1]!.replace(/"/g, '');
    expect(bad.bitExact).toBe(false);
    expect(bad.firstMismatch!.layer).toBe(layer);
    expect(bad.firstMismatch!.differing).toBeGreaterThan(0);
    expect(bad.firstMismatch!.differing).toBeLessThanOrEqual(bad.firstMismatch!.total);
    lsp.close(uri);
  });

  it('refuses a document with assembler errors, saying where', async () => {
    const file = path.join(tmp, 'lenet.dnnasm');
    const uri = `file://${file}`;
    lsp.open(uri, fs.readFileSync(file, 'utf8') + '    BOGUS x=1\n', 7);
    await lsp.diagnostics(uri, 7);
    await expect(lsp.request('dnnvm/validate', { uri })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/^lenet\.dnnasm has 1 assembler error \(the first on line \d+: unknown instruction 'BOGUS'/) });
    lsp.close(uri);
  });
});

describe('dnnvm/xgraph, dnnvm/simulation and dnnvm/trace', () => {
  it('gives a compiled model\'s XGraph with its fusion groups, and a model\'s canonical graph without a package', async () => {
    const g = await lsp.request<XGraphResult>('dnnvm/xgraph', { uri: `file://${path.join(tmp, 'lenet.prototxt')}` });
    const m = JSON.parse(fs.readFileSync(path.join(tmp, 'lenet.manifest.json'), 'utf8'));
    expect(g.nodes.map((n) => n.id)).toEqual(m.xgraph.nodes.map((n: { name: string }) => n.name));
    expect(g.groups.map((x) => x.nodes)).toEqual(m.fusionGroups.filter((x: { nodes: string[] }) => x.nodes.length > 1).map((x: { nodes: string[] }) => x.nodes));
    for (const n of g.nodes) if (n.group) expect(g.groups.find((x) => x.id === n.group)!.nodes).toContain(n.id);
    const q = await lsp.request<XGraphResult>('dnnvm/xgraph', { uri: `file://${path.join(tmp, 'cifar10_quick.prototxt')}` });
    expect(q.groups).toEqual([]);
    expect(q.nodes.some((n) => n.op === 'conv' && n.device === 'dpu' && n.origin.line! > 0)).toBe(true);
    expect(q.edges.length).toBeGreaterThan(0);
  });

  it('simulates a file that is not open, and says why a program with errors has no trace', async () => {
    const s = await lsp.request<SimulationSummary>('dnnvm/simulation', { uri: `file://${path.join(tmp, 'lenet.dnnasm')}` });
    expect(s.status).toBe('complete');
    expect(s.cycles).toBeGreaterThan(0);
    // In the steady state, the document's summary is the compiler's report.
    const compiled = await lsp.request<CompileResult>('dnnvm/compile', { model: path.join(tmp, 'lenet.prototxt') });
    const steady = await lsp.request<SimulationSummary>('dnnvm/simulation', { uri: `file://${path.join(tmp, 'lenet.dnnasm')}`, steady: true });
    expect(steady.cycles).toBeCloseTo(compiled.summary.cycles, 6);
    expect(steady.layers.map((l) => [l.name, l.line, Math.round(l.cycles)])).toEqual(compiled.summary.layers.map((l) => [l.name, l.line, Math.round(l.cycles)]));
    const bad = path.join(tmp, 'bad.dnnasm');
    fs.writeFileSync(bad, '.arch ZU9\n    LOAD x=1\n    END\n');
    const e = await lsp.request<SimulationSummary>('dnnvm/simulation', { uri: `file://${bad}` });
    expect(e).toMatchObject({ status: 'error', cycles: 0, layers: [] });
    await expect(lsp.request('dnnvm/trace', { uri: `file://${bad}` })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/^the program has 2 assembler errors \(the first on line 2: /) });
  });
});
