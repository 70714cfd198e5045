// Formatting to the canonical layout, keeping what the author wrote: labels on their own line at
// column 0, directives at column 0, instructions indented with the mnemonic upper-cased and padded
// and the fields in ISA-table order, each value exactly as written (symbols and expressions stay),
// comments kept. A line with a syntax error or an unknown mnemonic is left as it is.

import type { LineNode } from '../asm/ast';
import type { TextEdit } from '../asm/assemble';
import { INDENT, MNEMONIC_WIDTH } from '../asm/format';
import { specByMnemonic } from '../isa/table';
import type { Analysis } from './analysis';

/** The formatted text of one line (possibly two: a label then its instruction), or undefined to keep it. */
export function formatLine(text: string, l: LineNode): string | undefined {
  const { label, statement: s, comment, errors } = l.body;
  if (errors.length) return undefined;
  const src = (x: { start: number; end: number }) => text.slice(l.start + x.start, l.start + x.end);
  const trailing = comment ? src(comment).trimEnd() : '';
  let body: string | undefined;
  if (s?.kind === 'instruction') {
    const spec = specByMnemonic(s.mnemonic.text);
    if (!spec) return undefined;
    const ordered = [...s.fields].sort((x, y) => (spec.fieldIndex[x.name.text] ?? 99) - (spec.fieldIndex[y.name.text] ?? 99));
    const fields = ordered.map((f) => `${f.name.text}=${src(f.value).replace(/\s+/g, '')}`).join(' ');
    body = INDENT + spec.mnemonic + (fields ? ' '.repeat(MNEMONIC_WIDTH - spec.mnemonic.length) + fields : '');
  } else if (s?.kind === 'directive') {
    body = ['.' + s.name.text, ...s.args.map((arg) => (arg.key ? `${arg.key.text}=` : '') + arg.values.map((v) => src(v).replace(/\s+/g, '')).join(','))].join(' ');
  }
  const parts: string[] = [];
  if (label) parts.push(`${label.text}:` + (body === undefined && trailing ? `  ${trailing}` : ''));
  if (body !== undefined) parts.push(body + (trailing ? `  ${trailing}` : ''));
  if (!label && body === undefined) {
    if (!comment) return '';
    // A comment line keeps its indentation.
    return text.slice(l.start, l.start + comment.start) + trailing;
  }
  return parts.join('\n');
}

/** Edits that turn the document (or lines [from, to]) into the canonical layout. */
export function formatEdits(a: Analysis, from = 0, to = Number.MAX_SAFE_INTEGER): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const l of a.program.lines ?? []) {
    if (l.line < from || l.line > to) continue;
    const now = a.text.slice(l.start, l.end);
    const f = formatLine(a.text, l);
    if (f !== undefined && f !== now.replace(/\r$/, '')) edits.push({ start: l.start, end: l.end - (now.endsWith('\r') ? 1 : 0), newText: f });
  }
  return edits;
}
