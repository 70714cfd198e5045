// Frontend benchmarks (not tests): import times against the budgets of issue 4, median of several runs
// after a warm-up. The shared models are read from ../shared/models beside the repository.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { boardByName } from '../arch/presets';
import { canonicalize } from '../passes/canonicalize';
import { importCaffeFile } from './caffe/import';
import { importOnnxFile } from './onnx/import';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  budget?: string;
  met?: boolean;
  detail?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(f: () => unknown, runs: number): number {
  f(); // warm-up: JIT and file cache
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

export function sharedModelsDir(): string {
  // From src-compiler/frontend (tsx) or dist/ (bundle): the repository root holds package.json.
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.resolve(dir, '..', 'shared', 'models');
}

export async function benchFrontends(runs = 7): Promise<BenchResult[]> {
  const models = sharedModelsDir();
  if (!fs.existsSync(models)) return [{ name: 'frontend imports', value: NaN, unit: 'ms', detail: `shared models not found at ${models}` }];
  const out: BenchResult[] = [];
  const resnet = path.join(models, 'caffe', 'resnet50.prototxt');
  const ms = timeMs(() => importCaffeFile(resnet), runs);
  out.push({ name: 'import ResNet-50 (Caffe prototxt)', value: ms, unit: 'ms', budget: '<= 100 ms', met: ms <= 100, detail: `median of ${runs}: parse, XGraph, shape inference (weights generated lazily)` });
  const onnx = [
    'onnx/mnist8/model.onnx',
    'onnx/cifar10_cnn_winml.onnx',
    'onnx/ultraface_slim_320_simplified.onnx',
    ...fs.readdirSync(path.join(models, 'onnx', 'light')).filter((f) => f.endsWith('.onnx')).map((f) => `onnx/light/${f}`),
  ];
  let worst = 0;
  let worstName = '';
  for (const rel of onnx) {
    const t = timeMs(() => importOnnxFile(path.join(models, rel)), runs);
    if (t > worst) {
      worst = t;
      worstName = rel;
    }
  }
  out.push({ name: 'import slowest shared ONNX model', value: worst, unit: 'ms', budget: '<= 200 ms', met: worst <= 200, detail: `${worstName}; median of ${runs} per model over ${onnx.length} models` });
  const g = importCaffeFile(resnet);
  const arch = boardByName('ZU9')!;
  const canon = timeMs(() => canonicalize(g, arch), Math.max(3, Math.floor(runs / 2)));
  out.push({ name: 'canonicalize ResNet-50 (fold BN, FC as conv, partition)', value: canon, unit: 'ms', detail: 'generated weights stay lazy (BatchNorm folds into a per-channel factor of their generator)' });
  return out;
}
