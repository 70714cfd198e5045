// The simulators in the editor layer: segments, combined timing, problems as diagnostics, race fixes,
// golden checksums through host steps.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, type TextEdit } from '../asm/assemble';
import { LineIndex } from '../asm/ast';
import { archResolverFor } from '../asm/file';
import { resolveArch } from '../arch/load';
import { compileModel, type Compiled } from '../compile/compile';
import { writePackage } from '../compile/package';
import { simulateCompiled } from '../compile/report';
import { analyzeDependencies } from '../sim/deps';
import { programFromAsm } from '../sim/program';
import type { Analysis } from './analysis';
import { checkSegments, documentDdr } from './check';
import { planRaceFix } from './fixes';
import { FileCache, ProgramPackage, manifestBeside } from './package';
import { DocumentTiming, addMaskBitEdit, documentSegments, functionalDiagnostics, instructionTimingMarkdown, layerLenses, problemDiagnostics, simulateSegments, timingInlayHints } from './simulation';

const HEAD = '.arch ZU9\n.ddr input  reg=0 size=128\n.ddr output reg=2 size=128\n';
const LOAD = (extra: string, bank = 'VB0[0]') => `    LOAD     ${extra}bank_addr=0 bank_id=${bank} jump_write=1 jump_read=16 length=8 channel=16 reg_id=input ddr_addr=input broadcast=7 const_value=3\n`;
const SAVE = (extra: string, bank = 'VB0[0]') => `    SAVE     ${extra}bank_addr=0 bank_id=${bank} jump_read=1 jump_write=16 length=8 channel=16 reg_id=output ddr_addr=output\n`;

function analyze(text: string, dir = os.tmpdir()): Analysis {
  const program = assemble(text, { keepAst: true, resolveArch: archResolverFor(dir) });
  expect(program.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { file: path.join(dir, 'test.dnnasm'), text, index: new LineIndex(text), program };
}

function timingOf(a: Analysis): DocumentTiming {
  const segs = documentSegments(a.program, a.index);
  const r = simulateSegments(segs);
  return new DocumentTiming(segs.map((s, k) => ({ segment: s, result: r[k]! })));
}

function functional(a: Analysis, dir = os.tmpdir(), pkg?: ProgramPackage) {
  const segs = documentSegments(a.program, a.index);
  return checkSegments(segs, documentDdr(segs[0]!.program.regions, dir, new FileCache()), pkg ? { pkg } : {});
}

/** Apply non-overlapping edits to a text. */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((x, y) => y.start - x.start)) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

describe('race quick fixes', () => {
  it('adds dpdon on the later and dpdby on the earlier instruction, and the race is gone', () => {
    const a = analyze(HEAD + LOAD('') + SAVE('') + '    END\n');
    const f = functional(a);
    const d = functionalDiagnostics(a, f);
    expect(d.map((x) => [x.code, a.text.slice(x.start, x.end)])).toEqual([
      ['race', 'LOAD'],
      ['race', 'SAVE'],
    ]);
    const fix = d[0]!.fixes![0]!;
    expect(fix.title).toBe('Order them with a token: SAVE at line 5 waits for LOAD (dpdon), which LOAD at line 4 gives (dpdby=SAVE)');
    const fixed = applyEdits(a.text, fix.edits);
    expect(fixed).toBe(HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n');
    const b = analyze(fixed);
    expect(functionalDiagnostics(b, functional(b))).toEqual([]);
    expect(problemDiagnostics(b, timingOf(b).problems, 'timing')).toEqual([]);
  });

  it('inserts after a written dpdon, replaces a written mask, and keeps the other token pairs', () => {
    // SAVE@5 gives LOAD@6 a token; the race is between LOAD@6 (VB0[1]) and SAVE@7.
    const text = HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD dpdby=LOAD ') + LOAD('dpdon=SAVE ', 'VB0[1]') + SAVE('dpdon=none ', 'VB0[1]') + '    END\n';
    const a = analyze(text);
    const d = functionalDiagnostics(a, functional(a));
    expect(d.map((x) => [x.code, a.index.position(x.start).line])).toEqual([
      ['race', 5],
      ['race', 6],
    ]);
    const fixed = applyEdits(a.text, d[0]!.fixes![0]!.edits);
    expect(fixed).toBe(HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD dpdby=LOAD ') + LOAD('dpdon=SAVE dpdby=SAVE ', 'VB0[1]') + SAVE('dpdon=LOAD ', 'VB0[1]') + '    END\n');
    const b = analyze(fixed);
    expect(functionalDiagnostics(b, functional(b))).toEqual([]);
    expect(problemDiagnostics(b, timingOf(b).problems, 'timing')).toEqual([]);
    // A mask with bits already set gets the new one joined.
    const c = analyze(HEAD + '    SAVE     dpdon=CONV|MISC bank_addr=0 bank_id=VB0[0] jump_read=1 jump_write=16 length=8 channel=16 reg_id=output ddr_addr=output\n    END\n');
    const e = addMaskBitEdit(c.program.instrs[0]!, 'dpdon', 0)!;
    expect([c.text.slice(e.start, e.end), e.newText]).toEqual(['CONV|MISC', 'LOAD|CONV|MISC']);
  });

  it('moves the pairing when the earlier instruction already gives its token to a later one', () => {
    // LOAD@4 gives SAVE@7 its token (VB0[0]); SAVE@5 reads VB0[0] too, with no token: a race with LOAD@4.
    const text = HEAD + LOAD('dpdby=SAVE ') + SAVE('') + LOAD('', 'VB0[1]') + SAVE('dpdon=LOAD ') + '    END\n';
    const a = analyze(text);
    const p = programFromAsm(a.program, a.index);
    const deps = analyzeDependencies(p, { vectorClocks: true });
    expect(planRaceFix(p, deps, 0, 1)).toEqual({ onInstr: 1, onEngine: 0, byInstr: 2, byEngine: 1 });
    const d = functionalDiagnostics(a, functional(a)).find((x) => x.code === 'race')!;
    const b = analyze(applyEdits(a.text, d.fixes![0]!.edits));
    expect(b.text).toBe(HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + LOAD('dpdby=SAVE ', 'VB0[1]') + SAVE('dpdon=LOAD ') + '    END\n');
    expect(functionalDiagnostics(b, functional(b))).toEqual([]);
    expect(problemDiagnostics(b, timingOf(b).problems, 'timing')).toEqual([]);
  });

  it('offers no fix that would deadlock', () => {
    // LOAD@4 gives SAVE@7 its token; LOAD@6 waits for SAVE@7. The race LOAD@4 -> SAVE@5 could only be
    // fixed by moving SAVE@7's token to LOAD@6, which waits for SAVE@7 itself: no fix is offered.
    const text = HEAD + LOAD('dpdby=SAVE ') + SAVE('') + LOAD('dpdon=SAVE ', 'VB0[1]') + SAVE('dpdon=LOAD dpdby=LOAD ') + '    END\n';
    const a = analyze(text);
    const p = programFromAsm(a.program, a.index);
    expect(planRaceFix(p, analyzeDependencies(p, { vectorClocks: true }), 0, 1)).toBeUndefined();
    const d = functionalDiagnostics(a, functional(a));
    expect(d.map((x) => [x.code, a.index.position(x.start).line, x.fixes])).toEqual([
      ['race', 3, undefined],
      ['race', 4, undefined],
    ]);
  });
});

describe('timing of a document', () => {
  it('places deadlocks on every blocked instruction, tokens left at END on the last giver, missing INITs on the instruction', () => {
    const a = analyze(HEAD + LOAD('dpdon=SAVE dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '    END\n');
    const d = problemDiagnostics(a, timingOf(a).problems, 'timing');
    expect(d.map((x) => [x.code, a.index.position(x.start), a.text.slice(x.start, x.end), x.related?.map((r) => r.message)])).toEqual([
      ['deadlock', { line: 3, character: 19 }, 'SAVE', ['also blocked: SAVE at line 5']],
      ['deadlock', { line: 4, character: 19 }, 'LOAD', ['also blocked: LOAD at line 4']],
    ]);
    expect(d[0]!.message).toContain('LOAD at line 4 waits for a token from SAVE (SAVE->LOAD holds none; SAVE is itself blocked at line 5)');
    const u = analyze(HEAD + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + LOAD('dpdby=SAVE ', 'VB0[1]') + '    END\n');
    const du = problemDiagnostics(u, timingOf(u).problems, 'timing');
    expect(du.map((x) => [x.code, x.severity, u.index.position(x.start).line, u.text.slice(x.start, x.end)])).toEqual([['unbalanced-tokens', 'warning', 5, 'SAVE']]);
  });

  it('gives per-instruction timing, per-layer lenses and inlay hints in the range asked', () => {
    const a = analyze(HEAD + '.layer l1\n' + LOAD('dpdby=SAVE ') + SAVE('dpdon=LOAD ') + '.layer l2\n' + LOAD('dpdby=SAVE ', 'VB0[1]') + SAVE('dpdon=LOAD ', 'VB0[1]') + '    END\n');
    const dt = timingOf(a);
    const md = instructionTimingMarkdown(a, dt, 1)!;
    expect(md).toMatch(/^\*\*Timing\*\* on core 0 of 3, in throughput mode \(every core/);
    expect(md).toMatch(/- SAVE engine: cycle [\d,]+ → [\d,]+, \*\*[\d,]+ cycles\*\* \([\d.]+ ns at 330 MHz\)/);
    expect(md).toMatch(/- stalls: [\d,]+ waiting for tokens \(the last from LOAD, LOAD at line 5\)/);
    expect(md).toMatch(/- work: 128 B of DDR traffic/);
    expect(md).toMatch(/- utilization: [\d.]+ B\/cycle/);
    const lenses = layerLenses(a, dt);
    expect(lenses.map((l) => [a.index.position(l.span.start).line, l.layer])).toEqual([
      [3, 0],
      [6, 1],
    ]);
    expect(lenses[0]!.title).toMatch(/^[\d.]+ ns \([\d,]+ cycles, \+[\d,]+ to the total\) · [\d.]+ [kMGT]?OP\/s · [\d.]+% of roofline, memory-bound$/);
    const hints = timingInlayHints(a, dt, 7, 8);
    expect(hints.map((h) => a.index.position(h.offset).line)).toEqual([7, 8]);
    expect(hints[0]!.label).toMatch(/^[\d,]+ cyc/);
  });
});

describe('compiled programs', () => {
  let dir: string;
  let c: Compiled;
  let asm: string;
  beforeAll(() => {
    // cifar10_full: four DPU segments with LRN on the host between them.
    const model = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'caffe', 'cifar10_full.prototxt');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-ide-'));
    c = compileModel(model, { arch: resolveArch('ZU9') });
    writePackage(c, dir, 'cifar10_full');
    asm = path.join(dir, 'cifar10_full.dnnasm');
  });

  it('simulates every segment and adds them up as the compiler report does (in the steady state)', () => {
    const a = analyze(fs.readFileSync(asm, 'utf8'), dir);
    expect(a.program.segments.length).toBe(4);
    const segs = documentSegments(a.program, a.index);
    const r = simulateSegments(segs, { steady: true });
    const dt = new DocumentTiming(segs.map((s, k) => ({ segment: s, result: r[k]! })));
    const report = simulateCompiled(c);
    const s = dt.summary(a.program);
    expect(s.cycles).toBeCloseTo(report.cycles, 6);
    expect(s.instructions).toBe(report.instructions);
    expect(s.layers.map((l) => [l.name, l.cycles, l.rooflineFraction])).toEqual(report.layers.map((l) => [l.name, l.cycles, l.rooflineFraction]));
    expect(s.layers.every((l) => a.text.split('\n')[l.line]!.startsWith('.layer '))).toBe(true);
  });

  it('matches every golden checksum through the host steps, and finds the first layer an edit breaks', () => {
    const text = fs.readFileSync(asm, 'utf8');
    const pkg = new ProgramPackage(manifestBeside(asm)!);
    const a = analyze(text, dir);
    const ok = functional(a, dir, pkg);
    expect(ok.golden).toEqual({ manifest: 'cifar10_full.manifest.json', checked: 5, total: 5 });
    expect(ok.problems).toEqual([]);
    // A different shift_cut in the last segment's layer (after two host steps): only that layer differs.
    const lastSegment = text.lastIndexOf('.segment ');
    const at = text.indexOf('shift_cut=', lastSegment);
    const value = /shift_cut=(\d+)/.exec(text.slice(at))![1]!;
    const edited = text.slice(0, at) + `shift_cut=${Number(value) + 1}` + text.slice(at + `shift_cut=${value}`.length);
    const b = analyze(edited, dir);
    const r = functional(b, dir, pkg);
    const layer = b.program.layers.filter((l) => l.first <= b.program.instrs.findIndex((i) => i.start > at)).pop()!;
    expect(r.golden?.mismatch?.name).toBe(layer.name);
    expect(r.golden?.checked).toBe(5);
    const d = functionalDiagnostics(b, r).find((x) => x.code === 'golden-mismatch')!;
    expect(b.text.slice(d.start, d.end)).toBe(b.text.split('\n')[layer.line]!);
    expect(d.message).toMatch(new RegExp(`^functional mismatch: after layer ${layer.name.replace(/[+.]/g, '\\$&')}, its output \\S+ \\(\\d+ channels x \\d+ x \\d+, HWC in DDR\\) differs from the golden checksum in cifar10_full.manifest.json, while the 4 layers before it match\\.`));
  });
});

describe('file cache', () => {
  it('rereads a file that changed and keeps at most its byte budget, the most recently used', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cache-'));
    const f = (n: string) => path.join(dir, n);
    fs.writeFileSync(f('a'), Buffer.alloc(60, 1));
    fs.writeFileSync(f('b'), Buffer.alloc(60, 2));
    const cache = new FileCache(100);
    const a1 = cache.read(f('a'));
    expect(cache.read(f('a'))).toBe(a1);
    cache.read(f('b')); // over budget: a (least recently used) goes
    expect(cache.read(f('b'))).toBe(cache.read(f('b')));
    expect(cache.read(f('a'))).not.toBe(a1);
    fs.writeFileSync(f('a'), Buffer.alloc(61, 3));
    expect(cache.read(f('a'))[0]).toBe(3);
  });
});
