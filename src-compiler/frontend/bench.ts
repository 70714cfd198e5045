// Frontend benchmarks (not tests): import times against the budgets of issue 4, median of several runs
// after a warm-up. The shared models are read from ../shared/models beside the repository.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardByName } from '../arch/presets';
import { canonicalize } from '../passes/canonicalize';
import { row, timeRuns, type BenchRow, type Timing } from '../bench/types';
import { importCaffeFile } from './caffe/import';
import { importOnnxFile } from './onnx/import';

export function sharedModelsDir(): string {
  // From src-compiler/frontend (tsx) or dist/ (bundle): the repository root holds package.json.
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.resolve(dir, '..', 'shared', 'models');
}

const GROUP = 'Frontends';

export async function benchFrontends(quick = false): Promise<BenchRow[]> {
  const runs = quick ? 3 : 7;
  const models = sharedModelsDir();
  if (!fs.existsSync(models)) throw new Error(`shared models not found at ${models}`);
  const out: BenchRow[] = [];
  const resnet = path.join(models, 'caffe', 'resnet50.prototxt');
  out.push(row(GROUP, 'import ResNet-50 (Caffe prototxt): parse, XGraph, shape inference', await timeRuns(runs, () => importCaffeFile(resnet)), 'ms', { text: '<= 100 ms', max: 100 }));
  const onnx = [
    'onnx/mnist8/model.onnx',
    'onnx/cifar10_cnn_winml.onnx',
    'onnx/ultraface_slim_320_simplified.onnx',
    ...fs.readdirSync(path.join(models, 'onnx', 'light')).filter((f) => f.endsWith('.onnx')).map((f) => `onnx/light/${f}`),
  ];
  let worst: { t: Timing; rel: string } | undefined;
  for (const rel of onnx) {
    const t = await timeRuns(runs, () => importOnnxFile(path.join(models, rel)));
    if (!worst || t.median > worst.t.median) worst = { t, rel };
  }
  out.push(row(GROUP, `import the slowest of ${onnx.length} shared ONNX models (${worst!.rel})`, worst!.t, 'ms', { text: '<= 200 ms', max: 200 }));
  const g = importCaffeFile(resnet);
  const arch = boardByName('ZU9')!;
  out.push(row(GROUP, 'canonicalize ResNet-50 (fold BN, FC as conv, partition)', await timeRuns(Math.max(3, runs >> 1), () => canonicalize(g, arch)), 'ms'));
  return out;
}
