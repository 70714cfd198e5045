// Compiled program packages for tests, cached under .cache/test-packages: compiling ResNet-50 takes
// ~15 s (calibration), so a package is compiled once per (model, compiler sources) and reused by every
// later run. Any change to the compiler's sources makes a new one.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveArch } from '../../src-compiler/arch/load';
import { compileModel } from '../../src-compiler/compile/compile';
import { packageFiles, writePackage, type PackageFiles } from '../../src-compiler/compile/package';

const root = path.join(__dirname, '..', '..');

/** Hash of the sources a package depends on (the library without the editor layer and tests). */
function compilerHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'ide' && e.name !== 'cli' && e.name !== 'bench') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) h.update(p.slice(root.length)).update(fs.readFileSync(p));
    }
  };
  walk(path.join(root, 'src-compiler'));
  return h.digest('hex');
}

export interface TestPackage extends PackageFiles {
  readonly dir: string;
  readonly name: string;
}

/** The package of `model` for `arch` (golden checksums included), compiled now or taken from the cache. */
export function compiledPackage(model: string, arch = 'ZU9'): TestPackage {
  const name = path.basename(model).replace(/\.(onnx|prototxt)$/i, '');
  const key = createHash('sha256').update(fs.readFileSync(model)).update(arch).update(compilerHash()).digest('hex').slice(0, 16);
  const dir = path.join(root, '.cache', 'test-packages', `${name}-${arch}-${key}`);
  const files = packageFiles(dir, name);
  if (!fs.existsSync(files.manifest)) {
    // Compile into a folder of our own and rename it into place: parallel test files never see half a package.
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    const c = compileModel(model, { arch: resolveArch(arch) });
    writePackage(c, tmp, name, { golden: true });
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(files.manifest)) throw new Error(`could not place the compiled package at ${dir}`);
    }
  }
  return { ...files, dir, name };
}
