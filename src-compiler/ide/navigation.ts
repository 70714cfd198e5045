// Outline, go to definition, references, rename and folding for .dnnasm.
//
// Names with a definition: labels, .equ constants, .ddr regions and layers (each defined once), and
// fusion groups (defined by the first layer marker that names them, referenced by the others).

import type { Span } from '../asm/ast';
import type { AsmProgram, SymbolKind, TextEdit } from '../asm/assemble';
import { ENGINES, INSTRUCTIONS } from '../isa/table';
import { absSpan, hitAt, type Analysis } from './analysis';

export type NameKind = SymbolKind | 'group';

export interface NameAt {
  readonly name: string;
  readonly kind: NameKind;
  /** Where the name stands under the cursor (absolute). */
  readonly span: Span;
}

/** The definable name under the cursor, if any. */
export function nameAt(a: Analysis, offset: number): NameAt | undefined {
  const h = hitAt(a, offset);
  if (!h) return undefined;
  const p = a.program;
  switch (h.kind) {
    case 'label':
      return { name: h.ident.text, kind: 'label', span: absSpan(h.line, h.ident) };
    case 'fieldValue':
      if (h.leaf.kind === 'symbol') {
        const sym = p.symbols.get(h.leaf.name);
        if (sym) return { name: sym.name, kind: sym.kind, span: absSpan(h.line, h.leaf) };
      }
      return undefined;
    case 'argValue': {
      const d = h.dir.name.text;
      const key = h.arg.key?.text.toLowerCase();
      const text = h.leaf.kind === 'symbol' ? h.leaf.name : h.leaf.kind === 'string' ? h.leaf.value : undefined;
      if (text === undefined) return undefined;
      if (!key && h.position === 0 && (d === 'ddr' || d === 'equ' || d === 'layer')) {
        const kind: NameKind = d === 'ddr' ? 'region' : d === 'equ' ? 'equ' : 'layer';
        return { name: text, kind, span: absSpan(h.line, h.leaf) };
      }
      if (d === 'layer' && key === 'group') return { name: text, kind: 'group', span: absSpan(h.line, h.leaf) };
      if (h.leaf.kind === 'symbol') {
        const sym = p.symbols.get(text);
        if (sym) return { name: sym.name, kind: sym.kind, span: absSpan(h.line, h.leaf) };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

export function definition(a: Analysis, offset: number): Span | undefined {
  const n = nameAt(a, offset);
  if (!n) return undefined;
  if (n.kind === 'group') return a.program.layers.find((l) => l.group === n.name)?.groupSpan;
  return a.program.symbols.get(n.name)?.nameSpan;
}

/** Every occurrence of the name under the cursor, the definition first when asked for. */
export function references(a: Analysis, offset: number, includeDeclaration: boolean): Span[] {
  const n = nameAt(a, offset);
  if (!n) return [];
  return occurrences(a.program, n.name, n.kind).filter((o) => includeDeclaration || !o.isDefinition).map((o) => o.span);
}

function occurrences(p: AsmProgram, name: string, kind: NameKind): { span: Span; isDefinition: boolean }[] {
  if (kind === 'group') {
    const all = p.layers.filter((l) => l.group === name && l.groupSpan);
    return all.map((l, i) => ({ span: l.groupSpan!, isDefinition: i === 0 }));
  }
  const out: { span: Span; isDefinition: boolean }[] = [];
  const sym = p.symbols.get(name);
  if (sym && sym.kind === kind) out.push({ span: sym.nameSpan, isDefinition: true });
  for (const r of p.refs) if (r.name === name && r.kind === kind) out.push({ span: r, isDefinition: false });
  return out;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set([...INSTRUCTIONS.map((s) => s.mnemonic), ...ENGINES, 'NONE']);

export type RenameResult = { readonly edits: TextEdit[] } | { readonly error: string };

export function rename(a: Analysis, offset: number, newName: string): RenameResult {
  const n = nameAt(a, offset);
  if (!n) return { error: 'there is no label, constant, region, layer or group name here to rename' };
  const quotedOk = n.kind === 'layer' || n.kind === 'group' || n.kind === 'region';
  if (!IDENT.test(newName) && !(quotedOk && newName.length > 0 && !newName.includes('\n')))
    return { error: `'${newName}' is not a name: use letters, digits and _ and start with a letter or _` };
  if (RESERVED.has(newName.toUpperCase())) return { error: `'${newName}' is an instruction or engine name: choose another` };
  if (a.program.arch.bankGroups.some((g) => g.name === newName.toUpperCase())) return { error: `'${newName}' is a bank group of ${a.program.arch.name}: choose another` };
  const clash = a.program.symbols.get(newName);
  if (clash && newName !== n.name) return { error: `'${newName}' is already defined (a ${clash.kind} on line ${clash.line + 1})` };
  const edits = occurrences(a.program, n.name, n.kind).map((o) => {
    const old = a.text.slice(o.span.start, o.span.end);
    const quoted = old.startsWith('"') || !IDENT.test(newName);
    return { start: o.span.start, end: o.span.end, newText: quoted ? JSON.stringify(newName) : newName };
  });
  return { edits };
}

export interface OutlineItem {
  readonly name: string;
  readonly detail: string;
  readonly kind: 'group' | 'layer' | 'label' | 'region' | 'equ';
  /** The whole extent (absolute). */
  readonly span: Span;
  /** The name (absolute). */
  readonly nameSpan: Span;
  readonly children: OutlineItem[];
}

/** Regions and constants, then fusion groups holding their layers, layers holding their labels. */
export function outline(a: Analysis): OutlineItem[] {
  const p = a.program;
  const out: OutlineItem[] = [];
  for (const r of p.regions)
    out.push({ name: r.name, detail: `reg ${r.reg}, ${r.size} bytes at 0x${r.offset.toString(16)}${r.file ? `, from ${r.file}` : ''}`, kind: 'region', span: lineSpan(a, r.line), nameSpan: r.nameSpan, children: [] });
  for (const s of p.symbols.values())
    if (s.kind === 'equ') out.push({ name: s.name, detail: `= ${s.value}`, kind: 'equ', span: lineSpan(a, s.line), nameSpan: s.nameSpan, children: [] });
  const labels = [...p.symbols.values()].filter((s) => s.kind === 'label');
  const layerEnd = (i: number) => {
    const next = p.layers[i + 1];
    return next ? a.index.lineStart(next.line) - 1 : a.text.length;
  };
  const groups = new Map<string, OutlineItem & { children: OutlineItem[] }>();
  const layerItems: OutlineItem[] = [];
  p.layers.forEach((l, i) => {
    const start = a.index.lineStart(l.line);
    const end = Math.max(start, layerEnd(i));
    const children = labels
      .filter((s) => s.nameSpan.start >= start && s.nameSpan.start <= end)
      .map((s) => ({ name: s.name, detail: `instruction ${s.value}`, kind: 'label' as const, span: lineSpan(a, s.line), nameSpan: s.nameSpan, children: [] }));
    const item: OutlineItem = { name: l.name, detail: `${l.end - l.first} instructions${l.nodes.length ? `; ${l.nodes.join(', ')}` : ''}`, kind: 'layer', span: { start, end }, nameSpan: l.nameSpan, children };
    if (l.group) {
      let g = groups.get(l.group);
      if (!g) {
        g = { name: l.group, detail: 'fusion group', kind: 'group', span: { start, end }, nameSpan: l.groupSpan ?? l.nameSpan, children: [] };
        groups.set(l.group, g);
        layerItems.push(g);
      }
      g.children.push(item);
      (g as { span: Span }).span = { start: Math.min(g.span.start, start), end: Math.max(g.span.end, end) };
    } else layerItems.push(item);
  });
  const firstLayerStart = p.layers.length ? a.index.lineStart(p.layers[0]!.line) : a.text.length + 1;
  for (const s of labels)
    if (s.nameSpan.start < firstLayerStart) out.push({ name: s.name, detail: `instruction ${s.value}`, kind: 'label', span: lineSpan(a, s.line), nameSpan: s.nameSpan, children: [] });
  return [...out, ...layerItems];
}

function lineSpan(a: Analysis, line: number): Span {
  const start = a.index.lineStart(line);
  const nl = a.text.indexOf('\n', start);
  return { start, end: nl < 0 ? a.text.length : nl };
}

export interface FoldingRange {
  /** 0-based lines, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly kind: 'region' | 'comment';
}

/** One fold per layer (marker to the line before the next marker) and per block of comment lines. */
export function foldingRanges(a: Analysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  const p = a.program;
  const lines = p.lines ?? [];
  p.layers.forEach((l, i) => {
    let end = (p.layers[i + 1]?.line ?? lines.length) - 1;
    while (end > l.line && isBlank(lines[end]?.body)) end--;
    if (end > l.line) out.push({ startLine: l.line, endLine: end, kind: 'region' });
  });
  let runStart = -1;
  for (let i = 0; i <= lines.length; i++) {
    const b = lines[i]?.body;
    const commentOnly = b !== undefined && b.comment !== undefined && !b.statement && !b.label;
    if (commentOnly && runStart < 0) runStart = i;
    if (!commentOnly && runStart >= 0) {
      if (i - 1 > runStart) out.push({ startLine: runStart, endLine: i - 1, kind: 'comment' });
      runStart = -1;
    }
  }
  return out;
}

function isBlank(b: { statement?: unknown; label?: unknown; comment?: unknown } | undefined): boolean {
  return !b || (!b.statement && !b.label && !b.comment);
}
