// Errors from the language server, and where they point. No VS Code API: unit-tested on its own.

import * as path from 'node:path';

/** Where a failed request's error points (1-based), when the server says. */
export interface ErrorLocation {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
}

/**
 * The location of a server error: the error's data when it carries `{ file, line?, col? }` (a library
 * UserError's location), else a leading `file:line:col: ` (or `file:line: `, `file: `) in the message, as
 * the command line and the language server print bad input.
 */
export function errorLocation(message: string, data: unknown): { location: ErrorLocation | undefined; message: string } {
  const d = data as { file?: unknown; line?: unknown; col?: unknown; column?: unknown } | null | undefined;
  if (d && typeof d === 'object' && typeof d.file === 'string' && d.file) {
    const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
    const line = num(d.line);
    const col = num(d.col) ?? num(d.column);
    return { location: { file: d.file, ...(line ? { line } : {}), ...(line && col ? { col } : {}) }, message };
  }
  // `path:line:col: message`, `path:line: message` or `path: message`, with an absolute path.
  const m = /^((?:[A-Za-z]:)?[^:\n]+?)(?::(\d+)(?::(\d+))?)?:\s+(?:error:\s*)?([\s\S]*)$/.exec(message);
  if (m && path.isAbsolute(m[1]!)) return { location: { file: m[1]!, ...(m[2] ? { line: Number(m[2]) } : {}), ...(m[2] && m[3] ? { col: Number(m[3]) } : {}) }, message: m[4]! };
  return { location: undefined, message };
}

/** Text of a location: `lenet.prototxt:12:3`. */
export function describeLocation(l: ErrorLocation): string {
  return `${path.basename(l.file)}${l.line ? `:${l.line}${l.col ? `:${l.col}` : ''}` : ''}`;
}

