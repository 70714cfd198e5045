// Validation: run a compiled model on a seeded input in the functional simulator and compare, layer by
// layer, with the integer reference (bit for bit), and the outputs with the float reference.

import { runFloat } from '../ref/float';
import { runInt8, floatOf, type IntResult } from '../ref/int8';
import { generatedSamples } from '../quant/calibration';
import type { SimProblem } from '../sim/program';
import type { Compiled } from './compile';
import { hwcToNchw, readFmap, runCompiled } from './runtime';
import { layerOutputNodes } from './emit';

export interface LayerMismatch {
  readonly layer: string;
  readonly tensor: string;
  /** Differing bytes, of how many. */
  readonly differing: number;
  readonly total: number;
  /** First differing element: [channel, row, column], with the values. */
  readonly first: { readonly c: number; readonly y: number; readonly x: number; readonly got: number; readonly want: number };
}

export interface Validation {
  readonly bitExact: boolean;
  readonly layersChecked: number;
  readonly mismatches: LayerMismatch[];
  readonly problems: SimProblem[];
  /** Against the float reference, where there is one (per output, and overall). */
  readonly float?: { readonly cosine: number; readonly top1Agree: boolean; readonly outputs: { name: string; cosine: number; top1Agree: boolean }[] };
  readonly macs: number;
  readonly seconds: number;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb || 1);
}

function argmax(a: Float32Array): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i;
  return k;
}

export interface ValidateOptions {
  readonly seed?: number;
  readonly withFloat?: boolean;
  readonly isCancelled?: () => boolean;
  /** The integer reference's values on the seeded input, when the caller already has them (they
   * depend only on the quantized graph and the seed, not on the code). */
  readonly golden?: ReadonlyMap<string, IntResult>;
}

export function validateCompiled(c: Compiled, opts: ValidateOptions = {}): Validation {
  const t0 = performance.now();
  const g = c.q.graph;
  const input = generatedSamples(g, 1, opts.seed ?? 7)[0]!;
  const golden = opts.golden ?? runInt8(c.q, input, { keepAll: true });
  const mismatches: LayerMismatch[] = [];
  let layersChecked = 0;
  const lg = c.lowered;
  const run = runCompiled(c, input, {
    ...(opts.isCancelled ? { isCancelled: opts.isCancelled } : {}),
    onLayer: (seg, k, ddr) => {
      const layer = seg.layers[k]!;
      layersChecked++;
      // What the layer leaves in DDR: its last node's output (a fused group's intermediates stay on
      // chip), or each group's when two run at the same time.
      for (const node of layerOutputNodes(layer)) {
        const op = lg.ops.find((o) => o.node.name === node);
        if (!op || op.kind === 'host') continue;
        const f = lg.fmaps.get(op.output)!;
        const place = c.ddr.places.get(op.output);
        const want = golden.get(op.output)?.int8;
        if (!place || !want) continue;
        const got = hwcToNchw(readFmap(ddr, place, f), f);
        let differing = 0;
        let first = -1;
        for (let i = 0; i < want.length; i++)
          if (got[i] !== want[i]) {
            differing++;
            if (first < 0) first = i;
          }
        if (differing) {
          const hw = f.h * f.w;
          mismatches.push({
            layer: layer.name,
            tensor: op.output,
            differing,
            total: want.length,
            first: { c: Math.floor(first / hw), y: Math.floor((first % hw) / f.w), x: first % f.w, got: got[first]!, want: want[first]! },
          });
        }
      }
    },
  });
  // Final outputs against the integer reference too (host outputs included).
  for (const o of g.outputs) {
    const got = run.outputs.get(o)!;
    const want = golden.get(o)!;
    const a = got.int8 ?? floatOf(got);
    const b = want.int8 ?? want.float;
    let diff = a.length !== b.length ? Math.max(a.length, b.length) : 0;
    let first = -1;
    for (let i = 0; i < Math.min(a.length, b.length); i++)
      if (a[i] !== b[i]) {
        diff++;
        if (first < 0) first = i;
      }
    if (diff && !mismatches.some((m) => m.tensor === o)) mismatches.push({ layer: '(model output)', tensor: o, differing: diff, total: b.length, first: { c: first, y: 0, x: 0, got: Number(a[first]), want: Number(b[first]) } });
  }
  let float: Validation['float'];
  if (opts.withFloat !== false) {
    const ref = runFloat(g, input);
    const outs = g.outputs.map((o) => {
      const a = floatOf(run.outputs.get(o)!);
      const b = ref.get(o)!.data;
      return { name: o, cosine: cosine(a, b), top1Agree: argmax(a) === argmax(b) };
    });
    float = { cosine: Math.min(...outs.map((x) => x.cosine)), top1Agree: outs.every((x) => x.top1Agree), outputs: outs };
  }
  const errors = run.problems.filter((p) => p.severity === 'error');
  return { bitExact: mismatches.length === 0 && errors.length === 0, layersChecked, mismatches, problems: run.problems, ...(float ? { float } : {}), macs: run.macs, seconds: (performance.now() - t0) / 1000 };
}
