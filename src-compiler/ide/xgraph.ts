// The XGraph of a compiled program as its views draw it (XGraphResult): the package manifest's graph
// and fusion groups, with each node's latency taken from the layer marker that names it in the
// assembly and the simulation of that assembly. The language server's `dnnvm/xgraph` request and
// `dnnvm xgraph` both build it here; reading files (and caching them) is theirs.

import * as path from 'node:path';
import type { AsmProgram } from '../asm/assemble';
import { UserError } from '../util/errors';
import type { XGraph } from '../xgraph/types';
import type { XGraphNode, XGraphResult } from '../xgraph/view-model';
import type { DocumentTiming } from './simulation';

/** Per node: the 0-based line of the layer marker that names it and, when simulated, its layer's cycles and ops. */
export type NodeLayers = ReadonlyMap<string, { readonly line: number; readonly cycles?: number; readonly ops?: number }>;

/** What a package manifest holds of the graph (the rest of the manifest does not matter here). */
interface ManifestGraph {
  readonly arch: { readonly name: string };
  readonly xgraph: { readonly name: string; readonly nodes: readonly XGraph['nodes'][number][]; readonly tensors: readonly { name: string; shape: readonly number[] }[] };
  readonly fusionGroups?: readonly { readonly name: string; readonly template: string; readonly nodes: readonly string[] }[];
}

/**
 * Each node's layer marker in an assembly, with the layer's simulated cycles (its span: first start to
 * last end) and ops when there is a timing. A fused group's nodes share their layer's figures.
 */
export function nodeLayers(program: AsmProgram, timing: DocumentTiming | undefined): NodeLayers {
  const perNode = new Map<string, { line: number; cycles?: number; ops?: number }>();
  program.layers.forEach((l, li) => {
    const t = timing?.layer(li);
    for (const n of l.nodes) perNode.set(n, { line: l.line, ...(t ? { cycles: t.l.cycles, ops: t.l.ops } : {}) });
  });
  return perNode;
}

/**
 * The XGraph of a package from its parsed manifest (`manifestFile` names it in messages), with the
 * nodes' layers of its assembly, if known. Fusion groups of one node are left out: they are drawn as the node.
 */
export function xgraphOfManifest(manifest: unknown, manifestFile: string, perNode: NodeLayers = new Map()): XGraphResult {
  const m = manifest as ManifestGraph;
  if (!m?.xgraph?.nodes || !Array.isArray(m.xgraph.tensors)) throw new UserError(`${path.basename(manifestFile)} holds no XGraph: compile the model again`, { file: manifestFile });
  const g = { name: m.xgraph.name, nodes: m.xgraph.nodes, tensors: new Map(m.xgraph.tensors.map((t) => [t.name, t])) } as unknown as XGraph;
  return xgraphResult(g, m.arch?.name ?? '', (m.fusionGroups ?? []).filter((x) => x.nodes.length > 1), perNode);
}

/** A graph with its fusion groups and its nodes' layers as an XGraphResult. */
export function xgraphResult(g: XGraph, arch: string, groups: readonly { name: string; template: string; nodes: readonly string[] }[], perNode: NodeLayers): XGraphResult {
  const groupOf = new Map<string, string>();
  for (const gr of groups) for (const n of gr.nodes) groupOf.set(n, gr.name);
  const producer = new Map<string, string>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n.name);
  const nodes: XGraphNode[] = g.nodes.map((n) => {
    const at = perNode.get(n.name);
    const o = n.origin;
    return {
      id: n.name,
      op: n.op,
      device: n.device === 'cpu' ? 'cpu' : 'dpu',
      ...(n.deviceReason ? { reason: n.deviceReason } : {}),
      shape: [...(g.tensors.get(n.outputs[0]!)?.shape ?? [])],
      ...(groupOf.has(n.name) ? { group: groupOf.get(n.name)! } : {}),
      ...(at?.cycles !== undefined ? { cycles: at.cycles } : {}),
      ...(at?.ops !== undefined ? { ops: at.ops } : {}),
      ...(at ? { asmLine: at.line } : {}),
      origin: { file: o?.file ?? '', name: o?.name ?? n.name, ...(o?.line !== undefined ? { line: o.line } : {}) },
    };
  });
  const edges: XGraphResult['edges'][number][] = [];
  for (const n of g.nodes) for (const i of n.inputs) if (producer.has(i)) edges.push({ from: producer.get(i)!, to: n.name, tensor: i });
  return { name: g.name, nodes, edges, groups: groups.map((x) => ({ id: x.name, template: x.template, nodes: [...x.nodes] })), arch };
}
