// The workspace both end-to-end runners open (code-server here, test-electron where VS Code can be
// downloaded): the fixture program unchanged, a copy with one planted error, and models to compile,
// copied from the shared models (never committed): LeNet (Caffe), MNIST (ONNX), and a LeNet with one
// planted mistake that the compiler must reject with its location.

import * as fs from 'node:fs';
import * as path from 'node:path';

// The extension-host suite is bundled elsewhere (out/), so its bundle gets the folder at build time
// (test/electron/bundle.ts defines DNNVM_FIXTURES_DIR); everywhere else it is found from this file.
const FIXTURES = process.env.DNNVM_FIXTURES_DIR || path.resolve(__dirname, '..', '..', '..', 'test-fixtures', 'programs');

/** The fixture program, copied unchanged: it assembles without a diagnostic. */
export const GOOD_FILE = 'conv3x3.dnnasm';
/** The same program with one planted error: bank VB0[9] does not exist on ZU9 (VB0 has banks 0..7). */
export const BAD_FILE = 'bad.dnnasm';
export const PLANTED = { from: 'bank_id=VB0[0]', to: 'bank_id=VB0[9]' };

export function goodProgram(): string {
  return fs.readFileSync(path.join(FIXTURES, GOOD_FILE), 'utf8');
}

export function badProgram(): string {
  const good = goodProgram();
  if (good.split(PLANTED.from).length !== 2) throw new Error(`${GOOD_FILE} must contain "${PLANTED.from}" exactly once to plant the error`);
  return good.replace(PLANTED.from, PLANTED.to);
}

// The shared models beside the repository (../shared/models), as test/support/models.ts finds them.
const SHARED_MODELS = process.env.DNNVM_SHARED_MODELS || path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'models');

/** A Caffe network, compiled with "Compile Model" from the explorer. */
export const CAFFE_MODEL = 'lenet.prototxt';
/** An ONNX model, compiled by opening it (the custom editor). */
export const ONNX_MODEL = 'mnist.onnx';
/** LeNet with a planted mistake: a layer's num_output is not a number. */
export const BROKEN_MODEL = 'broken.prototxt';
export const BROKEN = { from: 'num_output: 20', to: 'num_output: twenty' };
/** A file named .onnx that is not a model: opening it must fail cleanly. */
export const BROKEN_ONNX = 'truncated.onnx';

function sharedModel(rel: string): string {
  const p = path.join(SHARED_MODELS, rel);
  if (!fs.existsSync(p)) throw new Error(`shared model ${rel} not found at ${p}; the end-to-end tests need ../shared/models beside the repository`);
  return p;
}

export function brokenModel(): string {
  const text = fs.readFileSync(sharedModel('caffe/lenet.prototxt'), 'utf8');
  if (!text.includes(BROKEN.from)) throw new Error(`lenet.prototxt must contain "${BROKEN.from}" to plant the mistake`);
  return text.replace(BROKEN.from, BROKEN.to);
}

/** Where the compiler must place the planted mistake (1-based): the field's line and column. */
export function brokenLocation(): { line: number; col: number } {
  const lines = brokenModel().split('\n');
  const line = lines.findIndex((l) => l.includes(BROKEN.to));
  return { line: line + 1, col: lines[line]!.indexOf('num_output') + 1 };
}

/** The data files the program's `.ddr` regions name (file="..."): without them its functional check cannot run. */
export const DATA_FILES = ['conv3x3.input.bin', 'conv3x3.weights.bin', 'conv3x3.bias.bin'];

/** Create `dir` holding both programs, their data and the models. */
export function writeWorkspace(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, GOOD_FILE), goodProgram());
  fs.writeFileSync(path.join(dir, BAD_FILE), badProgram());
  for (const f of DATA_FILES) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
  fs.copyFileSync(sharedModel('caffe/lenet.prototxt'), path.join(dir, CAFFE_MODEL));
  fs.copyFileSync(sharedModel('onnx/mnist8/model.onnx'), path.join(dir, ONNX_MODEL));
  fs.writeFileSync(path.join(dir, BROKEN_MODEL), brokenModel());
  // The first 40 bytes of the MNIST model: a protobuf cut short.
  fs.writeFileSync(path.join(dir, BROKEN_ONNX), fs.readFileSync(sharedModel('onnx/mnist8/model.onnx')).subarray(0, 40));
}
