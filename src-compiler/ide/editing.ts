// Completion and signature help for .dnnasm: what may be written at the cursor, from the ISA table,
// the target architecture and the program's own names.

import type { InstructionNode } from '../asm/ast';
import type { Arch } from '../arch/model';
import { bankName } from '../arch/model';
import { ENGINES, INSTRUCTIONS, fieldBits, specByMnemonic, type FieldSpec, type InstrSpec } from '../isa/table';
import { lineAt, type Analysis } from './analysis';
import { DIRECTIVES, directiveSpec } from '../asm/directives';

export interface CompletionItem {
  readonly label: string;
  readonly kind: 'mnemonic' | 'field' | 'directive' | 'value' | 'bank' | 'engine' | 'symbol' | 'key';
  readonly detail?: string;
  readonly documentation?: string;
  /** Text to insert; a snippet (with ${1:...} placeholders) when `snippet` is set. */
  readonly insertText: string;
  readonly snippet?: boolean;
  /** Sort key: lower first. */
  readonly sortText?: string;
  /** The absolute range the item replaces (the word being typed). */
  readonly replace: { readonly start: number; readonly end: number };
}


function fieldDoc(fs: FieldSpec): string {
  const legal = fs.values ? Object.keys(fs.values).join(', ') : `${fs.min}..${fs.max}`;
  return `${fs.doc}\n\n${fieldBits(fs)}${fs.minusOne ? ' (stored as value-1)' : ''}; legal ${legal}${fs.default !== undefined ? `; default ${fs.default}` : '; required'}`;
}

/** A placeholder value for a snippet: something legal that shows the field's form. */
function exampleValue(fs: FieldSpec, arch: Arch): string {
  if (fs.kind === 'mask') return 'none';
  if (fs.values) return Object.keys(fs.values)[0]!;
  if (fs.kind === 'bank') {
    const g = arch.bankGroups.find((x) => !fs.banks || fs.banks.includes(x.role));
    return g ? `${g.name}[0]` : '0';
  }
  if (fs.kind === 'ddr') return '0x0';
  return String(fs.default ?? fs.min);
}

/** Snippet for a mnemonic with its required fields. */
export function instructionSnippet(spec: InstrSpec, arch: Arch): string {
  let k = 0;
  const parts = spec.fields.filter((f) => f.default === undefined).map((f) => `${f.name}=\${${++k}:${exampleValue(f, arch)}}`);
  return [spec.mnemonic.padEnd(9), ...parts].join(' ').trimEnd();
}

export function completions(a: Analysis, offset: number): CompletionItem[] {
  const line = lineAt(a, offset);
  if (!line) return [];
  const before = a.text.slice(line.start, offset);
  if (/;|\/\//.test(before)) return [];
  const word = /[.A-Za-z_0-9]*$/.exec(before)![0];
  const replace = { start: offset - word.length, end: offset };
  const arch = a.program.arch;
  // Start of a statement: instructions and directives.
  if (/^\s*([A-Za-z_][A-Za-z0-9_]*:\s*)?[.A-Za-z_0-9]*$/.test(before)) {
    const items: CompletionItem[] = [];
    if (!word.startsWith('.'))
      for (const s of INSTRUCTIONS)
        items.push({ label: s.mnemonic, kind: 'mnemonic', detail: `${s.engine} engine, ${s.words} words`, documentation: s.doc, insertText: instructionSnippet(s, arch), snippet: true, sortText: `0${s.mnemonic}`, replace });
    for (const d of DIRECTIVES) items.push({ label: `.${d.name}`, kind: 'directive', detail: d.syntax, documentation: d.doc, insertText: d.snippet, snippet: true, sortText: `1${d.name}`, replace });
    return items;
  }
  const stmt = line.body.statement;
  const dir = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*:\s*)?(\.[A-Za-z_]+)/.exec(before)?.[1]?.toLowerCase();
  const valueOf = /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[^\s=,]*$/.exec(before);
  if (dir) {
    if (valueOf) return directiveValues(a, dir, valueOf[1]!, replace);
    return (directiveSpec(dir.slice(1))?.keys ?? []).map((k) => ({ label: k, kind: 'key' as const, insertText: `${k}=`, replace }));
  }
  const mnemonic = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*:\s*)?([A-Za-z]+)/.exec(before)?.[1];
  const spec = mnemonic ? specByMnemonic(mnemonic) : undefined;
  if (!spec) return [];
  if (valueOf) {
    const fs = spec.fields[spec.fieldIndex[valueOf[1]!] ?? -1];
    if (!fs) return [];
    const vword = /[A-Za-z_0-9]*$/.exec(before)![0];
    return fieldValues(a, fs, { start: offset - vword.length, end: offset });
  }
  // A field name: those the instruction does not have yet, required ones first.
  const present = new Set((stmt?.kind === 'instruction' ? (stmt as InstructionNode).fields : []).map((f) => f.name.text));
  return spec.fields
    .filter((f) => !present.has(f.name) || f.name === word)
    .map((f) => ({
      label: f.name,
      kind: 'field' as const,
      detail: f.default === undefined ? 'required' : `default ${f.default}`,
      documentation: fieldDoc(f),
      insertText: `${f.name}=\${1:${exampleValue(f, arch)}}`,
      snippet: true,
      sortText: `${f.default === undefined ? 0 : 1}${String(spec.fieldIndex[f.name]).padStart(2, '0')}`,
      replace,
    }));
}

function fieldValues(a: Analysis, fs: FieldSpec, replace: CompletionItem['replace']): CompletionItem[] {
  const arch = a.program.arch;
  const out: CompletionItem[] = [];
  if (fs.kind === 'mask') {
    for (const e of ENGINES) out.push({ label: e, kind: 'engine', documentation: `Engine ${e}; join engines with |`, insertText: e, replace });
    out.push({ label: 'none', kind: 'engine', insertText: 'none', replace });
  } else if (fs.values) {
    for (const [n, c] of Object.entries(fs.values)) out.push({ label: n, kind: 'value', detail: `code ${c}`, insertText: n, replace });
  } else if (fs.kind === 'bank') {
    for (const g of arch.bankGroups) {
      if (fs.banks && !fs.banks.includes(g.role)) continue;
      for (let i = 0; i < g.count; i++) {
        const n = bankName(arch, g.baseId + i)!;
        out.push({ label: n, kind: 'bank', detail: `bank ${g.baseId + i}: ${g.width} B x ${g.depth}`, insertText: n, sortText: String(g.baseId + i).padStart(3, '0'), replace });
      }
    }
  } else if (fs.kind === 'reg' || fs.kind === 'ddr') {
    for (const r of a.program.regions)
      out.push({ label: r.name, kind: 'symbol', detail: `reg ${r.reg}, ${r.size} bytes at 0x${r.offset.toString(16)}`, insertText: r.name, replace });
  }
  if (fs.kind !== 'mask' && !fs.values && fs.kind !== 'bank')
    for (const s of a.program.symbols.values()) if (s.kind === 'equ') out.push({ label: s.name, kind: 'symbol', detail: `= ${s.value}`, insertText: s.name, replace });
  return out;
}

function directiveValues(a: Analysis, dir: string, key: string, replace: CompletionItem['replace']): CompletionItem[] {
  if (dir === '.layer' && key === 'group') {
    const groups = new Set(a.program.layers.flatMap((l) => (l.group ? [l.group] : [])));
    return [...groups].map((g) => ({ label: g, kind: 'symbol' as const, insertText: g, replace }));
  }
  return [];
}

export interface SignatureHelp {
  readonly label: string;
  readonly documentation: string;
  /** [start, end) of each field within `label`, and its doc. */
  readonly parameters: { readonly label: [number, number]; readonly documentation: string }[];
  readonly activeParameter: number;
}

/** The instruction's fields as a signature, the field under (or after) the cursor active. */
export function signatureHelp(a: Analysis, offset: number): SignatureHelp | undefined {
  const line = lineAt(a, offset);
  const before = line ? a.text.slice(line.start, offset) : '';
  const mnemonic = /^\s*(?:[A-Za-z_][A-Za-z0-9_]*:\s*)?([A-Za-z]+)\s/.exec(before)?.[1];
  const spec = mnemonic ? specByMnemonic(mnemonic) : undefined;
  if (!spec || /;|\/\//.test(before)) return undefined;
  let label = spec.mnemonic;
  const parameters: SignatureHelp['parameters'] = [];
  for (const f of spec.fields) {
    const text = f.default === undefined ? `${f.name}=` : `[${f.name}=${f.default}]`;
    label += ' ';
    parameters.push({ label: [label.length, label.length + text.length], documentation: fieldDoc(f) });
    label += text;
  }
  const current = /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[^\s=,]*$/.exec(before)?.[1] ?? /([A-Za-z_][A-Za-z0-9_]*)$/.exec(before)?.[1];
  let active = current !== undefined ? spec.fieldIndex[current] ?? -1 : -1;
  if (active < 0) {
    // The first required field not written yet.
    const stmt = line?.body.statement;
    const present = new Set(stmt?.kind === 'instruction' ? stmt.fields.map((f) => f.name.text) : []);
    active = spec.fields.findIndex((f) => f.default === undefined && !present.has(f.name));
  }
  return { label, documentation: spec.doc, parameters, activeParameter: Math.max(0, active) };
}
