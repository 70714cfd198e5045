// Runs the command line in-process, as `dnnvm ARGS` in `cwd`, and collects what it prints.

import { main } from '../../src-compiler/cli/main';
import type { CliIO } from '../../src-compiler/cli/io';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(args: readonly string[], cwd: string): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd, interactive: false };
  const code = await main([...args], io);
  return { code, out, err };
}
