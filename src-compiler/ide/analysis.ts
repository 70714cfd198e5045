// The analysis of one .dnnasm document, and what stands at a position in it.
//
// This folder is the editor-facing layer of the library (like rust-analyzer's `ide` crate): plain
// offsets and plain data in, plain data out, no LSP types. The language server translates.

import type { ArgNode, DirectiveNode, FieldNode, Ident, InstructionNode, LineNode, Span, ValueNode } from '../asm/ast';
import { LineIndex } from '../asm/ast';
import type { AsmProgram } from '../asm/assemble';

export interface Analysis {
  readonly file: string;
  readonly text: string;
  readonly index: LineIndex;
  /** Assembled with keepAst: `program.lines[i]` is line i. */
  readonly program: AsmProgram;
}

export function lineAt(a: Analysis, offset: number): LineNode | undefined {
  return a.program.lines?.[a.index.position(offset).line];
}

/** What the cursor is on. Spans inside are relative to `line.start`. */
export type Hit =
  | { readonly kind: 'label'; readonly line: LineNode; readonly ident: Ident }
  | { readonly kind: 'mnemonic'; readonly line: LineNode; readonly instr: InstructionNode }
  | { readonly kind: 'fieldName'; readonly line: LineNode; readonly instr: InstructionNode; readonly field: FieldNode }
  | { readonly kind: 'fieldValue'; readonly line: LineNode; readonly instr: InstructionNode; readonly field: FieldNode; readonly leaf: ValueNode }
  | { readonly kind: 'directive'; readonly line: LineNode; readonly dir: DirectiveNode }
  | { readonly kind: 'argKey'; readonly line: LineNode; readonly dir: DirectiveNode; readonly arg: ArgNode }
  | { readonly kind: 'argValue'; readonly line: LineNode; readonly dir: DirectiveNode; readonly arg: ArgNode; readonly leaf: ValueNode; readonly position: number }
  | { readonly kind: 'comment'; readonly line: LineNode };

const inside = (s: Span, rel: number) => rel >= s.start && rel <= s.end;

/** The innermost value node containing `rel` (a leaf: number, symbol, string, or a bank's base name). */
export function leafAt(v: ValueNode, rel: number): ValueNode {
  switch (v.kind) {
    case 'binary':
      return inside(v.left, rel) ? leafAt(v.left, rel) : inside(v.right, rel) ? leafAt(v.right, rel) : v;
    case 'neg':
      return inside(v.operand, rel) ? leafAt(v.operand, rel) : v;
    case 'index':
      return inside(v.index, rel) ? leafAt(v.index, rel) : v;
    default:
      return v;
  }
}

export function hitAt(a: Analysis, offset: number): Hit | undefined {
  const line = lineAt(a, offset);
  if (!line) return undefined;
  const rel = offset - line.start;
  const { label, statement: s, comment } = line.body;
  if (label && inside(label, rel)) return { kind: 'label', line, ident: label };
  if (comment && rel >= comment.start) return { kind: 'comment', line };
  if (!s) return undefined;
  if (s.kind === 'instruction') {
    if (inside(s.mnemonic, rel)) return { kind: 'mnemonic', line, instr: s };
    for (const f of s.fields) {
      if (inside(f.name, rel)) return { kind: 'fieldName', line, instr: s, field: f };
      if (inside(f.value, rel)) return { kind: 'fieldValue', line, instr: s, field: f, leaf: leafAt(f.value, rel) };
    }
    return inside(s, rel) ? { kind: 'mnemonic', line, instr: s } : undefined;
  }
  if (inside(s.name, rel)) return { kind: 'directive', line, dir: s };
  for (const arg of s.args) {
    if (arg.key && inside(arg.key, rel)) return { kind: 'argKey', line, dir: s, arg };
    for (let i = 0; i < arg.values.length; i++) if (inside(arg.values[i]!, rel)) return { kind: 'argValue', line, dir: s, arg, leaf: leafAt(arg.values[i]!, rel), position: s.args.indexOf(arg) };
  }
  return undefined;
}

/** Absolute span of a span relative to a line. */
export function absSpan(line: LineNode, s: Span): Span {
  return { start: line.start + s.start, end: line.start + s.end };
}
