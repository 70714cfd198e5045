// Small XGraphs for pass and executor tests, built with the same builder the frontends use.

import { GraphBuilder } from '../../src-compiler/xgraph/graph';
import type { XGraph, XNode } from '../../src-compiler/xgraph/types';
import { rng } from '../../src-compiler/xgraph/weights';

export class TestGraph {
  readonly b = new GraphBuilder('test.model');
  private line = 1;
  private seed = 1;
  input(name: string, shape: number[]): string {
    this.b.addInput(name, shape);
    return name;
  }
  /** A constant with seeded values in [lo, hi). */
  const(name: string, shape: number[], lo = -1, hi = 1): string {
    const r = rng(this.seed++);
    const n = shape.reduce((a, b) => a * b, 1);
    this.b.addConst(name, shape, Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
    return name;
  }
  constValues(name: string, shape: number[], values: number[]): string {
    this.b.addConst(name, shape, Float32Array.from(values));
    return name;
  }
  node(op: XNode['op'], attrs: unknown, inputs: string[], out: string): string {
    const line = this.line++;
    this.b.add({ name: out, op, attrs, inputs, outputs: [out], origin: { file: 'test.model', name: out, sourceType: op, line } } as XNode);
    return out;
  }
  conv(x: string, out: string, m: number, k: number, opts: { stride?: number; pad?: number; group?: number; bias?: boolean } = {}): string {
    const c = this.b.shapeOf(x)[1]!;
    const g = opts.group ?? 1;
    const w = this.const(`${out}.w`, [m, c / g, k, k], -0.5, 0.5);
    const ins = [x, w];
    if (opts.bias !== false) ins.push(this.const(`${out}.b`, [m], -0.2, 0.2));
    const p = opts.pad ?? 0;
    const s = opts.stride ?? 1;
    return this.node('conv', { kernel: [k, k], stride: [s, s], dilation: [1, 1], pads: [p, p, p, p], group: g }, ins, out);
  }
  finish(outputs: string[]): XGraph {
    return this.b.finish('test', outputs, { file: 'test.model', format: 'onnx', detail: 'test graph' });
  }
}

export function randomInput(g: XGraph, seed = 9, lo = -1, hi = 1): Map<string, Float32Array> {
  return new Map(
    g.inputs.map((name) => {
      const s = g.tensors.get(name)!.shape;
      const r = rng(seed);
      return [name, Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r())];
    }),
  );
}
