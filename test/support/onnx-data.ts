// Reading ONNX test cases in the standard layout (model.onnx + test_data_set_N/{input,output}_K.pb)
// and comparing results with tolerances.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnxType, type PbTensor } from '../../src-compiler/frontend/onnx/schema';
import { readTensor, type OnnxTensorValue } from '../../src-compiler/frontend/onnx/tensor';

export function readPb(file: string): OnnxTensorValue & { name: string } {
  const t = onnxType('TensorProto').decode(fs.readFileSync(file)) as unknown as PbTensor;
  return { ...readTensor(t, file), name: t.name };
}

export interface DataSet {
  readonly dir: string;
  readonly inputs: (OnnxTensorValue & { name: string })[];
  readonly outputs: (OnnxTensorValue & { name: string })[];
}

export function dataSets(testDir: string): DataSet[] {
  return fs
    .readdirSync(testDir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => {
      const dir = path.join(testDir, d);
      const list = (prefix: string) =>
        fs
          .readdirSync(dir)
          .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
          .sort((a, b) => Number(a.replace(/\D/g, '')) - Number(b.replace(/\D/g, '')))
          .map((f) => readPb(path.join(dir, f)));
      return { dir, inputs: list('input_'), outputs: list('output_') };
    });
}

/** First element where |a - e| > atol + rtol |e| (NaN matches NaN), or undefined. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): { index: number; actual: number; expected: number } | undefined {
  if (actual.length !== expected.length) return { index: -1, actual: actual.length, expected: expected.length };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return { index: i, actual: a, expected: e };
  }
  return undefined;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb);
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
