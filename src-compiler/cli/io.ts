// The CLI's view of the outside world, so that commands run the same in a process and in tests.

import { formatLocated, type SourceLocation } from '../util/errors';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Working directory against which relative paths resolve. */
  readonly cwd: string;
  /** True when stderr is a terminal (progress lines are drawn only then). */
  readonly interactive: boolean;
}

/** A problem to print as `path:line:col: severity: message`. */
export function printLocated(io: CliIO, severity: 'error' | 'warning' | 'note', message: string, loc?: SourceLocation): void {
  io.err(formatLocated(severity, message, loc) + '\n');
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  cwd: process.cwd(),
  interactive: Boolean(process.stderr.isTTY),
};
