// `dnnvm import` end to end: through main() with captured output, and through the built bundle
// (bin/dnnvm.js -> dist/cli.js), which must carry the protobuf schemas with it.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedModel } from './support/models';
import { runCli } from './support/cli';

const root = path.join(__dirname, '..');

const run = (args: string[]) => runCli(args, root);

describe('dnnvm import', () => {
  it('--json has the contract keys (BRIEF section 5)', async () => {
    const r = await run(['import', sharedModel('caffe/resnet50.prototxt'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.inputs).toEqual([{ name: 'data', shape: [1, 3, 224, 224] }]);
    expect(j.outputs).toEqual([{ name: 'prob', shape: [1, 1000] }]);
    expect(j.nodes).toBe(74);
    expect(j.ops).toEqual({ conv: 54, pool: 2, add: 16, reshape: 1, softmax: 1 });
    expect(j.cpuNodes.map((c: { op: string }) => c.op).sort()).toEqual(['reshape', 'softmax']);
    expect(j.generatedWeights).toBe(true);
  });
  it('prints a summary, and the XGraph with --dump', async () => {
    const r = await run(['import', sharedModel('onnx/mnist8/model.onnx'), '--dump']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/canonical XGraph for ZU9: 6 nodes \(5 DPU, 1 CPU\)/);
    expect(r.out).toMatch(/%Plus214_Output_0 = reshape\(/);
  });
  it('reports bad input as path:line:col: error, exit 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cli-'));
    const f = path.join(dir, 'bad.prototxt');
    fs.writeFileSync(f, 'input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\nlayer { name: "x" type: "Mystery" bottom: "data" top: "x" }\n');
    const r = await run(['import', f]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${f}:6:1: error: Mystery 'x': unknown layer type 'Mystery'; supported: Input, Convolution, Deconvolution, Pooling, ReLU, Sigmoid, Eltwise, Concat, BatchNorm, Scale, InnerProduct, Dropout, Softmax, LRN, Flatten, Reshape, Split\n`);
    const t = path.join(dir, 'cut.onnx');
    fs.writeFileSync(t, fs.readFileSync(sharedModel('onnx/mnist8/model.onnx')).subarray(0, 5000));
    const r2 = await run(['import', t]);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(new RegExp(`^${t.replace(/[.]/g, '\\.')}: error: not a valid ONNX model`));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the CLI as an esbuild CJS bundle (as dist/cli.js is built)', () => {
  // Bundled into a temporary folder with the build's options, so the test never races other users of dist/.
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-bundle-')), 'cli.js');
  beforeAll(async () => {
    await esbuild.build({ entryPoints: [path.join(root, 'src-compiler/cli/main.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
  });
  it('imports an ONNX and a Caffe model', () => {
    const runner = `require(${JSON.stringify(out)}).main(process.argv.slice(1)).then((c) => process.exit(c))`;
    for (const m of [sharedModel('onnx/ultraface_slim_320_simplified.onnx'), sharedModel('caffe/bvlc_googlenet.prototxt')]) {
      const r = spawnSync(process.execPath, ['-e', runner, 'import', m, '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.outputs.length).toBeGreaterThan(0);
    }
  });
});
