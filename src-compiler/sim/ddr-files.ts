// The DDR image of a program on disk: each `.ddr` region's `file=` is read relative to the program's
// folder, and a caller (the CLI's --input, a package loader) may supply any region's bytes by name.
// Sizes must match exactly: a file that is too short or too long means the program and its data
// disagree, which is reported, never padded or cut.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { resolveInside } from '../util/paths';
import { DdrImage } from './memory';
import type { SimProgram, SimRegion } from './program';

export interface SuppliedRegion {
  readonly bytes: Uint8Array;
  /** Where the bytes came from, for messages (e.g. "--input x.bin"). */
  readonly origin: string;
}

export function loadDdrImage(p: SimProgram, programFile: string, supplied: ReadonlyMap<string, SuppliedRegion> = new Map()): DdrImage {
  for (const name of supplied.keys())
    if (!p.regions.some((r) => r.name === name))
      throw new UserError(`${supplied.get(name)!.origin}: the program has no DDR region named '${name}' (its regions: ${p.regions.map((r) => r.name).join(', ') || 'none'})`, { file: programFile });
  const dir = path.dirname(programFile);
  const at = (r: SimRegion) => ({ file: programFile, ...(r.line !== undefined ? { line: r.line, col: 1 } : {}) });
  return new DdrImage(p.regions, (r) => {
    const given = supplied.get(r.name);
    if (given) {
      if (given.bytes.length !== r.size)
        throw new UserError(`${given.origin} holds ${given.bytes.length} bytes, but region ${r.name} has size=${r.size}: supply exactly ${r.size} bytes`, at(r));
      return given.bytes;
    }
    if (r.file === undefined) return undefined;
    const file = resolveInside(dir, r.file, `region ${r.name}: file=`, at(r));
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new UserError(`region ${r.name}: cannot read file="${r.file}" (${file}): ${why}`, at(r));
    }
    if (bytes.length !== r.size) throw new UserError(`region ${r.name}: file="${r.file}" holds ${bytes.length} bytes, but the region has size=${r.size}: make them agree`, at(r));
    return bytes;
  });
}
