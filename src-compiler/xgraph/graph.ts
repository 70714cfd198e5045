// Building and checking XGraphs: the builder frontends use, the finishing step passes use, topological
// order with cycle detection, and the queries passes need (producer, consumers).

import { UserError } from '../util/errors';
import { limitHint } from '../util/limits';
import { inferShapes, maxElements, numel, sameShape, ShapeError, shapeText, type Shape } from './shapes';
import type { DType, Origin, WeightInit, XGraph, XNode, XTensor } from './types';

/** The UserError for a problem with one node: located at the node's origin, naming it and its type. */
export function nodeError(origin: Origin, message: string): UserError {
  return new UserError(`${origin.sourceType} '${origin.name}': ${message}`, {
    file: origin.file,
    ...(origin.line ? { line: origin.line } : {}),
    ...(origin.col ? { col: origin.col } : {}),
  });
}

function checkSize(shape: Shape, what: string, origin?: Origin, file?: string): void {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    const msg = `${what} has an invalid shape ${shapeText(shape)}`;
    throw origin ? nodeError(origin, msg) : new UserError(msg, { file });
  }
  if (numel(shape) > maxElements()) {
    const msg = `${what} ${shapeText(shape)} has ${numel(shape)} elements, more than the limit of ${maxElements()}; ${limitHint('tensorElements')}`;
    throw origin ? nodeError(origin, msg) : new UserError(msg, { file });
  }
}

/**
 * Builds a graph node by node, in an order where every input is defined before it is used. Shapes are
 * inferred as nodes are added, so a frontend can consult them (e.g. to resolve a Reshape's 0 and -1).
 */
export class GraphBuilder {
  readonly tensors = new Map<string, XTensor>();
  readonly nodes: XNode[] = [];
  readonly inputs: string[] = [];
  private readonly nodeNames = new Set<string>();
  generatedWeights = false;

  constructor(readonly file: string) {}

  private define(t: XTensor, origin?: Origin): void {
    if (this.tensors.has(t.name)) {
      const msg = `tensor '${t.name}' is defined twice`;
      throw origin ? nodeError(origin, msg) : new UserError(msg, { file: this.file });
    }
    this.tensors.set(t.name, t);
  }

  addInput(name: string, shape: Shape, dtype: DType = 'float32', origin?: Origin): void {
    checkSize(shape, `input '${name}'`, origin, this.file);
    this.define({ name, shape: [...shape], dtype, kind: 'input' }, origin);
    this.inputs.push(name);
  }

  addConst(name: string, shape: Shape, data: Float32Array | Float64Array | undefined, dtype: DType = 'float32', init?: WeightInit, origin?: Origin): void {
    checkSize(shape, `constant '${name}'`, origin, this.file);
    if (data && data.length !== numel(shape)) throw new UserError(`constant '${name}' has ${data.length} values for shape ${shapeText(shape)}`, { file: this.file });
    if (!data && !init) throw new Error(`constant ${name} has neither data nor a generator`);
    if (init) this.generatedWeights = true;
    this.define({ name, shape: [...shape], dtype, kind: 'const', ...(data ? { data } : {}), ...(init ? { init } : {}) }, origin);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  shapeOf(name: string): Shape {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t.shape;
  }

  /** A tensor name not used yet, derived from `base`. */
  fresh(base: string): string {
    if (!this.tensors.has(base)) return base;
    for (let i = 1; ; i++) {
      const n = `${base}_${i}`;
      if (!this.tensors.has(n)) return n;
    }
  }

  /** A node name not used yet, derived from `base`. */
  freshNode(base: string): string {
    if (!this.nodeNames.has(base)) return base;
    for (let i = 1; ; i++) {
      const n = `${base}_${i}`;
      if (!this.nodeNames.has(n)) return n;
    }
  }

  /** Add a node; its inputs must exist. Returns the output shapes. */
  add(node: XNode): number[][] {
    if (this.nodeNames.has(node.name)) throw nodeError(node.origin, `node name '${node.name}' is used twice`);
    for (const i of node.inputs) {
      if (!this.tensors.has(i)) throw nodeError(node.origin, `input '${i}' is not produced by any earlier node, nor a graph input or weight`);
    }
    const ins = node.inputs.map((i) => this.tensors.get(i)!);
    const nonFloat = ins.find((t, k) => t.dtype !== 'float32' && !(node.op === 'identity' && k === 0));
    if (nonFloat) throw nodeError(node.origin, `input '${nonFloat.name}' is ${nonFloat.dtype}; this operator takes float32 tensors`);
    let shapes: number[][];
    try {
      shapes = inferShapes(node, ins.map((t) => t.shape));
    } catch (e) {
      if (e instanceof ShapeError) throw nodeError(node.origin, e.message);
      throw e;
    }
    if (shapes.length !== node.outputs.length) throw nodeError(node.origin, `has ${node.outputs.length} outputs, the operator produces ${shapes.length}`);
    shapes.forEach((s, k) => {
      checkSize(s, `output '${node.outputs[k]}'`, node.origin);
      this.define({ name: node.outputs[k]!, shape: s, dtype: 'float32', kind: 'value' }, node.origin);
    });
    this.nodeNames.add(node.name);
    this.nodes.push(node);
    return shapes;
  }

  finish(name: string, outputs: readonly string[], source: XGraph['source']): XGraph {
    for (const o of outputs) if (!this.tensors.has(o)) throw new UserError(`graph output '${o}' is not produced by any node`, { file: this.file });
    return pruneUnused({ name, source, inputs: [...this.inputs], outputs: [...outputs], nodes: this.nodes, tensors: this.tensors, generatedWeights: this.generatedWeights });
  }
}

/**
 * Order `items` so that each comes after the producers of its inputs. `known` names are available
 * from the start (graph inputs, weights). Throws a UserError naming an item on a cycle, or an item
 * whose input nothing produces.
 */
export function topoOrder<T>(
  items: readonly T[],
  inputsOf: (t: T) => readonly string[],
  outputsOf: (t: T) => readonly string[],
  known: ReadonlySet<string>,
  errorFor: (t: T, message: string) => UserError,
): T[] {
  const producer = new Map<string, number>();
  items.forEach((it, i) => {
    for (const o of outputsOf(it)) {
      if (producer.has(o) || known.has(o)) throw errorFor(it, `output '${o}' is already produced by another node or is a graph input or weight`);
      producer.set(o, i);
    }
  });
  const pending = new Array<number>(items.length).fill(0);
  const users: number[][] = items.map(() => []);
  items.forEach((it, i) => {
    for (const n of inputsOf(it)) {
      if (n === '') continue; // ONNX: an omitted optional input
      const p = producer.get(n);
      if (p === undefined) {
        if (!known.has(n)) throw errorFor(it, `input '${n}' is not produced by any node, nor a graph input or initializer`);
        continue;
      }
      pending[i]++;
      users[p]!.push(i);
    }
  });
  const order: T[] = [];
  // Kahn's algorithm with a FIFO queue seeded in file order, so that ready items keep their order.
  const queue: number[] = [];
  for (let i = 0; i < items.length; i++) if (pending[i] === 0) queue.push(i);
  let head = 0;
  while (head < queue.length) {
    const i = queue[head++]!;
    order.push(items[i]!);
    for (const u of users[i]!) if (--pending[u] === 0) queue.push(u);
  }
  if (order.length < items.length) {
    const stuck = items.findIndex((_, i) => pending[i]! > 0);
    // Walk back along unresolved inputs until a node repeats: that node is on a cycle.
    let cur = stuck;
    const seen = new Set<number>();
    while (!seen.has(cur)) {
      seen.add(cur);
      const next = inputsOf(items[cur]!).map((n) => producer.get(n)).find((p) => p !== undefined && pending[p]! > 0);
      if (next === undefined) break;
      cur = next;
    }
    const cycle: string[] = [];
    let c = cur;
    const onCycle = new Set<number>();
    while (!onCycle.has(c)) {
      onCycle.add(c);
      cycle.push(outputsOf(items[c]!)[0] ?? '?');
      c = inputsOf(items[c]!).map((n) => producer.get(n)).find((p) => p !== undefined && pending[p]! > 0)!;
    }
    throw errorFor(items[cur]!, `the graph has a cycle through ${cycle.map((n) => `'${n}'`).join(' -> ')}`);
  }
  return order;
}

/** Drop tensors no node reads or writes and that are neither inputs nor outputs. */
export function pruneUnused(g: XGraph): XGraph {
  const used = new Set<string>([...g.inputs, ...g.outputs]);
  for (const n of g.nodes) {
    for (const i of n.inputs) used.add(i);
    for (const o of n.outputs) used.add(o);
  }
  const tensors = new Map<string, XTensor>();
  for (const [k, t] of g.tensors) if (used.has(k)) tensors.set(k, t);
  return { ...g, tensors };
}

/**
 * The finishing step of every pass: put `nodes` in topological order, drop nodes whose outputs nobody
 * needs (dead code), re-infer every shape and check it against the tensor table, and drop unused
 * tensors. New value tensors are created from the inferred shapes; existing ones must agree.
 */
export function rebuild(g: XGraph, nodes: readonly XNode[], tensors: ReadonlyMap<string, XTensor>): XGraph {
  const known = new Set<string>();
  for (const [k, t] of tensors) if (t.kind !== 'value') known.add(k);
  const ordered = topoOrder(nodes, (n) => n.inputs, (n) => n.outputs, known, (n, m) => nodeError(n.origin, m));
  // Dead-code elimination from the outputs backwards.
  const needed = new Set(g.outputs);
  const live: XNode[] = [];
  for (let i = ordered.length - 1; i >= 0; i--) {
    const n = ordered[i]!;
    if (n.outputs.some((o) => needed.has(o))) {
      live.push(n);
      for (const x of n.inputs) needed.add(x);
    }
  }
  live.reverse();
  const out = new Map<string, XTensor>();
  for (const [k, t] of tensors) if (t.kind !== 'value') out.set(k, t);
  for (const n of live) {
    const ins = n.inputs.map((i) => {
      const t = out.get(i);
      if (!t) throw nodeError(n.origin, `input '${i}' is not defined`);
      return t.shape;
    });
    let shapes: number[][];
    try {
      shapes = inferShapes(n, ins);
    } catch (e) {
      if (e instanceof ShapeError) throw nodeError(n.origin, e.message);
      throw e;
    }
    n.outputs.forEach((o, k) => {
      const prev = tensors.get(o);
      if (prev && prev.kind === 'value' && !sameShape(prev.shape, shapes[k]!))
        throw new Error(`pass changed the shape of ${o} from ${shapeText(prev.shape)} to ${shapeText(shapes[k]!)}`);
      out.set(o, { name: o, shape: shapes[k]!, dtype: 'float32', kind: 'value' });
    });
  }
  for (const o of g.outputs) if (!out.has(o)) throw new Error(`pass lost graph output ${o}`);
  return pruneUnused({ ...g, nodes: live, tensors: out });
}

/** Node producing each value tensor. */
export function producers(g: XGraph): Map<string, XNode> {
  const m = new Map<string, XNode>();
  for (const n of g.nodes) for (const o of n.outputs) m.set(o, n);
  return m;
}

/** Nodes reading each tensor (a node reading a tensor twice appears twice). */
export function consumers(g: XGraph): Map<string, XNode[]> {
  const m = new Map<string, XNode[]>();
  for (const n of g.nodes)
    for (const i of n.inputs) {
      const l = m.get(i);
      if (l) l.push(n);
      else m.set(i, [n]);
    }
  return m;
}

export function tensorOf(g: XGraph, name: string): XTensor {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`XGraph ${g.name}: no tensor ${name}`);
  return t;
}

export function isConst(g: XGraph, name: string): boolean {
  return g.tensors.get(name)?.kind === 'const';
}

/** Count of nodes per op type, in first-appearance order. */
export function opCounts(g: XGraph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.op] = (c[n.op] ?? 0) + 1;
  return c;
}
