// The assembler: .dnnasm text -> checked instructions (with their source ranges) -> binary words.
//
// One pass over the lines as the parser produces them; instructions whose values name a symbol that
// is defined further down (a label, an .equ, a .ddr region) wait in a list and are finished after the
// last line. Every problem becomes a diagnostic with a range, a code and a message that says what to
// do; nothing throws on bad input.

import { checkValue, encodeProgram, type Instr } from '../isa/encoding';
import { ENGINES, INSTRUCTIONS, specByMnemonic, type FieldSpec, type InstrSpec } from '../isa/table';
import type { Arch } from '../arch/model';
import { bankGroupByName } from '../arch/model';
import { boardByName, DEFAULT_ARCH_NAME } from '../arch/presets';
import type { DirectiveNode, Ident, InstructionNode, LineBody, LineNode, Span, ValueNode } from './ast';
import { parseLines } from './parser';
import { checkInstrAgainstArch } from './checks';
import { limitHint, limits } from '../util/limits';
import { DIRECTIVE_LIST, MAX_BATCH, directiveSpec } from './directives';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic extends Span {
  readonly severity: Severity;
  /** Stable identifier of the kind of problem (for code actions, docs and tests). */
  readonly code: string;
  readonly message: string;
  /** Edits that would fix the problem, for the editor's quick fixes. */
  readonly fixes?: readonly Fix[];
}

export interface TextEdit extends Span {
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
}

export interface AsmInstr extends Instr {
  /** 0-based source line. */
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** Index into AsmProgram.layers, or -1 before the first layer marker. */
  readonly layer: number;
  /** Word offset of the instruction in the binary. */
  word: number;
  /** Absolute offset of the instruction's line: offsets inside `node` are relative to it. */
  readonly lineStart: number;
  /** The instruction's syntax tree (kept only with keepAst). */
  readonly node: InstructionNode | undefined;
}

/** Absolute source range of the value of field `name` of `instr`, if it was written (needs keepAst). */
export function fieldValueSpan(instr: AsmInstr, name: string): Span | undefined {
  const f = instr.node?.fields.find((x) => x.name.text === name);
  return f ? { start: f.value.start + instr.lineStart, end: f.value.end + instr.lineStart } : undefined;
}

export interface AsmLayer {
  readonly name: string;
  readonly nodes: string[];
  readonly group?: string;
  readonly groupSpan?: Span;
  /** Instructions [first, end) belong to the layer. */
  readonly first: number;
  end: number;
  readonly line: number;
  readonly nameSpan: Span;
  readonly span: Span;
}

/** An instruction stream ending in END; a program has one, or several separated by `.segment` (the
 * host runs work between them, as with a model whose CPU layers sit between DPU layers). */
export interface AsmSegment {
  readonly name: string;
  /** Instructions [first, end). */
  readonly first: number;
  end: number;
  /** 0-based line of the `.segment` directive (-1 for the implicit first segment). */
  readonly line: number;
}

export interface AsmRegion {
  readonly name: string;
  readonly reg: number;
  readonly offset: number;
  readonly size: number;
  /** Initial contents, a path relative to the assembly file. */
  readonly file?: string;
  readonly line: number;
  readonly nameSpan: Span;
}

export type SymbolKind = 'label' | 'equ' | 'region' | 'layer';

export interface AsmSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  /** A label's instruction index, an .equ's value, a region's offset, a layer's index. */
  readonly value: number;
  /** A region's base register. */
  readonly reg?: number;
  readonly line: number;
  readonly nameSpan: Span;
}

export interface SymbolRef extends Span {
  readonly name: string;
  readonly kind: SymbolKind;
}

export interface AsmProgram {
  readonly arch: Arch;
  /** Images each run computes (`.batch N`); absent means 1. */
  readonly batch?: number;
  /** The `.arch` directive's reference as written, if any. */
  readonly archRef?: { readonly text: string; readonly span: Span };
  readonly instrs: AsmInstr[];
  /** At least one; the first is implicit unless the program starts with `.segment`. */
  readonly segments: AsmSegment[];
  readonly layers: AsmLayer[];
  readonly regions: AsmRegion[];
  readonly symbols: Map<string, AsmSymbol>;
  /** Every use of a label, .equ, region or layer name (kept only with keepAst). */
  readonly refs: SymbolRef[];
  readonly diagnostics: Diagnostic[];
  /** The parsed lines (kept only with keepAst). */
  readonly lines?: LineNode[];
  /** The binary, when there are no errors. */
  readonly words?: Uint32Array;
}

export interface AssembleOptions {
  /** Use this architecture whatever the file says (a `.arch` that differs gets a warning). */
  readonly arch?: Arch;
  /** Resolve the argument of `.arch` (a preset name, or a file path when quoted); throw a UserError if unknown. */
  readonly resolveArch?: (ref: string, quoted: boolean) => Arch;
  /** Keep the AST, field ranges and symbol references (the language server needs them). */
  readonly keepAst?: boolean;
  /** Parsed line bodies by line text, reused across calls (the language server keeps one per document). */
  readonly lineCache?: Map<string, LineBody>;
  /** Checked instructions by syntax tree, reused while the architecture and the symbols they read are unchanged. */
  readonly instrCache?: WeakMap<InstructionNode, InstrMemo>;
}

/**
 * What checking one instruction produced, independent of where it stands: diagnostics and symbol
 * references relative to its line, and the symbols it read (name and what they meant), so that it
 * can be reused as long as they mean the same.
 */
export interface InstrMemo {
  readonly arch: Arch;
  readonly deps: readonly (readonly [string, string])[];
  readonly spec: InstrSpec | undefined;
  readonly values: number[];
  readonly diags: readonly Diagnostic[];
  readonly refs: readonly SymbolRef[];
}

function symbolSignature(s: AsmSymbol | undefined): string {
  return s ? `${s.kind}:${s.value}:${s.reg ?? ''}` : '';
}

const END_SPEC = specByMnemonic('END')!;
const ENGINE_BITS = new Map<string, number>(ENGINES.map((e, i) => [e, 1 << i]));
const DDR_ADDR_LIMIT = 2 ** 29;
const REGION_KEYS = directiveSpec('ddr')!.keys;
const LAYER_KEYS = directiveSpec('layer')!.keys;

class Deferred {
  constructor(readonly name: string) {}
}

export function assemble(text: string, options: AssembleOptions = {}): AsmProgram {
  return new Assembler(text, options).run();
}

class Assembler {
  private arch: Arch;
  private archFixed = false;
  private archRef?: { text: string; span: Span };
  /** `.batch N`: images per run. */
  private batch?: { value: number; span: Span };
  private readonly instrs: AsmInstr[] = [];
  private readonly layers: AsmLayer[] = [];
  private readonly regions: AsmRegion[] = [];
  private readonly symbols = new Map<string, AsmSymbol>();
  private readonly refs: SymbolRef[] = [];
  private readonly diags: Diagnostic[] = [];
  private readonly lines: LineNode[] = [];
  private readonly pending: { index: number; node: InstructionNode; base: number }[] = [];
  /** Absolute offset of the line being assembled: AST offsets are relative to it. */
  private base = 0;
  /** While an instruction is checked: where its diagnostics, references and symbol reads go. */
  private sink: { diags: Diagnostic[]; refs: SymbolRef[]; deps: [string, string][] } | undefined;
  private final = false;
  private endSeen = -1;
  /** Instructions past the instruction limit were dropped (reported once). */
  private overLimit = false;
  private readonly segments: AsmSegment[] = [{ name: 'main', first: 0, end: 0, line: -1 }];

  constructor(
    private readonly text: string,
    private readonly opts: AssembleOptions,
  ) {
    this.arch = opts.arch ?? boardByName(DEFAULT_ARCH_NAME)!;
  }

  run(): AsmProgram {
    parseLines(this.text, (l) => this.line(l), {}, this.opts.lineCache);
    this.final = true;
    for (const p of this.pending) {
      this.base = p.base;
      const held = this.instrs[p.index]!;
      this.instrs[p.index] = this.instruction(p.node, held.line, held.layer) ?? held;
    }
    let word = 0;
    for (const i of this.instrs) {
      i.word = word;
      word += i.spec.words;
    }
    this.closeSegment();
    this.diags.sort((a, b) => a.start - b.start || a.end - b.end);
    const ok = !this.diags.some((d) => d.severity === 'error');
    return {
      arch: this.arch,
      ...(this.archRef ? { archRef: this.archRef } : {}),
      ...(this.batch ? { batch: this.batch.value } : {}),
      instrs: this.instrs,
      segments: this.segments,
      layers: this.layers,
      regions: this.regions,
      symbols: this.symbols,
      refs: this.refs,
      diagnostics: this.diags,
      ...(this.opts.keepAst ? { lines: this.lines } : {}),
      ...(ok ? { words: encodeProgram(this.instrs) } : {}),
    };
  }

  /** Report a problem at `span`, given relative to the current line (this.base), like the fixes' edits. */
  private diag(severity: Severity, code: string, span: Span, message: string, fixes?: Fix[]): void {
    if (this.sink) {
      this.sink.diags.push({ severity, code, message, start: span.start, end: Math.max(span.end, span.start + 1), ...(fixes ? { fixes } : {}) });
      return;
    }
    this.diags.push(shift({ severity, code, message, start: span.start, end: Math.max(span.end, span.start + 1), ...(fixes ? { fixes } : {}) }, this.base));
  }

  /** An AST identifier made absolute. */
  private abs<T extends Span>(x: T): T {
    return { ...x, start: x.start + this.base, end: x.end + this.base };
  }

  private line(l: LineNode): void {
    if (this.opts.keepAst) this.lines.push(l);
    this.base = l.start;
    const { label, statement: s, errors } = l.body;
    for (const e of errors) this.diag('error', 'syntax', e, e.message);
    if (label) this.define({ name: label.text, kind: 'label', value: this.instrs.length, line: l.line, nameSpan: this.abs(label) });
    if (!s) return;
    if (s.kind === 'directive') this.directive(s, l.line);
    else {
      const layer = this.layers.length - 1;
      const index = this.instrs.length;
      if (index >= limits().instructions) {
        // Past the limit nothing more is kept: a huge file must not take all the memory.
        if (!this.overLimit) this.diag('error', 'limit', s, `the program has more than ${limits().instructions} instructions, the limit; the rest is not assembled; ${limitHint('instructions')}`);
        this.overLimit = true;
        return;
      }
      this.archFixed = true;
      let instr: AsmInstr | undefined;
      try {
        instr = this.instruction(s, l.line, layer);
      } catch (e) {
        if (!(e instanceof Deferred)) throw e;
        // Finished after the last line; hold its place with a provisional END.
        this.pending.push({ index, node: s, base: this.base });
        instr = { spec: END_SPEC, values: [0, 0], line: l.line, start: s.start + this.base, end: s.end + this.base, layer, word: 0, lineStart: this.base, node: undefined };
      }
      if (!instr) return;
      this.instrs.push(instr);
      if (instr.spec.mnemonic === 'END') {
        if (this.endSeen < 0) this.endSeen = index;
      } else if (this.endSeen >= 0 && this.endSeen === index - 1)
        this.diag('warning', 'after-end', s, 'instructions after END never run: move END to the end of the program');
      if (layer >= 0) this.layers[layer]!.end = index + 1;
    }
  }

  /** Ends the current segment: it must end with END. */
  private closeSegment(): void {
    const seg = this.segments[this.segments.length - 1]!;
    seg.end = this.instrs.length;
    if (seg.end > seg.first && this.endSeen < 0) {
      const last = this.instrs[seg.end - 1]!;
      const base = this.base;
      this.base = 0;
      const eol = this.text.indexOf('\n', last.end);
      const at = eol < 0 ? this.text.length : eol;
      const what = this.segments.length > 1 ? `segment ${seg.name} has` : 'the program has';
      this.diag('warning', 'no-end', last, `${what} no END; the DPU would run past the last instruction: add END`, [{ title: 'Insert END', edits: [{ start: at, end: at, newText: '\n    END' }] }]);
      this.base = base;
    }
  }

  private segmentDirective(d: DirectiveNode, line: number): void {
    const v = d.args[0]?.values[0];
    if (d.args.length !== 1 || d.args[0]!.key || !v || (v.kind !== 'symbol' && v.kind !== 'string')) {
      this.diag('error', 'directive', d, '.segment takes one name: .segment conv_part2');
      return;
    }
    const name = v.kind === 'symbol' ? v.name : v.value;
    const cur = this.segments[this.segments.length - 1]!;
    if (this.instrs.length === cur.first && cur.line < 0 && this.segments.length === 1) {
      // The program starts with .segment: it names the first segment.
      this.segments[0] = { name, first: 0, end: 0, line };
      return;
    }
    if (this.segments.some((s) => s.name === name)) this.diag('error', 'duplicate-symbol', v, `segment '${name}' is already defined: segment names are unique`);
    this.closeSegment();
    this.segments.push({ name, first: this.instrs.length, end: this.instrs.length, line });
    this.endSeen = -1;
  }

  /** A symbol, recording that the instruction being checked depends on what it means. */
  private lookup(name: string): AsmSymbol | undefined {
    const sym = this.symbols.get(name);
    this.sink?.deps.push([name, symbolSignature(sym)]);
    return sym;
  }

  private define(sym: AsmSymbol): boolean {
    const prev = this.symbols.get(sym.name);
    if (prev) {
      const base = this.base;
      this.base = 0;
      this.diag('error', 'duplicate-symbol', sym.nameSpan, `'${sym.name}' is already defined as a ${prev.kind}: use another name`);
      this.base = base;
      return false;
    }
    this.symbols.set(sym.name, sym);
    return true;
  }

  // ---- Instructions ---------------------------------------------------------------------------------

  /** The checked instruction, or undefined for an unknown mnemonic (reported, and left out of the program).
   * Throws Deferred when it names a symbol defined further down (it is checked again after the last line). */
  private instruction(node: InstructionNode, line: number, layer: number): AsmInstr | undefined {
    const cache = this.opts.instrCache;
    const base = this.base;
    if (!cache) {
      // One-shot assembly (the command line): report directly, without building a memo.
      const mark = this.diags.length;
      const refMark = this.refs.length;
      let r: Instr | undefined;
      try {
        r = this.checkInto(node);
      } catch (e) {
        // Deferred: this attempt's reports are dropped; the instruction is checked again at the end.
        this.diags.length = mark;
        this.refs.length = refMark;
        throw e;
      }
      if (!r) return undefined;
      return { spec: r.spec, values: r.values, line, start: node.start + base, end: node.end + base, layer, word: 0, lineStart: base, node: this.opts.keepAst ? node : undefined };
    }
    let memo = cache.get(node);
    if (!memo || memo.arch !== this.arch || !memo.deps.every(([n, sig]) => symbolSignature(this.symbols.get(n)) === sig)) {
      memo = this.check(node);
      cache.set(node, memo);
    }
    for (const d of memo.diags) this.diags.push(shift(d, base));
    if (this.opts.keepAst) for (const r of memo.refs) this.refs.push({ ...r, start: r.start + base, end: r.end + base });
    if (!memo.spec) return undefined;
    return { spec: memo.spec, values: memo.values, line, start: node.start + base, end: node.end + base, layer, word: 0, lineStart: base, node: this.opts.keepAst ? node : undefined };
  }

  /** Check one instruction against the ISA table, the architecture and the symbols defined so far. */
  private check(node: InstructionNode): InstrMemo {
    const sink = { diags: [] as Diagnostic[], refs: [] as SymbolRef[], deps: [] as [string, string][] };
    this.sink = sink;
    try {
      const r = this.checkInto(node);
      return { arch: this.arch, deps: sink.deps, spec: r?.spec, values: r?.values ?? [], diags: sink.diags, refs: sink.refs };
    } finally {
      this.sink = undefined;
    }
  }

  private checkInto(node: InstructionNode): Instr | undefined {
    const spec = specByMnemonic(node.mnemonic.text);
    if (!spec) {
      const hint = suggest(node.mnemonic.text.toUpperCase(), INSTRUCTIONS.map((x) => x.mnemonic));
      this.diag(
        'error',
        'unknown-mnemonic',
        node.mnemonic,
        `unknown instruction '${node.mnemonic.text}'${hint ? `: did you mean ${hint}?` : ''} (instructions: ${INSTRUCTIONS.map((x) => x.mnemonic).join(', ')})`,
        hint ? replaceFix(`Change to ${hint}`, node.mnemonic, hint) : undefined,
      );
      return undefined;
    }
    const n = spec.fields.length;
    // Keep `new Array(n)`: these arrays (one per instruction) outlive the run, and V8 learns that
    // at this allocation site and allocates them in the old generation directly. Grown by push or
    // copied by slice they have no such site, and the scavenger's time on the 100,000-instruction
    // benchmark tripled (measured).
    const values = new Array<number>(n).fill(0);
    // Fields given so far, one bit per field (no instruction has more than 31 fields).
    let given = 0;
    const fieldSpecs = spec.fields;
    // Where the search for the next field's name starts (see below).
    let next = 0;
    for (const f of node.fields) {
      const name = f.name.text;
      // Compiled programs write fields in table order (leaving out defaults), so the name is almost
      // always one of the next few in the table: comparing those is cheaper than the keyed lookup,
      // which must hash the freshly sliced name and probe the string table on every field.
      let i: number | undefined;
      for (let j = next; j < n; j++)
        if (fieldSpecs[j]!.name === name) {
          i = j;
          break;
        }
      if (i === undefined) i = spec.fieldIndex[name];
      else next = i + 1;
      if (i === undefined) {
        const hint = suggest(f.name.text, spec.fields.map((x) => x.name));
        this.diag(
          'error',
          'unknown-field',
          f.name,
          `${spec.mnemonic} has no field '${f.name.text}'${hint ? `: did you mean ${hint}?` : ''} (fields: ${spec.fields.map((x) => x.name).join(', ')})`,
          hint ? replaceFix(`Change to ${hint}`, f.name, hint) : undefined,
        );
        continue;
      }
      if (given & (1 << i)) {
        this.diag('error', 'duplicate-field', f.name, `field '${f.name.text}' is given twice in this ${spec.mnemonic}: keep one`);
        continue;
      }
      given |= 1 << i;
      const fs = spec.fields[i]!;
      const v = this.evalField(f.value, fs);
      if (v === undefined) {
        values[i] = fs.default ?? fs.min;
        continue;
      }
      const why = checkValue(fs, v);
      if (why) {
        const clamped = fs.values ? undefined : Math.min(fs.max, Math.max(fs.min, v));
        this.diag('error', 'range', f.value, `${why} (${fieldDesc(fs)})`, clamped !== undefined ? replaceFix(`Clamp ${fs.name} to ${clamped}`, f.value, String(clamped)) : undefined);
        values[i] = fs.default ?? fs.min;
      } else values[i] = v;
    }
    let missing: string[] | undefined;
    for (let i = 0; i < n; i++) {
      if (given & (1 << i)) continue;
      const fs = spec.fields[i]!;
      if (fs.default !== undefined) values[i] = fs.default;
      else {
        (missing ??= []).push(fs.name);
        values[i] = fs.min;
      }
    }
    const instr: Instr = { spec, values };
    if (missing) {
      const end = node.end;
      this.diag('error', 'missing-field', node.mnemonic, `${spec.mnemonic} lacks ${missing.join(', ')}: every field without a default must be given`, [
        { title: `Add ${missing.join(', ')} (with their smallest legal values)`, edits: [{ start: end, end, newText: missing.map((m) => ` ${m}=${spec.fields[spec.fieldIndex[m]!]!.min}`).join('') }] },
      ]);
      return instr;
    }
    for (const p of checkInstrAgainstArch(instr, this.arch)) {
      const span = (p.field >= 0 && this.fieldSpan(node, spec, p.field)) || node.mnemonic;
      this.diag('error', p.code, span, p.message);
    }
    return instr;
  }

  private fieldSpan(node: InstructionNode, spec: InstrSpec, i: number): Span | undefined {
    const name = spec.fields[i]!.name;
    return node.fields.find((f) => f.name.text === name)?.value;
  }

  /** Value of a field, or undefined after reporting why it has none. Throws Deferred for a forward symbol. */
  private evalField(node: ValueNode, fs: FieldSpec): number | undefined {
    if (node.kind === 'number') return node.value;
    switch (fs.kind) {
      case 'mask':
        return this.evalMask(node, fs);
      case 'enum':
        if (node.kind === 'symbol' && !this.lookup(node.name)) {
          const code = fs.values![node.name.toLowerCase()];
          if (code !== undefined) return code;
          if (!this.final) throw new Deferred(node.name);
          this.diag('error', 'symbol', node, `'${node.name}' is not a ${fs.name} value: use one of ${Object.keys(fs.values!).join(', ')}`);
          return undefined;
        }
        return this.evalExpr(node, fs);
      case 'bank':
        return this.evalBank(node, fs);
      default:
        return this.evalExpr(node, fs);
    }
  }

  private evalMask(node: ValueNode, fs: FieldSpec): number | undefined {
    if (node.kind === 'binary' && node.op === '|') {
      const a = this.evalMask(node.left, fs);
      const b = this.evalMask(node.right, fs);
      return a === undefined || b === undefined ? undefined : a | b;
    }
    if (node.kind === 'symbol') {
      const u = node.name.toUpperCase();
      if (u === 'NONE') return 0;
      const bit = ENGINE_BITS.get(u);
      if (bit !== undefined) return bit;
      if (!this.lookup(node.name)) {
        if (!this.final) throw new Deferred(node.name);
        this.diag('error', 'symbol', node, `'${node.name}' is not an engine: ${fs.name} is a mask of LOAD, SAVE, CONV, MISC joined by | (or none)`);
        return undefined;
      }
    }
    return this.evalExpr(node, fs);
  }

  private evalBank(node: ValueNode, fs: FieldSpec): number | undefined {
    const groupNames = () => this.arch.bankGroups.map((g) => g.name).join(', ');
    if (node.kind === 'index' || (node.kind === 'symbol' && bankGroupByName(this.arch, node.name) && !this.lookup(node.name))) {
      const base = node.kind === 'index' ? node.base : { text: (node as { name: string }).name, start: node.start, end: node.end };
      const g = bankGroupByName(this.arch, base.text);
      if (!g) {
        if (node.kind === 'symbol') return this.evalExpr(node, fs);
        this.diag('error', 'bank', base, `${this.arch.name} has no bank group '${base.text}' (it has ${groupNames()})`);
        return undefined;
      }
      if (node.kind === 'symbol') return g.baseId;
      const k = this.evalExpr(node.index, null);
      if (k === undefined) return undefined;
      if (k < 0 || k >= g.count) {
        this.diag('error', 'bank', node.index, `${g.name} has banks 0..${g.count - 1} on ${this.arch.name}; ${k} is out of range`);
        return undefined;
      }
      return g.baseId + k;
    }
    if (node.kind === 'symbol' && !this.lookup(node.name) && this.final) {
      this.diag('error', 'bank', node, `'${node.name}' is not a bank group of ${this.arch.name} (it has ${groupNames()}); write e.g. ${this.arch.bankGroups[0]!.name}[0]`);
      return undefined;
    }
    return this.evalExpr(node, fs);
  }

  /** Arithmetic over numbers and symbols (labels, .equ, and in reg_id/ddr_addr, DDR regions). */
  private evalExpr(node: ValueNode, fs: FieldSpec | null): number | undefined {
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'neg': {
        const v = this.evalExpr(node.operand, fs);
        return v === undefined ? undefined : -v;
      }
      case 'binary': {
        if (node.op === '|') {
          this.diag('error', 'syntax', node, `'|' joins engines in dpdon/dpdby only${fs ? `; ${fs.name} takes a number` : ''}`);
          return undefined;
        }
        const a = this.evalExpr(node.left, fs);
        const b = this.evalExpr(node.right, fs);
        if (a === undefined || b === undefined) return undefined;
        return node.op === '+' ? a + b : node.op === '-' ? a - b : a * b;
      }
      case 'string':
        this.diag('error', 'syntax', node, `a string is not a value here${fs ? `: ${fs.name} takes a number` : ''}`);
        return undefined;
      case 'index':
        this.diag('error', 'syntax', node, `'${node.base.text}[...]' names a bank; ${fs ? `${fs.name} is not a bank field` : 'not allowed here'}`);
        return undefined;
      case 'symbol': {
        const sym = this.lookup(node.name);
        if (!sym) {
          if (!this.final) throw new Deferred(node.name);
          const hint = suggest(node.name, [...this.symbols.keys()]);
          this.diag('error', 'symbol', node, `'${node.name}' is not defined${hint ? `: did you mean ${hint}?` : ''} (define it with .equ, a label, or a .ddr region)`, hint ? replaceFix(`Change to ${hint}`, node, hint) : undefined);
          return undefined;
        }
        if (this.sink) this.sink.refs.push({ name: node.name, kind: sym.kind, start: node.start, end: node.end });
        else if (this.opts.keepAst) this.refs.push({ name: node.name, kind: sym.kind, start: node.start + this.base, end: node.end + this.base });
        if (sym.kind === 'region') {
          const r = this.regions.find((x) => x.name === node.name)!;
          if (fs?.kind === 'reg') return r.reg;
          if (fs?.kind === 'ddr') return r.offset;
          this.diag('error', 'symbol', node, `'${node.name}' is a DDR region: use it in reg_id (its register) or ddr_addr (its offset)`);
          return undefined;
        }
        if (sym.kind === 'layer') {
          this.diag('error', 'symbol', node, `'${node.name}' is a layer, not a value`);
          return undefined;
        }
        return sym.value;
      }
    }
  }

  // ---- Directives -----------------------------------------------------------------------------------

  private directive(d: DirectiveNode, line: number): void {
    switch (d.name.text) {
      case 'arch':
        return this.archDirective(d);
      case 'ddr':
        return this.ddrDirective(d, line);
      case 'layer':
        return this.layerDirective(d, line);
      case 'equ':
        return this.equDirective(d, line);
      case 'segment':
        return this.segmentDirective(d, line);
      case 'batch':
        return this.batchDirective(d);
      default:
        this.diag('error', 'directive', d.name, `unknown directive '.${d.name.text}' (directives: ${DIRECTIVE_LIST})`);
    }
  }

  private batchDirective(d: DirectiveNode): void {
    const v = d.args[0]?.values[0];
    if (d.args.length !== 1 || d.args[0]!.key || d.args[0]!.values.length !== 1 || v?.kind !== 'number' || !Number.isInteger(v.value) || v.value < 1 || v.value > MAX_BATCH) {
      this.diag('error', 'directive', d, `.batch takes the number of images per run, 1 to ${MAX_BATCH}: .batch 8`);
      return;
    }
    if (this.batch) {
      this.diag('error', 'directive', d, 'the batch is already set by .batch on an earlier line: keep one .batch');
      return;
    }
    this.batch = { value: v.value, span: this.abs({ start: v.start, end: v.end }) };
  }

  private archDirective(d: DirectiveNode): void {
    const a = d.args[0];
    const v = a?.values[0];
    if (!a || a.key || a.values.length !== 1 || d.args.length !== 1 || !v || (v.kind !== 'symbol' && v.kind !== 'string')) {
      this.diag('error', 'directive', d, '.arch takes one argument: a preset name (.arch ZU9) or a quoted architecture file (.arch "board.json")');
      return;
    }
    if (this.archRef) {
      this.diag('error', 'directive', d, `the architecture is already set by .arch on an earlier line: keep one .arch`);
      return;
    }
    if (this.archFixed) {
      this.diag('error', 'directive', d, '.arch must come before the first instruction: bank names and limits depend on it');
      return;
    }
    const ref = v.kind === 'symbol' ? v.name : v.value;
    this.archRef = { text: ref, span: this.abs({ start: v.start, end: v.end }) };
    if (this.opts.arch) {
      if (this.opts.arch.name.toUpperCase() !== ref.toUpperCase())
        this.diag('warning', 'arch-mismatch', v, `the file asks for ${ref}, but ${this.opts.arch.name} was chosen (--arch or the editor setting); assembling for ${this.opts.arch.name}`);
      return;
    }
    try {
      const resolved = this.opts.resolveArch ? this.opts.resolveArch(ref, v.kind === 'string') : boardByName(ref);
      if (!resolved) throw new Error(`unknown architecture '${ref}'`);
      this.arch = resolved;
    } catch (e) {
      this.diag('error', 'arch', v, `${(e as Error).message}`);
    }
  }

  private keyArgs(d: DirectiveNode, allowed: readonly string[]): { pos: ValueNode[]; keys: Map<string, { key: Ident; values: ValueNode[] }> } {
    const pos: ValueNode[] = [];
    const keys = new Map<string, { key: Ident; values: ValueNode[] }>();
    for (const a of d.args) {
      if (!a.key) {
        pos.push(...a.values);
        continue;
      }
      const k = a.key.text.toLowerCase();
      if (!allowed.includes(k)) {
        this.diag('error', 'directive', a.key, `.${d.name.text} has no key '${a.key.text}' (keys: ${allowed.join(', ')})`);
        continue;
      }
      if (keys.has(k)) {
        this.diag('error', 'directive', a.key, `'${k}' is given twice: keep one`);
        continue;
      }
      keys.set(k, { key: a.key, values: a.values });
    }
    return { pos, keys };
  }

  private nameArg(d: DirectiveNode, pos: ValueNode[], what: string): Ident | undefined {
    const v = pos[0];
    if (!v || (v.kind !== 'symbol' && v.kind !== 'string') || pos.length > 1) {
      this.diag('error', 'directive', pos[1] ?? d, `.${d.name.text} needs one ${what} first`);
      return undefined;
    }
    return { text: v.kind === 'symbol' ? v.name : v.value, start: v.start, end: v.end };
  }

  /** Evaluate a directive's numeric argument now: directives may only use symbols defined above them. */
  private directiveNumber(v: ValueNode | undefined): number | undefined {
    if (!v) return undefined;
    const saved = this.final;
    this.final = true;
    try {
      return this.evalExpr(v, null);
    } finally {
      this.final = saved;
    }
  }

  private ddrDirective(d: DirectiveNode, line: number): void {
    const { pos, keys } = this.keyArgs(d, REGION_KEYS);
    const name = this.nameArg(d, pos, 'region name (.ddr input reg=0 size=150528)');
    if (!name) return;
    const num = (k: string, dflt?: number) => {
      const e = keys.get(k);
      if (!e) {
        if (dflt === undefined) this.diag('error', 'directive', d.name, `.ddr ${name.text} needs ${k}=...`);
        return dflt;
      }
      if (e.values.length !== 1) {
        this.diag('error', 'directive', e.key, `${k} takes one value`);
        return undefined;
      }
      return this.directiveNumber(e.values[0]);
    };
    const reg = num('reg');
    const size = num('size');
    const offset = num('offset', 0);
    const fileArg = keys.get('file')?.values[0];
    if (fileArg && fileArg.kind !== 'string') this.diag('error', 'directive', fileArg, 'file takes a quoted path: file="input.bin"');
    if (reg === undefined || size === undefined || offset === undefined) return;
    if (reg < 0 || reg > 7) return this.diag('error', 'directive', keys.get('reg')!.values[0]!, `reg=${reg}: DDR base registers are 0..7 (reg_id has 3 bits)`);
    if (size < 1) return this.diag('error', 'directive', keys.get('size')!.values[0]!, `size=${size}: a region holds at least one byte`);
    if (offset < 0 || offset + size > DDR_ADDR_LIMIT)
      return this.diag('error', 'directive', d, `region ${name.text} [${offset}, ${offset + size}) does not fit the 29-bit ddr_addr space (0..${DDR_ADDR_LIMIT - 1})`);
    for (const r of this.regions)
      if (r.reg === reg && offset < r.offset + r.size && r.offset < offset + size)
        return this.diag('error', 'directive', d, `region ${name.text} [0x${offset.toString(16)}, 0x${(offset + size).toString(16)}) overlaps region ${r.name} of reg ${reg} (line ${r.line + 1}): move one of them`);
    const region: AsmRegion = { name: name.text, reg, offset, size, line, nameSpan: this.abs(name), ...(fileArg?.kind === 'string' ? { file: fileArg.value } : {}) };
    if (this.define({ name: name.text, kind: 'region', value: offset, reg, line, nameSpan: this.abs(name) })) this.regions.push(region);
  }

  private layerDirective(d: DirectiveNode, line: number): void {
    const { pos, keys } = this.keyArgs(d, LAYER_KEYS);
    const name = this.nameArg(d, pos, 'layer name (.layer conv1 nodes=conv1,relu1 group=conv1_relu)');
    if (!name) return;
    const text = (v: ValueNode): string | undefined => {
      if (v.kind === 'symbol') return v.name;
      if (v.kind === 'string') return v.value;
      this.diag('error', 'directive', v, 'node and group names are names or quoted strings');
      return undefined;
    };
    const nodes = (keys.get('nodes')?.values ?? []).map(text).filter((x): x is string => x !== undefined);
    const gv = keys.get('group')?.values;
    if (gv && gv.length !== 1) this.diag('error', 'directive', keys.get('group')!.key, 'group takes one name');
    const group = gv?.[0] ? text(gv[0]) : undefined;
    const groupSpan = gv?.[0] && group !== undefined ? this.abs({ start: gv[0].start, end: gv[0].end }) : undefined;
    if (this.layers.some((l) => l.name === name.text)) {
      this.diag('error', 'duplicate-symbol', name, `layer '${name.text}' is already marked above: layer names are unique`);
      return;
    }
    const layer: AsmLayer = { name: name.text, nodes, ...(group ? { group, groupSpan } : {}), first: this.instrs.length, end: this.instrs.length, line, nameSpan: this.abs(name), span: this.abs({ start: d.start, end: d.end }) };
    this.layers.push(layer);
    if (!this.symbols.has(name.text)) this.symbols.set(name.text, { name: name.text, kind: 'layer', value: this.layers.length - 1, line, nameSpan: this.abs(name) });
  }

  private equDirective(d: DirectiveNode, line: number): void {
    const args = d.args;
    const a0 = args[0]?.values[0];
    if (args.length !== 2 || args[0]!.key || args[1]!.key || !a0 || a0.kind !== 'symbol' || args[1]!.values.length !== 1) {
      this.diag('error', 'directive', d, '.equ takes a name and a value: .equ TILE_ROWS 8');
      return;
    }
    const v = this.directiveNumber(args[1]!.values[0]);
    if (v === undefined) return;
    this.define({ name: a0.name, kind: 'equ', value: v, line, nameSpan: this.abs({ start: a0.start, end: a0.end }) });
  }
}

/** A diagnostic (and its fixes) moved by `base` characters. */
function shift(d: Diagnostic, base: number): Diagnostic {
  if (base === 0) return d;
  const moved: Diagnostic = { ...d, start: d.start + base, end: d.end + base };
  if (!d.fixes) return moved;
  return { ...moved, fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ start: e.start + base, end: e.end + base, newText: e.newText })) })) };
}

function replaceFix(title: string, span: Span, newText: string): Fix[] {
  return [{ title, edits: [{ start: span.start, end: span.end, newText }] }];
}

function fieldDesc(fs: FieldSpec): string {
  const bits = fs.hi === fs.lo ? `W${fs.word}[${fs.hi}]` : `W${fs.word}[${fs.hi}:${fs.lo}]`;
  return `${bits}${fs.minusOne ? ', stored as value-1' : ''}`;
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
