// Semantic highlighting: every token of the document classified from the syntax tree and the ISA table
// (what a field's value means depends on the field: a bank, an address, an engine mask, a code).

import type { LineNode, ValueNode } from '../asm/ast';
import { specByMnemonic, type FieldSpec } from '../isa/table';
import type { Analysis } from './analysis';

/** Token types, in legend order. Custom types (bank, address, engine, layer) declare a standard super type
 * in package.json so that every theme colours them. */
export const SEMANTIC_TOKEN_TYPES = ['keyword', 'property', 'bank', 'address', 'engine', 'enumMember', 'number', 'string', 'comment', 'label', 'macro', 'layer', 'variable', 'operator'] as const;
export type SemanticTokenType = (typeof SEMANTIC_TOKEN_TYPES)[number];
export const SEMANTIC_TOKEN_MODIFIERS = ['declaration', 'readonly'] as const;

export interface SemanticToken {
  /** 0-based line and UTF-16 column. */
  readonly line: number;
  readonly char: number;
  readonly length: number;
  readonly type: SemanticTokenType;
  /** Bit set over SEMANTIC_TOKEN_MODIFIERS. */
  readonly modifiers: number;
}

const DECL = 1;
const READONLY = 2;

export function semanticTokens(a: Analysis, range?: { startLine: number; endLine: number }): SemanticToken[] {
  const out: SemanticToken[] = [];
  const lines = a.program.lines ?? [];
  const from = range ? Math.max(0, range.startLine) : 0;
  const to = range ? Math.min(lines.length - 1, range.endLine) : lines.length - 1;
  for (let i = from; i <= to; i++) lineTokens(a, lines[i]!, out);
  return out;
}

function lineTokens(a: Analysis, l: LineNode, out: SemanticToken[]): void {
  const push = (start: number, end: number, type: SemanticTokenType, modifiers = 0) => {
    if (end > start) out.push({ line: l.line, char: start, length: end - start, type, modifiers });
  };
  const { label, statement: s, comment } = l.body;
  if (label) push(label.start, label.end, 'label', DECL);
  if (s?.kind === 'instruction') {
    push(s.mnemonic.start, s.mnemonic.end, 'keyword');
    const spec = specByMnemonic(s.mnemonic.text);
    for (const f of s.fields) {
      push(f.name.start, f.name.end, 'property');
      const fs = spec?.fields[spec.fieldIndex[f.name.text] ?? -1];
      value(a, f.value, fs, push);
    }
  } else if (s?.kind === 'directive') {
    const d = s.name.text;
    push(s.name.start, s.name.end, 'macro');
    s.args.forEach((arg, k) => {
      if (arg.key) push(arg.key.start, arg.key.end, 'property');
      for (const v of arg.values) {
        const declares = !arg.key && k === 0 && (d === 'ddr' || d === 'equ' || d === 'layer');
        if (declares && (v.kind === 'symbol' || v.kind === 'string')) push(v.start, v.end, d === 'layer' ? 'layer' : 'variable', DECL | (d === 'equ' ? READONLY : 0));
        else if (d === 'layer' && arg.key?.text === 'group') push(v.start, v.end, 'layer');
        else if (d === 'layer' && arg.key?.text === 'nodes') push(v.start, v.end, 'string');
        else value(a, v, undefined, push);
      }
    });
  }
  if (comment) push(comment.start, comment.end, 'comment');
  // Tokens of a line must come out in order for the delta encoding.
  let k = out.length - 1;
  while (k > 0 && out[k - 1]!.line === l.line) k--;
  const mine = out.splice(k).sort((x, y) => x.char - y.char);
  out.push(...mine);
}

function value(a: Analysis, v: ValueNode, fs: FieldSpec | undefined, push: (s: number, e: number, t: SemanticTokenType, m?: number) => void): void {
  switch (v.kind) {
    case 'number':
      push(v.start, v.end, fs && (fs.kind === 'addr' || fs.kind === 'ddr') ? 'address' : fs?.kind === 'bank' ? 'bank' : 'number');
      return;
    case 'string':
      push(v.start, v.end, 'string');
      return;
    case 'index':
      push(v.base.start, v.base.end, 'bank');
      value(a, v.index, undefined, push);
      return;
    case 'neg':
      push(v.start, v.start + 1, 'operator');
      value(a, v.operand, fs, push);
      return;
    case 'binary':
      value(a, v.left, fs, push);
      value(a, v.right, fs, push);
      return;
    case 'symbol': {
      const sym = a.program.symbols.get(v.name);
      if (sym) push(v.start, v.end, sym.kind === 'label' ? 'label' : sym.kind === 'layer' ? 'layer' : 'variable', sym.kind === 'equ' ? READONLY : 0);
      else if (fs?.kind === 'mask') push(v.start, v.end, 'engine');
      else if (fs?.kind === 'bank') push(v.start, v.end, 'bank');
      else if (fs?.values) push(v.start, v.end, 'enumMember');
      else push(v.start, v.end, 'variable');
    }
  }
}
