// Errors a user can act on (bad input), as opposed to internal faults (bugs).
//
// The CLI prints a UserError as `path:line:col: error: text` and exits 1; anything else is an
// internal fault, printed without a stack trace unless DNNVM_DEBUG is set, with exit status 2.

export interface SourceLocation {
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly col?: number;
}

export class UserError extends Error {
  readonly location: SourceLocation;
  constructor(message: string, location: SourceLocation = {}) {
    super(message);
    this.name = 'UserError';
    this.location = location;
  }
}

/** `file:line:col: error: message`, omitting the parts that are unknown. */
export function formatLocated(severity: 'error' | 'warning' | 'note', message: string, loc: SourceLocation = {}): string {
  let where = '';
  if (loc.file) where = loc.file + (loc.line ? `:${loc.line}` + (loc.col ? `:${loc.col}` : '') : '') + ': ';
  return `${where}${severity}: ${message}`;
}

/** Thrown when a long operation observes that it was cancelled. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** Why protobufjs refused a message, in the user's terms. Its reader checks every declared length
 * against the bytes left before it reads or allocates anything, and says "index out of range". */
export function protobufFailure(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return /^index out of range/.test(m) ? `a field declares more bytes than the file has left (${m})` : m;
}
