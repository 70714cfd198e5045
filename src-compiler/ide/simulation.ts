// The simulators in the editor: a document's DPU segments as SimPrograms, their timing combined into
// one view (hover, code lenses, inlay hints, the summary), and simulator problems as diagnostics with
// ranges and quick fixes.
//
// The simulators run one instruction stream up to its first END. A .dnnasm may hold several streams
// separated by `.segment` (the host runs its layers between them): each segment is simulated on its
// own, with its instructions and layers rebased to the segment, and the results are put back together
// here. Segments run one after another, so their cycles add up.
//
// Plain data in, plain data out (offsets, not LSP positions); the language server runs the simulators
// in worker threads and translates.

import type { AsmInstr, AsmProgram, Diagnostic, Fix, TextEdit } from '../asm/assemble';
import { fieldValueSpan } from '../asm/assemble';
import type { LineIndex, Span } from '../asm/ast';
import { ENGINES, maskText } from '../isa/table';
import { peakCycles } from '../sim/cost';
import { programFromAsm, type SimLayer, type SimProblem, type SimProgram } from '../sim/program';
import { instructionTiming, simulateSteadyState, simulateTiming, type InstructionTiming, type LayerTiming, type TimingOptions, type TimingResult } from '../sim/timing';
import type { Analysis } from './analysis';
import type { FunctionalCheck } from './check';
import type { HoverExtras } from './hover';

/** One DPU segment of a document, ready for the simulators. */
export interface SegmentProgram {
  readonly name: string;
  /** Index of the segment in the document (AsmProgram.segments). */
  readonly index: number;
  /** Global index of the segment's first instruction: local instruction k is document instruction first + k. */
  readonly first: number;
  /** Document layer index of each of the segment's layers. */
  readonly layerIndex: readonly number[];
  readonly program: SimProgram;
}

/** Where a document's segments are: their instruction ranges and their layers, rebased. */
export interface SegmentLayout {
  readonly name: string;
  readonly index: number;
  readonly first: number;
  readonly end: number;
  readonly layers: readonly SimLayer[];
  readonly layerIndex: readonly number[];
}

/** The segments that hold instructions. A layer belongs to the segment whose `.segment` line is the last one above its marker. */
export function segmentLayout(asm: AsmProgram): SegmentLayout[] {
  const out: SegmentLayout[] = [];
  asm.segments.forEach((s, k) => {
    if (s.end <= s.first) return;
    const nextLine = asm.segments[k + 1]?.line ?? Infinity;
    const layers: SimLayer[] = [];
    const layerIndex: number[] = [];
    asm.layers.forEach((l, li) => {
      if (l.line < s.line || l.line >= nextLine) return;
      const first = Math.max(l.first, s.first) - s.first;
      const end = Math.max(first, Math.min(l.end, s.end) - s.first);
      layers.push({ name: l.name, first, end, line: l.line + 1 });
      layerIndex.push(li);
    });
    out.push({ name: s.name, index: k, first: s.first, end: s.end, layers, layerIndex });
  });
  return out;
}

/** The document's segments that hold instructions, each as a SimProgram with its own layers. */
export function documentSegments(asm: AsmProgram, index?: LineIndex, whole: SimProgram = programFromAsm(asm, index)): SegmentProgram[] {
  return segmentLayout(asm).map((s) => ({ name: s.name, index: s.index, first: s.first, layerIndex: s.layerIndex, program: sliceProgram(whole, s.first, s.end, s.layers) }));
}

/** Instructions [first, end) of a program as a program of their own. */
export function sliceProgram(p: SimProgram, first: number, end: number, layers: readonly SimLayer[]): SimProgram {
  const instrs = p.instrs.slice(first, end);
  const endIndex = instrs.findIndex((i) => i.spec.mnemonic === 'END');
  return {
    arch: p.arch,
    instrs,
    ...(p.lines ? { lines: p.lines.subarray(first, end) } : {}),
    ...(p.cols ? { cols: p.cols.subarray(first, end) } : {}),
    wordOffsets: p.wordOffsets.subarray(first, end),
    layers,
    regions: p.regions,
    count: endIndex < 0 ? instrs.length : endIndex + 1,
    endIndex,
    batch: p.batch,
  };
}

/**
 * Timing-simulate every segment in throughput mode: every core runs one image, all starting at cycle 0
 * (as `dnnvm sim`); with `steady`, in the steady state (staggered cores, several images each, as
 * `dnnvm compile` reports), whose per-instruction times and layers are core 0's last image.
 */
export function simulateSegments(segs: readonly SegmentProgram[], options: TimingOptions & { readonly steady?: boolean } = {}): TimingResult[] {
  const { steady, ...o } = options;
  return segs.map((s) => (steady ? simulateSteadyState(s.program, o) : simulateTiming(s.program, o)));
}

/** A problem with document instruction indices (a segment's are local). */
export function globalProblem(seg: { readonly first: number }, p: SimProblem): SimProblem {
  return { ...p, instr: p.instr < 0 ? -1 : p.instr + seg.first, ...(p.related ? { related: p.related.map((r) => r + seg.first) } : {}) };
}

// ---- The timing of a document ------------------------------------------------------------------

export interface SegmentTiming {
  readonly segment: { readonly name: string; readonly index: number; readonly first: number; readonly layerIndex: readonly number[] };
  readonly result: TimingResult;
}

export interface LayerSummary {
  readonly name: string;
  /** 0-based line of the layer marker. */
  readonly line: number;
  /** How much later the program ends because of the layer; these add up to the program's cycles. */
  readonly cycles: number;
  readonly ops: number;
  /** Device ops per second over those cycles, all cores. */
  readonly opsPerSecond: number;
  /** The fewest cycles the layer's work allows over the layer's own span (first start to last end),
   * at most 1, as `dnnvm compile` and the code lens report it. */
  readonly rooflineFraction: number;
}

export interface TimingSummary {
  readonly arch: string;
  readonly cores: number;
  readonly cycles: number;
  readonly seconds: number;
  readonly fps: number;
  readonly opsPerSecond: number;
  readonly instructions: number;
  readonly status: 'complete' | 'deadlock' | 'limit';
  readonly layers: readonly LayerSummary[];
}

/** The timing of every segment of one document version, addressed by document instruction and layer. */
export class DocumentTiming {
  readonly cycles: number;
  readonly status: 'complete' | 'deadlock' | 'limit';
  readonly problems: readonly SimProblem[];
  private readonly layerAt = new Map<number, { seg: SegmentTiming; local: number }>();

  constructor(readonly segments: readonly SegmentTiming[]) {
    // Per image: one image's cycles, or the steady state's period (the same with one image per core).
    this.cycles = segments.reduce((s, x) => s + x.result.period, 0);
    this.status = segments.some((s) => s.result.status === 'deadlock') ? 'deadlock' : segments.some((s) => s.result.status === 'limit') ? 'limit' : 'complete';
    const problems: SimProblem[] = [];
    for (const s of segments) {
      for (const p of s.result.problems) problems.push(globalProblem(s.segment, p));
      s.segment.layerIndex.forEach((li, k) => this.layerAt.set(li, { seg: s, local: k }));
    }
    this.problems = problems;
  }

  /** The segment holding document instruction i. */
  segmentOf(i: number): SegmentTiming | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.segment.first <= i) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo];
    return s && i >= s.segment.first && i - s.segment.first < s.result.instructions ? s : undefined;
  }

  /** Timing of document instruction i on core 0; undefined if it is not simulated or did not run. */
  instruction(i: number): { seg: SegmentTiming; local: number; t: InstructionTiming } | undefined {
    const seg = this.segmentOf(i);
    if (!seg) return undefined;
    const local = i - seg.segment.first;
    const t = instructionTiming(seg.result, local);
    return t ? { seg, local, t } : undefined;
  }

  /** Whether document instruction i is simulated (it may still not have run). */
  simulated(i: number): boolean {
    return this.segmentOf(i) !== undefined;
  }

  layer(li: number): { seg: SegmentTiming; l: LayerTiming } | undefined {
    const at = this.layerAt.get(li);
    const l = at && at.seg.result.layers[at.local];
    return at && l ? { seg: at.seg, l } : undefined;
  }

  get frequencyHz(): number {
    return this.segments[0]?.result.frequencyHz ?? 1;
  }

  get cores(): number {
    return this.segments[0]?.result.cores ?? 1;
  }

  summary(asm: AsmProgram): TimingSummary {
    const f = this.frequencyHz;
    const cores = this.cores;
    const seconds = this.cycles / f;
    const ops = this.segments.reduce((s, x) => s + x.result.ops, 0);
    const layers: LayerSummary[] = [];
    asm.layers.forEach((al, li) => {
      const x = this.layer(li);
      if (!x) return;
      const secs = x.l.incrementalCycles / f;
      const inc = x.l.incrementalCycles;
      layers.push({ name: al.name, line: al.line, cycles: inc, ops: x.l.ops, opsPerSecond: secs > 0 ? (x.l.ops * cores) / secs : 0, rooflineFraction: x.l.cycles > 0 ? x.l.rooflineCycles / x.l.cycles : 0 });
    });
    return {
      arch: this.segments[0]?.result.arch ?? asm.arch.name,
      cores,
      cycles: this.cycles,
      seconds,
      // A run computes `.batch` images.
      fps: seconds > 0 ? (cores * (asm.batch ?? 1)) / seconds : 0,
      opsPerSecond: seconds > 0 ? (ops * cores) / seconds : 0,
      instructions: this.segments.reduce((s, x) => s + x.result.instructions, 0),
      status: this.status,
      layers,
    };
  }
}

// ---- Formatting ----------------------------------------------------------------------------------

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** 1.23 G, 456 M, 12.0 k with a unit. */
export function si(v: number, unit: string): string {
  const a = Math.abs(v);
  const [d, p] = a >= 1e12 ? [1e12, 'T'] : a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const x = v / d;
  return `${p === '' ? String(Math.round(x)) : x.toPrecision(3)} ${p}${unit}`.trimEnd();
}

/** 37.4 µs, 1.20 ms, 820 ns. */
export function duration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toPrecision(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toPrecision(3)} ms`;
  if (seconds >= 1e-6) return `${(seconds * 1e6).toPrecision(3)} µs`;
  return `${(seconds * 1e9).toPrecision(3)} ns`;
}

/** Where a document instruction is, for text: "LOAD at line 12". */
function instrText(a: Analysis, i: number): string {
  const ins = a.program.instrs[i];
  return ins ? `${ins.spec.mnemonic} at line ${ins.line + 1}` : `instruction ${i}`;
}

/** Hover text for the timing of document instruction i. */
export function instructionTimingMarkdown(a: Analysis, dt: DocumentTiming, i: number): string | undefined {
  const seg = dt.segmentOf(i);
  if (!seg) return undefined;
  const r = seg.result;
  const local = i - seg.segment.first;
  const where = `on core 0 of ${r.cores}${r.cores > 1 ? ', in throughput mode (every core runs the program on its own image)' : ''}${dt.segments.length > 1 ? `; segment ${seg.segment.name}, cycles from its start` : ''}`;
  const x = instructionTiming(r, local);
  if (!x) return `**Timing** ${where}: this instruction did not run — the simulation ended in ${r.status === 'deadlock' ? 'a deadlock (see the diagnostics)' : 'its limit'} before it.`;
  const f = r.frequencyHz;
  const lines = [`**Timing** ${where}`, ''];
  const running = x.end >= 0;
  lines.push(
    `- ${x.engine === 'END' ? 'END' : `${x.engine} engine`}: cycle ${int(x.start)} → ${running ? int(x.end) : 'never ends'}${running ? `, **${int(x.cycles)} cycles** (${duration(x.cycles / f)} at ${f / 1e6} MHz)` : ''}`,
  );
  const giver = r.times[0]!.giver[local]!;
  const stalls: string[] = [];
  if (x.stall.token > 0) stalls.push(`${int(x.stall.token)} waiting for tokens${x.stall.tokenFrom ? ` (the last from ${x.stall.tokenFrom}${giver >= 0 ? `, ${instrText(a, giver + seg.segment.first)}` : ''})` : ''}`);
  if (x.stall.engineBusy > 0) stalls.push(`${int(x.stall.engineBusy)} with its tokens there but the ${x.engine} engine still busy`);
  if (x.stall.ddrContention > 0) stalls.push(`${int(x.stall.ddrContention)} of DDR contention (longer than alone on the board)`);
  lines.push(`- stalls: ${stalls.length ? stalls.join('; ') : 'none'}`);
  const work: string[] = [];
  if (x.macs > 0) work.push(`${si(x.macs, 'MAC')} (${si(x.ops, 'OP')})`);
  else if (x.ops > 0) work.push(si(x.ops, 'OP'));
  if (x.bytes > 0) work.push(`${si(x.bytes, 'B')} of DDR traffic`);
  if (work.length) lines.push(`- work: ${work.join(', ')}`);
  const util = utilization(seg.result, local, x);
  if (util) lines.push(`- utilization: ${util}`);
  return lines.join('\n');
}

function utilization(r: TimingResult, i: number, x: InstructionTiming): string | undefined {
  if (x.end < 0 || x.cycles <= 0) return undefined;
  const arch = r.archModel;
  const dpu = arch.dpu;
  const opcode = r.graph.opcode[i]!;
  const peak = peakCycles(arch, r.costs, opcode, i);
  if (peak > 0) {
    const what =
      x.engine === 'CONV'
        ? `the MAC array (${dpu.pp}×${dpu.icp}×${dpu.ocp} MACs per cycle)`
        : `the ${x.engine} engine's peak`;
    return `${pct(peak / x.cycles)} of ${what}`;
  }
  if (x.bytes > 0) {
    const rate = x.bytes / x.cycles;
    const d = arch.derived;
    return `${rate.toFixed(1)} B/cycle (${si(rate * r.frequencyHz, 'B/s')}, latency included): ${pct(rate / d.axiBytesPerCyclePerCore)} of the core's AXI ports, ${pct(rate / d.ddrBytesPerCycle)} of the board's DDR`;
  }
  return undefined;
}

/** Hover text for the timing of document layer li. */
export function layerTimingMarkdown(dt: DocumentTiming, li: number): string | undefined {
  const x = dt.layer(li);
  if (!x) return undefined;
  const { l } = x;
  const r = x.seg.result;
  const f = r.frequencyHz;
  const lines = [
    `**Latency ${duration(l.cycles / f)}**: cycles ${int(l.startCycle)} → ${int(l.endCycle)} (${int(l.cycles)} cycles) on core 0${dt.segments.length > 1 ? ` of segment ${x.seg.segment.name}` : ''}; it adds ${int(l.incrementalCycles)} cycles to the program (the layers' shares add up to its ${int(dt.cycles)})`,
    '',
    `- ops: ${si(l.ops, 'OP')} (${si(l.macs, 'MAC')}), ${si(l.opsPerSecond, 'OP/s')} over ${r.cores} core${r.cores > 1 ? 's' : ''}; MAC array ${pct(l.utilization)} busy`,
    `- roofline: the layer's work needs at least ${int(l.rooflineCycles)} cycles (${l.bound}-bound): it runs at ${pct(l.rooflineFraction)} of its roofline`,
    `- DDR traffic: ${si(l.ddrBytes, 'B')}`,
  ];
  if (r.status !== 'complete') lines.push(`- the simulation ended in ${r.status === 'deadlock' ? 'a deadlock' : 'its limit'}: these figures cover what ran`);
  return lines.join('\n');
}

export function hoverExtras(a: Analysis, dt: DocumentTiming | undefined): HoverExtras {
  if (!dt) return {};
  return { instruction: (i) => instructionTimingMarkdown(a, dt, i), layer: (li) => layerTimingMarkdown(dt, li) };
}

export interface LayerLens {
  /** The `.layer` marker. */
  readonly span: Span;
  readonly title: string;
  readonly layer: number;
}

/** One code lens per layer marker with its latency. */
export function layerLenses(a: Analysis, dt: DocumentTiming): LayerLens[] {
  const out: LayerLens[] = [];
  a.program.layers.forEach((al, li) => {
    const x = dt.layer(li);
    if (!x) return;
    const { l } = x;
    const f = x.seg.result.frequencyHz;
    const title =
      l.end <= l.first
        ? 'no instructions'
        : `${duration(l.cycles / f)} (${int(l.cycles)} cycles, +${int(l.incrementalCycles)} to the total) · ${si(l.opsPerSecond, 'OP/s')} · ${pct(l.rooflineFraction)} of roofline, ${l.bound}-bound`;
    out.push({ span: al.span, title, layer: li });
  });
  return out;
}

export interface TimingHint {
  /** Where the hint goes: the end of the instruction. */
  readonly offset: number;
  readonly label: string;
  readonly tooltip: string;
}

/** A cycles hint after every simulated instruction on lines [startLine, endLine]. */
export function timingInlayHints(a: Analysis, dt: DocumentTiming, startLine: number, endLine: number): TimingHint[] {
  const out: TimingHint[] = [];
  const instrs = a.program.instrs;
  // Instructions are in line order: find the first on or after startLine.
  let lo = 0;
  let hi = instrs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (instrs[mid]!.line < startLine) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < instrs.length && instrs[i]!.line <= endLine; i++) {
    if (!dt.simulated(i)) continue;
    const ins = instrs[i]!;
    const x = dt.instruction(i);
    if (!x) {
      out.push({ offset: ins.end, label: 'did not run', tooltip: 'The simulation stopped before this instruction (deadlock or limit): see the diagnostics.' });
      continue;
    }
    const { t } = x;
    if (t.end < 0) {
      out.push({ offset: ins.end, label: `@${int(t.start)}, never ends`, tooltip: 'Started, but the simulation stopped before it ended.' });
      continue;
    }
    const stall = t.stall.token + t.stall.engineBusy;
    out.push({
      offset: ins.end,
      label: `${int(t.cycles)} cyc${stall > 0 ? `, waited ${int(stall)}` : ''}`,
      tooltip: `${t.engine}: cycle ${int(t.start)} → ${int(t.end)} on core 0; ${int(t.stall.token)} cycles waiting for tokens, ${int(t.stall.engineBusy)} for the engine, ${int(t.stall.ddrContention)} of DDR contention`,
    });
  }
  return out;
}

// ---- Problems as diagnostics ----------------------------------------------------------------------

export interface RelatedSpan extends Span {
  readonly message: string;
}

/** A diagnostic from a simulator: where, what, and the other places involved. */
export interface SimDiagnostic extends Diagnostic {
  /** 'dnnvm timing', 'dnnvm functional'. */
  readonly source: string;
  readonly related?: readonly RelatedSpan[];
}

export const TIMING_SOURCE = 'dnnvm timing';
export const FUNCTIONAL_SOURCE = 'dnnvm functional';

/** The mnemonic of an instruction (its whole text without the AST). */
export function mnemonicSpan(ins: AsmInstr): Span {
  const m = ins.node?.mnemonic;
  return m ? { start: ins.lineStart + m.start, end: ins.lineStart + m.end } : { start: ins.start, end: ins.end };
}

function fieldOrMnemonic(ins: AsmInstr, field: string): Span {
  return fieldValueSpan(ins, field) ?? mnemonicSpan(ins);
}

/** The first line of the document, for problems of the program as a whole. */
export function programSpan(a: Analysis): Span {
  const nl = a.text.indexOf('\n');
  return { start: 0, end: Math.max(1, nl < 0 ? Math.min(a.text.length, 200) : nl) };
}

/** Where a problem is shown: the field the problem is about, else the instruction's mnemonic. */
function problemSpan(ins: AsmInstr, code: string, message: string): Span {
  switch (code) {
    case 'deadlock':
      return fieldOrMnemonic(ins, 'dpdon');
    case 'unbalanced-tokens':
      return fieldOrMnemonic(ins, 'dpdby');
    case 'ddr-region':
      return fieldOrMnemonic(ins, 'ddr_addr');
    case 'uninitialized':
      return message.includes(' of DDR region ') ? fieldOrMnemonic(ins, 'ddr_addr') : mnemonicSpan(ins);
    default:
      return mnemonicSpan(ins);
  }
}

/** A quick fix for a race: `dpdon` bit `on` on instruction `onInstr`, `dpdby` bit `by` on `byInstr` (document indices). */
export interface RaceFixPlan {
  readonly onInstr: number;
  readonly onEngine: number;
  readonly byInstr: number;
  readonly byEngine: number;
}

/**
 * Diagnostics for simulator problems (document instruction indices). Problems that involve several
 * instructions (a deadlock's blocked instructions, both sides of a race) are reported on each of them,
 * pointing at the others. `raceFixes` (by "x:y") carry the quick fix of a race.
 */
export function problemDiagnostics(a: Analysis, problems: readonly SimProblem[], source: string, raceFixes: ReadonlyMap<string, RaceFixPlan> = new Map()): SimDiagnostic[] {
  const out: SimDiagnostic[] = [];
  const instrs = a.program.instrs;
  for (const p of problems) {
    const main = instrs[p.instr];
    if (!main) {
      out.push({ severity: p.severity, code: p.code, message: p.message, source, ...programSpan(a) });
      continue;
    }
    const involved = [p.instr, ...(p.related ?? [])].filter((i) => instrs[i]);
    let fixes: Fix[] | undefined;
    if ((p.code === 'race' || p.code === 'order') && p.related?.length === 1) {
      const plan = raceFixes.get(`${p.related[0]}:${p.instr}`);
      const fix = plan && raceFix(a, plan);
      if (fix) fixes = [fix];
    }
    for (const i of involved) {
      const ins = instrs[i]!;
      const others = involved.filter((j) => j !== i);
      const role = p.code === 'deadlock' ? 'also blocked' : p.code === 'race' || p.code === 'order' ? 'the other side' : 'involved';
      out.push({
        severity: p.severity,
        code: p.code,
        message: p.message,
        source,
        ...problemSpan(ins, p.code, p.message),
        ...(others.length ? { related: others.map((j) => ({ ...mnemonicSpan(instrs[j]!), message: `${role}: ${instrText(a, j)}` })) } : {}),
        ...(fixes ? { fixes } : {}),
      });
    }
  }
  out.sort((x, y) => x.start - y.start || x.end - y.end);
  return out;
}

/** The edit that adds engine bit `engine` to mask field `field` of an instruction. */
export function addMaskBitEdit(ins: AsmInstr, field: 'dpdon' | 'dpdby', engine: number): TextEdit | undefined {
  const node = ins.node;
  if (!node) return undefined;
  const fi = ins.spec.fieldIndex[field]!;
  const value = ins.values[fi]! | (1 << engine);
  const text = maskText(value);
  const written = node.fields.find((f) => f.name.text === field);
  if (written) return { start: ins.lineStart + written.value.start, end: ins.lineStart + written.value.end, newText: text };
  // Canonical order: dpdon, then dpdby, then the rest.
  const on = node.fields.find((f) => f.name.text === 'dpdon');
  if (field === 'dpdby' && on) return { start: ins.lineStart + on.value.end, end: ins.lineStart + on.value.end, newText: ` dpdby=${text}` };
  const firstField = node.fields[0];
  if (firstField) return { start: ins.lineStart + firstField.name.start, end: ins.lineStart + firstField.name.start, newText: `${field}=${text} ` };
  return { start: ins.lineStart + node.mnemonic.end, end: ins.lineStart + node.mnemonic.end, newText: ` ${field}=${text}` };
}

function raceFix(a: Analysis, plan: RaceFixPlan): Fix | undefined {
  const on = a.program.instrs[plan.onInstr];
  const by = a.program.instrs[plan.byInstr];
  if (!on || !by) return undefined;
  const e1 = addMaskBitEdit(on, 'dpdon', plan.onEngine);
  const e2 = addMaskBitEdit(by, 'dpdby', plan.byEngine);
  if (!e1 || !e2) return undefined;
  // Both edits are on the original text (LSP applies them together); the earlier instruction's first.
  const edits = [e2, e1].sort((x, y) => x.start - y.start);
  return {
    title: `Order them with a token: ${instrText(a, plan.onInstr)} waits for ${ENGINES[plan.onEngine]} (dpdon), which ${instrText(a, plan.byInstr)} gives (dpdby=${ENGINES[plan.byEngine]})`,
    edits,
  };
}

/** Diagnostics of a functional check: its problems, the golden comparison, where it stopped. */
export function functionalDiagnostics(a: Analysis, r: FunctionalCheck & { readonly packageNote?: string }, source = FUNCTIONAL_SOURCE): SimDiagnostic[] {
  const out = problemDiagnostics(a, r.problems, source, new Map(r.raceFixes));
  const g = r.golden;
  if (g?.mismatch) {
    const l = a.program.layers[g.mismatch.layer];
    const [c, h, w] = g.mismatch.shape;
    if (l)
      out.push({
        severity: 'error',
        code: 'golden-mismatch',
        source,
        start: l.span.start,
        end: l.span.end,
        message:
          `functional mismatch: after layer ${l.name}, its output ${g.mismatch.tensor} (${c} channels x ${h} x ${w}, HWC in DDR) differs from the golden checksum in ${g.manifest}` +
          `${g.checked > 1 ? `, while the ${g.checked - 1} layer${g.checked - 1 === 1 ? '' : 's'} before it match` : ''}. ` +
          'The instructions of this layer (or the data they read) no longer compute what the compiled model does: compare them with the compiled program, or validate this file (DNNVM: Validate) to see which bytes differ',
      });
  }
  if (g?.note) out.push({ severity: 'info', code: 'golden-partial', source, message: `golden checksums: ${g.checked} of ${g.total} layers compared; ${g.note}`, ...programSpan(a) });
  if (r.packageNote) out.push({ severity: 'info', code: 'package', source, message: r.packageNote, ...programSpan(a) });
  if (r.stoppedAt !== undefined) {
    const ins = a.program.instrs[r.stoppedAt];
    out.push({
      severity: 'warning',
      code: 'limit',
      source,
      message: `the functional check stopped at its time limit before ${ins ? instrText(a, r.stoppedAt) : 'the end'}: races, memory accesses${g ? ' and golden checksums' : ''} are checked only up to there (dnnvm run checks the whole program)`,
      ...(ins ? mnemonicSpan(ins) : programSpan(a)),
    });
  }
  out.sort((x, y) => x.start - y.start || x.end - y.end);
  return out;
}
