// The paper table (`dnnvm bench`): modeled throughput of VGG-16, ResNet-50, GoogLeNet and SqueezeNet
// 1.1 at 224x224 on the ZU9 and ZU2 presets, optimized and naive, from the timing simulator in the
// steady state (compile/report.ts simulateCompiled), next to the figures the DNNVM paper and Xilinx's
// PG338 publish for their hardware; the budgets of BRIEF section 4; and the per-layer plot of
// ResNet-50 on ZU9.
//
// Everything here is modeled (cycles of the timing simulator), not measured on an FPGA, and depends
// only on the program, so one simulation per configuration is the figure (no median to take).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Arch } from '../arch/model';
import { boardByName } from '../arch/presets';
import { CALIBRATION_SAMPLES, compileQuantized } from '../compile/compile';
import { simulateCompiled, type CompiledTiming, type LayerReport } from '../compile/report';
import { loadModel } from '../frontend/load';
import { sharedModelsDir } from '../frontend/bench';
import { numel } from '../xgraph/shapes';
import type { XGraph } from '../xgraph/types';
import { writeFileAtomic } from '../util/fsx';
import { quantizedFor } from './compile-bench';
import { layerLatencySvg } from './plot';
import type { BenchContext, BenchNote, BenchRow, BenchTable, SectionResult } from './types';

const GROUP = 'Modeled throughput: budgets';
const TABLE = 'Modeled throughput next to published figures';

/** Where the published figures come from (quoted as theirs, for their hardware). */
export const SOURCES = {
  dnnvm: 'DNNVM paper (Xing et al., arXiv:1902.07463): ZU9, 330 MHz',
  pg338: 'Xilinx PG338 DPU IP Product Guide v1.2 (2019-03-26), Table 11 "Performance of Different Models", 224x224',
} as const;

export interface PaperModel {
  readonly label: string;
  /** Relative to ../shared/models. */
  readonly file: string;
  /** DNNVM paper, ZU9 at 330 MHz, TOP/s. */
  readonly paperTops?: number;
  /** PG338's measured frames per second, and the name it uses. */
  readonly pg338?: { readonly name: string; readonly fps: number; readonly gops: number };
  /** BRIEF section 4 budget on the ZU9 preset, TOP/s. */
  readonly budgetTops?: number;
}

export const PAPER_MODELS: readonly PaperModel[] = [
  { label: 'VGG-16', file: 'caffe/vgg16.prototxt', paperTops: 2.82, budgetTops: 3.0 },
  { label: 'ResNet-50', file: 'caffe/resnet50.prototxt', paperTops: 1.38, pg338: { name: 'ResNet50', fps: 175, gops: 7.7 }, budgetTops: 1.6 },
  { label: 'GoogLeNet', file: 'caffe/bvlc_googlenet.prototxt', paperTops: 1.41, pg338: { name: 'Inception-v1', fps: 405, gops: 3.2 }, budgetTops: 1.6 },
  { label: 'SqueezeNet 1.1', file: 'caffe/squeezenet_v1.1.prototxt', pg338: { name: 'SqueezeNet', fps: 1048, gops: 0.698 } },
];

/** Images per run of the batched VGG-16 (`--batch`): its fully connected layers read their weights
 * once for this many images (docs/compiler.md, "Batch"). */
export const VGG_BATCH = 8;

/** DNNVM's fusion gain over unfused code, GoogLeNet (the paper's best case). */
export const PAPER_FUSION_SPEEDUP = 1.26;
/** BRIEF section 4: optimized over naive on GoogLeNet, ZU2 preset. */
export const SPEEDUP_BUDGET = 1.3;

// ---------------------------------------------------------------------------------------------------
// Pure helpers (tested).

/** How much faster the optimized program runs than the naive one: the ratio of their cycles per image. */
export function speedup(optimizedCycles: number, naiveCycles: number): number {
  return optimizedCycles > 0 ? naiveCycles / optimizedCycles : 0;
}

export interface SubsetThroughput {
  readonly layers: number;
  readonly ops: number;
  readonly cycles: number;
  /** Device ops per second over these layers alone: ops x cores over their seconds. */
  readonly opsPerSecond: number;
}

/** Throughput over a subset of the layers (their ops over their steady-state cycles), all cores. */
export function subsetThroughput(layers: readonly Pick<LayerReport, 'ops' | 'cycles'>[], cores: number, frequencyHz: number): SubsetThroughput {
  const ops = layers.reduce((s, l) => s + l.ops, 0);
  const cycles = layers.reduce((s, l) => s + l.cycles, 0);
  return { layers: layers.length, ops, cycles, opsPerSecond: cycles > 0 ? (ops * cores * frequencyHz) / cycles : 0 };
}

/**
 * The layers that are convolutions of the model: a layer (fusion group) counts when one of its nodes
 * is a convolution in the imported graph and none is a fully connected layer (Caffe InnerProduct, ONNX
 * Gemm/MatMul), which canonicalization turns into 1x1 convolutions. A pooling fused into a
 * convolution's group counts with it (its cycles cannot be told apart); pooling alone does not.
 */
export function convolutionLayers<L extends Pick<LayerReport, 'nodes'>>(layers: readonly L[], opOf: (node: string) => string | undefined): { conv: L[]; excluded: L[] } {
  const conv: L[] = [];
  const excluded: L[] = [];
  for (const l of layers) {
    const ops = l.nodes.map(opOf);
    if (ops.includes('conv') && !ops.some((o) => o === 'gemm' || o === 'matmul')) conv.push(l);
    else excluded.push(l);
  }
  return { conv, excluded };
}

const tops = (opsPerSecond: number) => opsPerSecond / 1e12;
const f2 = (v: number) => v.toFixed(2);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

// ---------------------------------------------------------------------------------------------------

interface Result {
  readonly model: PaperModel;
  readonly arch: Arch;
  readonly opt: CompiledTiming;
  readonly naive: CompiledTiming;
  readonly samples: number;
  /** Images per run of `opt` (1 unless batched). */
  readonly batch: number;
}

/** Bytes of the filters of the model's fully connected layers (int8: one byte per weight). */
function fullyConnectedBytes(g: XGraph): { bytes: number; names: string[] } {
  let bytes = 0;
  const names: string[] = [];
  for (const n of g.nodes)
    if (n.op === 'gemm' || n.op === 'matmul') {
      const w = g.tensors.get(n.inputs[1]!);
      if (w) bytes += numel(w.shape);
      names.push(n.name);
    }
  return { bytes, names };
}

export async function benchPaper(quick: boolean, ctx: BenchContext): Promise<SectionResult> {
  const dir = sharedModelsDir();
  const zu9 = boardByName('ZU9')!;
  const zu2 = boardByName('ZU2')!;
  // --quick: what the budgets need most, ResNet-50 on ZU9 (and its plot), GoogLeNet on ZU2 (the
  // optimized-over-naive budget).
  const plan: { model: PaperModel; boards: Arch[] }[] = quick
    ? [
        { model: PAPER_MODELS[1]!, boards: [zu9] },
        { model: PAPER_MODELS[2]!, boards: [zu2] },
      ]
    : PAPER_MODELS.map((model) => ({ model, boards: [zu9, zu2] }));
  const results: Result[] = [];
  const rows: BenchRow[] = [];
  const notes: BenchNote[] = [];
  let vgg: { g: XGraph; opt: CompiledTiming } | undefined;
  // VGG-16's graph for the notes (its fully connected filters), even when --quick does not model it;
  // importing is cheap (generated weights are made when first read).
  const vggFile = path.join(dir, PAPER_MODELS[0]!.file);
  const vggGraph = fs.existsSync(vggFile) ? loadModel(vggFile) : undefined;
  let plotted = '';

  for (const { model, boards } of plan) {
    const file = path.join(dir, model.file);
    if (!fs.existsSync(file)) {
      notes.push({ group: TABLE, text: `${model.label}: ${model.file} is not in ../shared/models; not modeled.` });
      continue;
    }
    const g = loadModel(file);
    for (const arch of boards) {
      ctx.log(`  ${model.label} on ${arch.name}`);
      try {
        const { q, samples } = quantizedFor(file, g, arch, quick ? 1 : CALIBRATION_SAMPLES);
        const opt = simulateCompiled(compileQuantized(file, g, q, { arch }));
        const naive = simulateCompiled(compileQuantized(file, g, q, { arch, naive: true }));
        results.push({ model, arch, opt, naive, samples, batch: 1 });
        if (model.label === 'VGG-16' && arch === zu9) {
          vgg = { g, opt };
          // The same program with its fully connected layers batched (the naive one batched too, so
          // that the ratio compares like with like).
          ctx.log(`  ${model.label} on ${arch.name}, --batch ${VGG_BATCH}`);
          const bOpt = simulateCompiled(compileQuantized(file, g, q, { arch, batch: VGG_BATCH }));
          const bNaive = simulateCompiled(compileQuantized(file, g, q, { arch, naive: true, batch: VGG_BATCH }));
          results.push({ model, arch, opt: bOpt, naive: bNaive, samples, batch: VGG_BATCH });
        }
        if (model.label === 'ResNet-50' && arch === zu9) plotted = writePlot(ctx.outDir, model, opt);
      } catch (e) {
        notes.push({ group: TABLE, text: `${model.label} on ${arch.name} does not compile or simulate: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }

  const status = (t: CompiledTiming) => (t.status === 'complete' ? '' : ` (simulation ${t.status})`);
  // Budget rows.
  // A model with a batched run is held to its budget batched; its batch-1 row stays, for reference.
  const batchedToo = new Set(results.filter((r) => r.batch > 1).map((r) => `${r.model.label}@${r.arch.name}`));
  for (const r of results) {
    const { model, arch, opt, naive, batch } = r;
    const detail = `${f2(opt.fps > 0 ? opt.fps : 0)} FPS, ${(opt.totalOps / opt.images / 1e9).toFixed(2)} GOP per image, roofline fraction ${pct(opt.rooflineFraction)}, ${pct(opt.opsPerSecond / arch.derived.peakOpsPerSecond)} of the ${f2(tops(arch.derived.peakOpsPerSecond))} TOP/s peak; timing simulator, steady state, ${opt.cores} cores${status(opt)}`;
    const judged = batch > 1 || !batchedToo.has(`${model.label}@${arch.name}`);
    if (arch.name === 'ZU9' && model.budgetTops !== undefined)
      rows.push({
        group: GROUP,
        name: `${model.label} on ZU9, optimized${batch > 1 ? `, --batch ${batch} (fully connected layers read their weights once per ${batch} images)` : batchedToo.has(`${model.label}@${arch.name}`) ? ', batch 1 (for reference; the budget row is the batched one)' : ''}`,
        value: tops(opt.opsPerSecond),
        unit: 'TOP/s',
        ...(judged ? { budget: `>= ${model.budgetTops.toFixed(1)} TOP/s`, met: opt.status === 'complete' && tops(opt.opsPerSecond) >= model.budgetTops } : {}),
        detail,
      });
    if (arch.name === 'ZU2' && model.label === 'GoogLeNet') {
      const s = speedup(opt.cycles, naive.cycles);
      rows.push({
        group: GROUP,
        name: 'GoogLeNet on ZU2, optimized over naive (`--naive`)',
        value: s,
        unit: 'x',
        budget: `>= ${SPEEDUP_BUDGET}x`,
        met: opt.status === 'complete' && naive.status === 'complete' && s >= SPEEDUP_BUDGET,
        detail: `${Math.round(naive.cycles).toLocaleString('en-US')} naive over ${Math.round(opt.cycles).toLocaleString('en-US')} optimized cycles per image; the DNNVM paper reports up to ${PAPER_FUSION_SPEEDUP}x on GoogLeNet for its hardware`,
      });
    }
  }
  if (vgg) {
    const origOp = new Map(vgg.g.nodes.map((n) => [n.name, n.op as string]));
    const { conv, excluded } = convolutionLayers(vgg.opt.layers, (n) => origOp.get(n));
    const s = subsetThroughput(conv, vgg.opt.cores, zu9.derived.frequencyHz);
    rows.push({
      group: GROUP,
      name: 'VGG-16 on ZU9, optimized, convolution layers only (not the whole network)',
      value: tops(s.opsPerSecond),
      unit: 'TOP/s',
      detail: `the ops and steady-state cycles of the ${s.layers} layers holding convolutions of the model; left out: ${excluded.map((l) => l.name).join(', ')} (${pct(1 - s.cycles / vgg.opt.cycles)} of the cycles). The paper's 2.82 TOP/s likely concerns convolutions; no budget applies to this row`,
    });
  }

  // The comparison table: one line per model and board.
  const table: BenchTable = {
    group: TABLE,
    columns: ['model', 'board', 'GOP / image', 'optimized TOP/s', 'FPS', 'roofline', 'naive TOP/s', 'FPS', 'roofline', 'optimized / naive', 'DNNVM paper, ZU9 (theirs)', 'PG338 measured (theirs)'],
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: results.map(({ model, arch, opt, naive, batch }) => [
      batch > 1 ? `${model.label}, --batch ${batch}` : model.label,
      `${arch.name} (${arch.cores} x ${arch.dpu.name}, ${arch.frequencyMHz} MHz)`,
      (opt.totalOps / opt.images / 1e9).toFixed(2),
      f2(tops(opt.opsPerSecond)) + status(opt),
      opt.fps.toFixed(0),
      pct(opt.rooflineFraction),
      f2(tops(naive.opsPerSecond)) + status(naive),
      naive.fps.toFixed(0),
      pct(naive.rooflineFraction),
      `${f2(speedup(opt.cycles, naive.cycles))}x`,
      arch.name === 'ZU9' && model.paperTops !== undefined ? `${model.paperTops} TOP/s` : '',
      arch.name === 'ZU9' && model.pg338 ? `${model.pg338.fps} FPS (${model.pg338.name}, ${model.pg338.gops} GOP)` : '',
    ]),
  };

  notes.push({
    group: TABLE,
    text: [
      `Ours: modeled by the timing simulator in the steady state (every core of the board runs its own stream of images, staggered, sharing the DDR; \`simulateCompiled\`), programs compiled here for each board, calibrated on ${results[0]?.samples ?? CALIBRATION_SAMPLES} seeded random input${(results[0]?.samples ?? CALIBRATION_SAMPLES) > 1 ? 's' : ''}${quick ? ' (quick mode: a subset, calibrated on one input; the timing model does not depend on fix positions)' : ''}. ` +
        'TOP/s counts 2 operations per multiply-accumulate of the model, over all cores; host layers (e.g. GoogLeNet\'s LRN, softmax) run on the CPU between DPU segments and are not timed. ' +
        'Roofline is the fewest cycles the program\'s work allows on its engines and the DDR over the cycles it takes.',
      `Theirs, quoted for their hardware: ${SOURCES.dnnvm} (VGG 2.82, ResNet-50 1.38, GoogLeNet 1.41 TOP/s; fusion up to ${PAPER_FUSION_SPEEDUP}x over unfused code on GoogLeNet). ${SOURCES.pg338} (Inception-v1 405, ResNet50 175, SqueezeNet 1048 FPS), measured by Xilinx on their DPU. Their op counts are their own and differ a little from ours.`,
      differences(zu9, vggGraph),
      ...(plotted ? [`Per-layer latency and roofline of ResNet-50 on ZU9 (optimized): [${plotted}](${plotted}).`] : []),
    ].join('\n\n'),
  });

  return { rows, tables: [table], notes };
}

/** What differs between their hardware and our model (figures from the architecture and the model). */
function differences(zu9: Arch, vggGraph: XGraph | undefined): string {
  const icp = zu9.dpu.icp;
  const fc = vggGraph ? fullyConnectedBytes(vggGraph) : undefined;
  const perImage = fc ? fc.bytes / (icp * zu9.derived.frequencyHz) : 0;
  return (
    'What differs between their hardware and our model: ' +
    `each core has one LOAD engine that writes one bank address (${icp} bytes on ${zu9.dpu.name}) per cycle` +
    (fc && fc.bytes
      ? `, so VGG-16's fully connected layers (${fc.names.join(', ')}) stream ${(fc.bytes / 1e6).toFixed(0)} MB of filters per image at <= ${icp} B/cycle per core, at least ${(perImage * 1e3).toFixed(1)} ms per image on each core at ${zu9.frequencyMHz} MHz before any convolution; with --batch ${VGG_BATCH} they read them once per ${VGG_BATCH} images (${((perImage / VGG_BATCH) * 1e3).toFixed(1)} ms per image)`
      : '') +
    `; the DDR is assumed to deliver ${zu9.ddr.efficiency} of its peak (${(zu9.derived.ddrPeakBytesPerSecond / 1e9).toFixed(1)} GB/s on ZU9, shared by the ${zu9.cores} cores); ` +
    'the cores are staggered in the steady state, each on its own image, so that their DDR-heavy layers do not coincide; ' +
    'calibration uses seeded random inputs, not images (fix positions change with it; the timing model does not read them). ' +
    'The real DPU\'s engines, DDR controller and instruction scheduling are not published; ours follow BRIEF section 2.'
  );
}

function writePlot(outDir: string, model: PaperModel, t: CompiledTiming): string {
  const rel = 'bench/resnet50-zu9.svg';
  // Bars are each layer's span on core 0 (the timing simulator's, segment by segment, in the order
  // of t.layers): the window its roofline fraction is over, as dnnvm compile reports it.
  const spans = t.segments.flatMap((s) => s.layers);
  if (spans.length !== t.layers.length) throw new Error(`${t.layers.length} layers in the report but ${spans.length} in the timing simulation`);
  const svg = layerLatencySvg(
    t.layers.map((l, k) => ({ name: l.name, cycles: spans[k]!.cycles, rooflineCycles: l.rooflineCycles, shareCycles: l.cycles, bound: l.bound })),
    {
      title: `${model.label} on ${t.arch.name}, optimized: per-layer latency and roofline`,
      subtitle: `${model.file}; ${t.layers.length} layers (fusion groups); ${Math.round(t.cycles).toLocaleString('en-US')} cycles per image on one core, ${(t.opsPerSecond / 1e12).toFixed(2)} TOP/s over ${t.cores} cores; timing simulator, steady state`,
      frequencyMHz: t.arch.frequencyMHz,
    },
  );
  writeFileAtomic(path.join(outDir, rel), svg);
  return rel;
}
