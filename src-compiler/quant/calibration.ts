// Calibration inputs: files the user gives, or generated ones.
//
// Files: one per graph input and sample, either an ONNX TensorProto (.pb, as in ONNX test data) or raw
// little-endian float32 (.f32 / .bin) with exactly the input's element count. Generated inputs are
// seeded uniform values in a range (default [-1, 1], the range normalized image inputs use).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnxType, type PbTensor } from '../frontend/onnx/schema';
import { readTensor } from '../frontend/onnx/tensor';
import { UserError } from '../util/errors';
import { numel, shapeText } from '../xgraph/shapes';
import type { XGraph } from '../xgraph/types';
import { rng, seedFor } from '../xgraph/weights';

export type Sample = Map<string, Float32Array>;

/** Read one input tensor for `inputName` from a file. */
export function readInputFile(g: XGraph, inputName: string, file: string): Float32Array {
  const t = g.tensors.get(inputName);
  if (!t || t.kind !== 'input') throw new UserError(`'${inputName}' is not a graph input (inputs: ${g.inputs.join(', ')})`, { file });
  const n = numel(t.shape);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`cannot read input: ${(e as Error).message}`, { file });
  }
  if (path.extname(file).toLowerCase() === '.pb') {
    let pb: PbTensor;
    try {
      pb = onnxType('TensorProto').decode(bytes) as unknown as PbTensor;
    } catch (e) {
      throw new UserError(`not a valid TensorProto: ${(e as Error).message}`, { file });
    }
    const v = readTensor(pb, file, `input tensor in ${path.basename(file)}`);
    if (v.dtype !== 'float32' || numel(v.shape) !== n)
      throw new UserError(`holds ${v.dtype} ${shapeText(v.shape)}; input '${inputName}' is float32 ${shapeText(t.shape)}`, { file });
    return v.data as Float32Array;
  }
  if (bytes.length !== 4 * n) throw new UserError(`has ${bytes.length} bytes; input '${inputName}' ${shapeText(t.shape)} needs ${4 * n} (raw little-endian float32)`, { file });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

/** One sample per file for a single-input graph. */
export function samplesFromFiles(g: XGraph, files: readonly string[]): Sample[] {
  if (g.inputs.length !== 1) throw new UserError(`the model has ${g.inputs.length} inputs; give calibration samples per input`);
  return files.map((f) => new Map([[g.inputs[0]!, readInputFile(g, g.inputs[0]!, f)]]));
}

/** `count` seeded samples, uniform in [lo, hi). The same seed gives the same samples everywhere. */
export function generatedSamples(g: XGraph, count: number, seed: number, lo = -1, hi = 1): Sample[] {
  return Array.from({ length: count }, (_, k) => {
    const m: Sample = new Map();
    for (const name of g.inputs) {
      const r = rng(seedFor(seed + k, name));
      const n = numel(g.tensors.get(name)!.shape);
      m.set(name, Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
    }
    return m;
  });
}
