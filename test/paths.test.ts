// Files a program names are read only from inside its folder (util/paths.ts): `.ddr file=` and
// `.arch "file"` with `../` traversal, absolute paths and symbolic links. (ONNX external data: the
// frontend's own tests.)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../src-compiler/util/paths';
import { UserError } from '../src-compiler/util/errors';
import { runCli } from './support/cli';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-paths-'));
const prog = path.join(root, 'prog');
const outside = path.join(root, 'secret');
fs.mkdirSync(prog);
fs.mkdirSync(outside);
fs.writeFileSync(path.join(outside, 'data.bin'), Buffer.alloc(16, 7));
fs.writeFileSync(path.join(prog, 'data.bin'), Buffer.alloc(16, 1));
fs.symlinkSync(path.join(outside, 'data.bin'), path.join(prog, 'link.bin'));
fs.writeFileSync(path.join(outside, 'arch.json'), fs.readFileSync(path.join(__dirname, '..', 'dist', 'arch.schema.json')));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (args: string[]) => runCli(args, prog);

const program = (file: string) => `.arch ZU9\n.ddr input reg=0 size=16 file=${JSON.stringify(file)}\n    LOAD bank_addr=0 bank_id=VB0[0] jump_write=1 jump_read=16 length=1 channel=16 reg_id=input ddr_addr=input\n    END\n`;

describe('a program reads only files inside its folder', () => {
  it('reads a region file beside it', async () => {
    fs.writeFileSync(path.join(prog, 'ok.dnnasm'), program('data.bin'));
    const r = await run(['run', 'ok.dnnasm']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  for (const [what, ref, message] of [
    ['../ traversal', '../secret/data.bin', /region input: file= '\.\.\/secret\/data\.bin' is outside .*prog; only files inside that folder are read/],
    ['an absolute path', path.join(outside, 'data.bin'), /region input: file= '.*secret\/data\.bin' is an absolute path/],
    ['a symbolic link out of the folder', 'link.bin', /region input: file= 'link\.bin' is a link to .*secret\/data\.bin, outside/],
  ] as const)
    it(`refuses ${what} in .ddr file=, naming the line`, async () => {
      fs.writeFileSync(path.join(prog, 'bad.dnnasm'), program(ref));
      const r = await run(['run', 'bad.dnnasm']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/bad\.dnnasm:2:1: error: /);
      expect(r.err).toMatch(message);
    });

  it('refuses an architecture file outside the folder', async () => {
    fs.writeFileSync(path.join(prog, 'arch.dnnasm'), `.arch "../secret/arch.json"\n    END\n`);
    const r = await run(['asm', 'arch.dnnasm']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/architecture file '\.\.\/secret\/arch\.json' is outside/);
  });
});

describe('resolveInside', () => {
  it('accepts nested paths and refuses every way out', () => {
    fs.mkdirSync(path.join(prog, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(prog, 'sub', 'x.bin'), '');
    expect(resolveInside(prog, 'sub/x.bin', 'f')).toBe(fs.realpathSync(path.join(prog, 'sub', 'x.bin')));
    expect(resolveInside(prog, 'sub/../data.bin', 'f')).toBe(fs.realpathSync(path.join(prog, 'data.bin')));
    for (const ref of ['../secret/data.bin', 'sub/../../secret/data.bin', '/etc/passwd', 'link.bin', 'missing.bin']) expect(() => resolveInside(prog, ref, 'f'), ref).toThrow(UserError);
  });
});
