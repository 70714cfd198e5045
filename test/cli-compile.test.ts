// `dnnvm compile` and `dnnvm validate` end to end through main(): the BRIEF section 5 contract (JSON
// keys, exit codes), the package it writes, and that no hand edit and no existing file is ever lost.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedModel } from './support/models';
import { runCli } from './support/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cli-compile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCli(args, dir);

const lenet = sharedModel('caffe/lenet.prototxt');

describe('dnnvm compile', () => {
  it('writes the package and prints the per-layer table and totals', async () => {
    const r = await run(['compile', lenet, '--arch', 'ZU2', '-o', 'pkg']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^layer +group +ops +cycles +latency +ops\/s +roofline +bound/);
    expect(r.out).toMatch(/total: [\d,]+ cycles = [\d.]+ ms per image, [\d.]+ images\/s/);
    for (const f of ['lenet.dnnasm', 'lenet.dnnbin', 'lenet.weights.bin', 'lenet.input.bin', 'lenet.manifest.json']) expect(fs.existsSync(path.join(dir, 'pkg', f)), f).toBe(true);
  });

  it('--json prints one document with the contract keys', async () => {
    const r = await run(['compile', lenet, '--arch', 'ZU9', '--naive', '-o', 'pkg-naive', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ arch: 'ZU9', mode: 'naive', cores: 3 });
    expect(j.layers.length).toBeGreaterThan(0);
    expect(Object.keys(j.layers[0])).toEqual(expect.arrayContaining(['name', 'group', 'ops', 'cycles', 'seconds', 'opsPerSecond', 'rooflineFraction', 'bound']));
  });

  it('--batch N counts N images per run; its copies run side by side unless --no-parallel', async () => {
    const r = await run(['compile', lenet, '--arch', 'ZU9', '--batch', '2', '-o', 'pkg-batch', '--no-golden']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/total: [\d,]+ cycles per run of 2 images = [\d.]+ ms per image/);
    expect(fs.readFileSync(path.join(dir, 'pkg-batch', 'lenet.dnnasm'), 'utf8')).toMatch(/^\.batch 2 /m);
    const j = JSON.parse((await run(['compile', lenet, '--arch', 'ZU9', '--batch', '2', '-o', 'pkg-batch', '--no-golden', '--json'])).out);
    expect(j.batch).toBe(2);
    expect(j.parallelGroups.length).toBeGreaterThan(0);
    const apart = JSON.parse((await run(['compile', lenet, '--arch', 'ZU9', '--batch', '2', '--no-parallel', '-o', 'pkg-apart', '--no-golden', '--json'])).out);
    expect(apart.parallelGroups).toEqual([]);
    expect(apart.cycles).toBeGreaterThan(j.cycles);
    const bad = await run(['compile', lenet, '--batch', '0', '-o', 'pkg-bad']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--batch must be a whole number of images from 1 to 64, got '0'/);
  });

  it('keeps a hand-edited assembly: refuses to compile over it, names the file and what to do; --force replaces it', async () => {
    const asm = path.join(dir, 'pkg', 'lenet.dnnasm');
    const edited = fs.readFileSync(asm, 'utf8').replace('\n', '\n; tuned by hand\n');
    fs.writeFileSync(asm, edited);
    const before = fs.readdirSync(path.join(dir, 'pkg')).map((f) => [f, fs.readFileSync(path.join(dir, 'pkg', f)).toString('base64')]);
    const r = await run(['compile', lenet, '--arch', 'ZU2', '-o', 'pkg']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pkg\/lenet\.dnnasm.*differs from the assembly dnnvm wrote there \(it was edited since\); it is not replaced\..*--force/);
    // Nothing in the package changed.
    expect(fs.readdirSync(path.join(dir, 'pkg')).map((f) => [f, fs.readFileSync(path.join(dir, 'pkg', f)).toString('base64')])).toEqual(before);
    const forced = await run(['compile', lenet, '--arch', 'ZU2', '-o', 'pkg', '--force']);
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(asm, 'utf8')).not.toContain('tuned by hand');
  });

  it('a failed compile leaves the existing package untouched and says what is wrong, where', async () => {
    const bad = path.join(dir, 'lenet.prototxt');
    fs.writeFileSync(bad, fs.readFileSync(lenet, 'utf8').replace('num_output: 20', 'num_output: twenty'));
    fs.mkdirSync(path.join(dir, 'bad'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'pkg', 'lenet.dnnasm'), path.join(dir, 'bad', 'lenet.dnnasm'));
    const r = await run(['compile', bad, '-o', 'bad', '--force']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/lenet\.prototxt:\d+:\d+: error: /);
    expect(fs.readdirSync(path.join(dir, 'bad'))).toEqual(['lenet.dnnasm']);
  });
});

describe('dnnvm validate', () => {
  it('reports bit-exactness against the integer reference and agreement with float', async () => {
    const r = await run(['validate', lenet, '--arch', 'ZU2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.bitExact).toBe(true);
    expect(j.mismatches).toEqual([]);
    expect(j.layersChecked).toBeGreaterThan(2);
    expect(j.float.outputs[0].cosine).toBeGreaterThan(0.9);
  });
});
