// Assembling a file on disk: `.arch "board.json"` resolves relative to the file's folder.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import type { Arch } from '../arch/model';
import { UserError } from '../util/errors';
import { resolveInside } from '../util/paths';
import { LineIndex } from './ast';
import { assemble, type AsmProgram, type Diagnostic } from './assemble';

export interface AssembledFile {
  readonly file: string;
  readonly text: string;
  readonly program: AsmProgram;
  readonly index: LineIndex;
}

/** Resolve a `.arch` argument as written in a file in `dir`. */
export function archResolverFor(dir: string): (ref: string, quoted: boolean) => Arch {
  return (ref, quoted) => {
    // A program may name an architecture file only inside its own folder tree.
    if (quoted) return resolveArch(resolveInside(dir, ref, 'architecture file'), dir);
    return resolveArch(ref, dir);
  };
}

export function assembleText(text: string, file: string, arch?: Arch, keepAst = false): AssembledFile {
  const program = assemble(text, { ...(arch ? { arch } : {}), resolveArch: archResolverFor(path.dirname(file)), keepAst });
  return { file, text, program, index: new LineIndex(text) };
}

export function assembleFile(file: string, arch?: Arch, keepAst = false): AssembledFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return assembleText(text, file, arch, keepAst);
}

/** 1-based line and column of a diagnostic. */
export function diagnosticLocation(a: AssembledFile, d: Diagnostic): { file: string; line: number; col: number } {
  const p = a.index.position(d.start);
  return { file: a.file, line: p.line + 1, col: p.character + 1 };
}
