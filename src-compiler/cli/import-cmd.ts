// `dnnvm import MODEL [--json]`: import a model, canonicalize it for a target and summarize the XGraph.

import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import { DEFAULT_ARCH_NAME } from '../arch/presets';
import { loadModel } from '../frontend/load';
import { canonicalize } from '../passes/canonicalize';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fsx';
import { opCounts } from '../xgraph/graph';
import { xgraphText, xgraphToJson } from '../xgraph/serialize';
import type { XGraph } from '../xgraph/types';
import { optFlag, optString, type ParsedArgs } from './args';
import type { CliIO } from './io';
import { table } from './table';

function io4(g: XGraph, names: readonly string[]) {
  return names.map((n) => ({ name: n, shape: [...g.tensors.get(n)!.shape] }));
}

export function importSummary(model: XGraph, g: XGraph, archName: string) {
  const cpu = g.nodes.filter((n) => n.device === 'cpu');
  return {
    model: model.source.file,
    format: model.source.format,
    detail: model.source.detail,
    arch: archName,
    generatedWeights: model.generatedWeights,
    nodes: g.nodes.length,
    inputs: io4(g, g.inputs),
    outputs: io4(g, g.outputs),
    ops: opCounts(g),
    importedNodes: model.nodes.length,
    importedOps: opCounts(model),
    dpuNodes: g.nodes.length - cpu.length,
    cpuNodes: cpu.map((n) => ({ name: n.name, op: n.op, reason: n.deviceReason ?? '', origin: n.origin })),
  };
}

export function runImport(p: ParsedArgs, io: CliIO): number {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError('usage: dnnvm import MODEL [--json] [--weights FILE.caffemodel] [--arch A] [--dump] [--xgraph FILE.json]');
  const abs = path.resolve(io.cwd, file);
  const weights = optString(p, 'weights');
  const seedText = optString(p, 'seed');
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got '${seedText}'`);
  const archName = optString(p, 'arch') ?? DEFAULT_ARCH_NAME;
  const arch = resolveArch(archName, io.cwd);
  const t0 = performance.now();
  const model = loadModel(abs, { ...(weights ? { weights: path.resolve(io.cwd, weights) } : {}), ...(seed !== undefined ? { seed } : {}) });
  const t1 = performance.now();
  const g = canonicalize(model, arch);
  const t2 = performance.now();
  const out = optString(p, 'xgraph');
  if (out) {
    writeFileAtomic(path.resolve(io.cwd, out), JSON.stringify(xgraphToJson(g)) + '\n');
  }
  const summary = { ...importSummary(model, g, arch.name), importSeconds: (t1 - t0) / 1000, canonicalizeSeconds: (t2 - t1) / 1000 };
  if (optFlag(p, 'json')) {
    io.out(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  io.out(`${file}: ${model.source.detail}${model.generatedWeights ? ' (weights generated from a fixed seed)' : ''}\n`);
  io.out(`imported ${model.nodes.length} nodes in ${(t1 - t0).toFixed(1)} ms; canonical XGraph for ${arch.name}: ${g.nodes.length} nodes (${summary.dpuNodes} DPU, ${summary.cpuNodes.length} CPU)\n\n`);
  io.out(table(['', 'tensor', 'shape'], [...summary.inputs.map((i) => ['input', i.name, `[${i.shape.join(',')}]`]), ...summary.outputs.map((o) => ['output', o.name, `[${o.shape.join(',')}]`])]));
  io.out('\n');
  io.out(table(['op', 'count'], Object.entries(summary.ops).map(([k, v]) => [k, String(v)])));
  if (summary.cpuNodes.length) {
    io.out('\nCPU nodes\n');
    io.out(table(['node', 'op', 'why'], summary.cpuNodes.map((c) => [c.name, c.op, c.reason])));
  }
  if (optFlag(p, 'dump')) io.out('\n' + xgraphText(g));
  return 0;
}
