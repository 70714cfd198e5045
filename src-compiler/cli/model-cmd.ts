// `dnnvm model [NAME] [-o FILE]`: the built-in models, written by the project (src-compiler/models).

import * as path from 'node:path';
import { BUILTIN_MODELS } from '../models/googlenet';
import { writeFileAtomic } from '../util/fsx';
import { UserError } from '../util/errors';
import { optString, type ParsedArgs } from './args';
import type { CliIO } from './io';

export function runModel(p: ParsedArgs, io: CliIO): number {
  const name = p.positional[0];
  if (!name) {
    for (const [n, m] of Object.entries(BUILTIN_MODELS)) io.out(`${n}  ${m.description}\n`);
    return 0;
  }
  const m = Object.hasOwn(BUILTIN_MODELS, name.toLowerCase()) ? BUILTIN_MODELS[name.toLowerCase()] : undefined;
  if (!m) throw new UserError(`no built-in model '${name}' (built-in: ${Object.keys(BUILTIN_MODELS).join(', ')})`);
  const out = optString(p, 'output');
  if (!out) {
    io.out(m.text());
    return 0;
  }
  const file = path.resolve(io.cwd, out);
  writeFileAtomic(file, m.text());
  io.err(`${name}: ${path.relative(io.cwd, file) || file}\n`);
  return 0;
}
