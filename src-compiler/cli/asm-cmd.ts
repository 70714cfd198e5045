// `dnnvm asm` and `dnnvm disasm`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import { assembleFile, diagnosticLocation, type AssembledFile } from '../asm/file';
import { disassemble } from '../asm/disassemble';
import { bytesFromWords, wordsFromBytes } from '../isa/encoding';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fsx';
import { optFlag, optString, type ParsedArgs } from './args';
import { printLocated, type CliIO } from './io';

/** A path as the user would write it: relative to the working directory when inside it. */
export function displayPath(io: CliIO, file: string): string {
  const rel = path.relative(io.cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Print an assembly's diagnostics; returns the number of errors. */
export function reportAssembly(a: AssembledFile, io: CliIO): number {
  let errors = 0;
  for (const d of a.program.diagnostics) {
    if (d.severity === 'error') errors++;
    const loc = diagnosticLocation(a, d);
    printLocated(io, d.severity === 'info' ? 'note' : d.severity, `${d.message} [${d.code}]`, { ...loc, file: displayPath(io, loc.file) });
  }
  return errors;
}

export function runAsm(p: ParsedArgs, io: CliIO): number {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError('usage: dnnvm asm FILE.dnnasm [-o FILE.dnnbin] [--arch A]');
  const src = path.resolve(io.cwd, file);
  const archOpt = optString(p, 'arch');
  const arch = archOpt ? resolveArch(archOpt, io.cwd) : undefined;
  const a = assembleFile(src, arch);
  const errors = reportAssembly(a, io);
  const json = optFlag(p, 'json');
  if (errors > 0 || !a.program.words) {
    if (json) io.out(JSON.stringify({ ok: false, errors, diagnostics: a.program.diagnostics.map((d) => ({ ...d, ...diagnosticLocation(a, d) })) }) + '\n');
    else io.err(`${file}: ${errors} error${errors === 1 ? '' : 's'}; nothing written\n`);
    return 1;
  }
  const out = path.resolve(io.cwd, optString(p, 'output') ?? src.replace(/\.dnnasm$/i, '') + '.dnnbin');
  writeFileAtomic(out, bytesFromWords(a.program.words));
  const words = a.program.words.length;
  if (json)
    io.out(JSON.stringify({ ok: true, arch: a.program.arch.name, instructions: a.program.instrs.length, words, bytes: words * 4, layers: a.program.layers.length, output: out }) + '\n');
  else io.out(`${displayPath(io, out)}: ${a.program.instrs.length} instructions, ${words} words (${words * 4} bytes) for ${a.program.arch.name}\n`);
  return 0;
}

export function runDisasm(p: ParsedArgs, io: CliIO): number {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError('usage: dnnvm disasm FILE.dnnbin [-o FILE.dnnasm] [--arch A]');
  const src = path.resolve(io.cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(src);
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const archName = optString(p, 'arch') ?? 'ZU9';
  const arch = resolveArch(archName, io.cwd);
  const { words, error } = wordsFromBytes(bytes);
  const r = disassemble(words, arch, archName);
  for (const e of r.errors) printLocated(io, 'error', e.message, { file: displayPath(io, src) });
  if (error) printLocated(io, 'error', error, { file: displayPath(io, src) });
  const failed = r.errors.length > 0 || error !== undefined;
  const outPath = optString(p, 'output');
  if (failed) {
    io.err(`${file}: ${r.errors.length + (error ? 1 : 0)} error(s); ${outPath ? 'nothing written' : 'nothing printed'}\n`);
    return 1;
  }
  if (outPath) {
    const out = path.resolve(io.cwd, outPath);
    writeFileAtomic(out, r.text);
    io.out(`${displayPath(io, out)}: ${r.instrs.length} instructions\n`);
  } else io.out(r.text);
  return 0;
}
