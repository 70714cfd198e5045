// Functional simulation of whole compiled models next to onnxruntime-node on the same model in the
// same run (`dnnvm bench`). The simulator runs the INT8 program bit for bit (compile/runtime.ts:
// DPU segments on the functional simulator, host steps on the integer reference); onnxruntime runs the
// float ONNX model on the CPU. Both are given the model's multiply-accumulates, so that the ratio of
// their MAC/s is the ratio of their times.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { boardByName } from '../arch/presets';
import { compileQuantized } from '../compile/compile';
import { runCompiled } from '../compile/runtime';
import { loadModel } from '../frontend/load';
import { sharedModelsDir } from '../frontend/bench';
import { generatedSamples } from '../quant/calibration';
import { quantizedFor } from './compile-bench';
import { rateRow, timeRuns, timeRunsCpu, type BenchContext, type BenchRow, type SectionResult } from './types';

const GROUP = 'Functional simulation of whole models vs onnxruntime-node';

const MODELS = [
  { label: 'CIFAR-10 CNN (real weights)', file: 'onnx/cifar10_cnn_winml.onnx', quick: true },
  { label: 'SqueezeNet 1.1, 224x224 (ONNX light model: weights generated here, constant in onnxruntime)', file: 'onnx/light/light_squeezenet.onnx', quick: false },
];

/** The minimal slice of onnxruntime-node's API used here. */
interface Ort {
  InferenceSession: { create(file: string, opts: Record<string, unknown>): Promise<{ run(feeds: Record<string, unknown>): Promise<unknown> }> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * onnxruntime-node from the repository's node_modules, or why not. It is a native module (and a
 * devDependency), so it is loaded at run time rather than bundled into dist/cli.js.
 */
export function loadOnnxRuntime(): { ort?: Ort; error?: string } {
  try {
    const req = createRequire(path.join(repoRoot(), 'package.json'));
    return { ort: req('onnxruntime-node') as Ort };
  } catch (e) {
    return { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
  }
}


export async function benchRuntime(quick: boolean, ctx: BenchContext): Promise<SectionResult> {
  const runs = quick ? 3 : 5;
  const arch = boardByName('ZU9')!;
  const dir = sharedModelsDir();
  const { ort, error } = loadOnnxRuntime();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  if (!ort) notes.push(`onnxruntime-node cannot be loaded here (${error}); only the simulator's figures are given, no ratio.`);

  for (const m of MODELS.filter((x) => !quick || x.quick)) {
    const file = path.join(dir, m.file);
    if (!fs.existsSync(file)) {
      notes.push(`${m.file} is not in ../shared/models; not run.`);
      continue;
    }
    ctx.log(`  ${m.file}`);
    const g = loadModel(file);
    const { q } = quantizedFor(file, g, arch);
    const c = compileQuantized(file, g, q, { arch });
    const input = generatedSamples(q.graph, 1, 7)[0]!;
    // The model's multiply-accumulates (what the DPU program computes), the same count for both.
    const macs = c.lowered.ops.reduce((s, o) => s + o.ops, 0) / 2;
    let executed = 0;
    let problems = 0;
    const sim = await timeRunsCpu(runs, () => {
      const r = runCompiled(c, input);
      executed = r.macs;
      problems = r.problems.filter((p) => p.severity === 'error').length;
    });
    if (problems) notes.push(`${m.file}: the functional simulator reports ${problems} error(s) on the compiled program.`);
    rows.push(
      rateRow(
        GROUP, `${m.label}: functional simulation, compiled for ZU9 (runtime: DPU segments bit-exact with race checks, host steps on the integer reference)`,
        macs,
        sim,
        'MAC/s',
        { text: '>= 1 GMAC/s', min: 1e9 },
        `${(macs / 1e6).toFixed(1)} M model MACs (${(executed / 1e6).toFixed(1)} M executed by the MAC array, padding included), ${sim.median.toFixed(0)} ms wall, ${sim.cpuMs.toFixed(0)} ms CPU per run, one thread`,
      ),
    );
    if (!ort) continue;
    try {
      const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 });
      const feeds: Record<string, unknown> = {};
      for (const name of g.inputs) feeds[name] = new ort.Tensor('float32', input.get(name)!, g.tensors.get(name)!.shape);
      const t = await timeRuns(runs, () => session.run(feeds));
      rows.push(rateRow(GROUP, `${m.label}: onnxruntime-node on the CPU (float32, one thread)`, macs, t, 'MAC/s', undefined, `the same ONNX file and input, ${t.median.toFixed(1)} ms per run`));
      // Time over time (the MAC/s ratio inverted), so that the figure reads as "N times as long".
      const ratio = sim.median / t.median;
      rows.push({
        group: GROUP,
        name: `${m.label}: functional simulation time over onnxruntime-node time`,
        value: ratio,
        unit: 'x',
        runs,
        detail: `ratio of the medians: the bit-exact simulator's MAC/s are ${(100 / ratio).toFixed(2)}% of onnxruntime's on this model`,
      });
    } catch (e) {
      notes.push(`onnxruntime-node does not run ${m.file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  return {
    rows,
    notes: [
      {
        group: GROUP,
        text:
          `Median of ${runs} runs after a warm-up; the min and max columns are the rates of the slowest and fastest runs. Both sides are one thread on the same input (seeded, uniform in [-1, 1]); the simulator's time includes filling the DDR image and the host steps. ` +
          (notes.length ? notes.join(' ') : ''),
      },
    ],
  };
}
