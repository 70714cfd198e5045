// Files a model or a program names (ONNX external data, a program's `.ddr file=` and `.arch "file"`)
// are read only from inside the naming file's folder: a file someone sends must not make the tool read
// ~/.ssh or /etc. Absolute paths are refused, `..` may not climb out, and symbolic links are followed
// before the check, so a link inside the folder pointing outside it is refused too.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, type SourceLocation } from './errors';

/**
 * The real path of `ref` as named by a file in `dir`, if it lies inside `dir`; a UserError saying what
 * was refused and what to do otherwise. `what` names the reference for the message ("external data
 * file", "region input: file=").
 */
export function resolveInside(dir: string, ref: string, what: string, at: SourceLocation = {}): string {
  if (path.isAbsolute(ref) || /^[A-Za-z]:[\\/]/.test(ref))
    throw new UserError(`${what} '${ref}' is an absolute path; only files inside ${dir} are read: name it relative to that folder`, at);
  let base: string;
  try {
    base = fs.realpathSync(dir);
  } catch {
    base = path.resolve(dir);
  }
  const target = path.resolve(base, ref);
  const inside = (p: string) => p === base || p.startsWith(base + path.sep);
  if (!inside(target)) throw new UserError(`${what} '${ref}' is outside ${dir}; only files inside that folder are read: copy it there`, at);
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${what} '${ref}' ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`} in ${dir}`, at);
  }
  if (!inside(real)) throw new UserError(`${what} '${ref}' is a link to ${real}, outside ${dir}; only files inside that folder are read: copy the file there`, at);
  return real;
}
