import { describe, expect, it } from 'vitest';
import { UserError } from '../util/errors';
import { runFloat } from '../ref/float';
import { TestGraph, randomInput } from '../../test/support/graphs';
import { topoOrder } from './graph';
import { broadcastShapes, windowOut } from './shapes';
import { xgraphFromJson, xgraphText, xgraphToJson } from './serialize';
import { generate, seedFor } from './weights';

describe('shape inference', () => {
  it('sliding windows, floor and ceil', () => {
    expect(windowOut(224, 7, 2, 1, 3, 3, false)).toBe(112);
    expect(windowOut(112, 3, 2, 1, 0, 0, true)).toBe(56);
    expect(windowOut(112, 3, 2, 1, 0, 0, false)).toBe(55);
    // A last window starting in the end padding is dropped.
    expect(windowOut(3, 2, 2, 1, 1, 1, true)).toBe(2);
    expect(windowOut(5, 3, 1, 2, 0, 0, false)).toBe(1);
  });
  it('broadcasting', () => {
    expect(broadcastShapes([[1, 8, 4, 4], [8, 1, 1]])).toEqual([1, 8, 4, 4]);
    expect(() => broadcastShapes([[2, 3], [4]])).toThrow(/do not broadcast/);
  });
  it('reports a mismatch at the node', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 3, 8, 8]);
    const w = t.const('w', [4, 2, 3, 3]);
    let err: unknown;
    try {
      t.node('conv', { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], group: 1 }, [x, w], 'y');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/conv 'y': weights \[4,2,3,3\] expect 2 input channels/);
    expect((err as UserError).location).toMatchObject({ file: 'test.model', line: 1 });
  });
});

describe('topological order', () => {
  const err = (_: unknown, m: string) => new UserError(m);
  it('orders and detects cycles and dangling names', () => {
    const items = [
      { i: ['b'], o: ['c'] },
      { i: ['x'], o: ['b'] },
    ];
    expect(topoOrder(items, (t) => t.i, (t) => t.o, new Set(['x']), err).map((t) => t.o[0])).toEqual(['b', 'c']);
    expect(() => topoOrder([{ i: ['c'], o: ['b'] }, { i: ['b'], o: ['c'] }], (t) => t.i, (t) => t.o, new Set(), err)).toThrow(/cycle through/);
    expect(() => topoOrder([{ i: ['q'], o: ['b'] }], (t) => t.i, (t) => t.o, new Set(), err)).toThrow(/'q' is not produced/);
    expect(() => topoOrder([{ i: [], o: ['x'] }], (t) => t.i, (t) => t.o, new Set(['x']), err)).toThrow(/already produced/);
  });
});

describe('serialization', () => {
  const t = new TestGraph();
  const x = t.input('x', [1, 2, 5, 5]);
  const c = t.conv(x, 'c', 3, 3, { pad: 1 });
  t.node('clip', { min: 0, max: Infinity }, [c], 'r');
  const g = t.finish(['r']);
  it('round-trips through JSON with data, preserving values and Infinity', () => {
    const json = JSON.parse(JSON.stringify(xgraphToJson(g, { withData: true })));
    const back = xgraphFromJson(json);
    expect(back.nodes.map((n) => n.op)).toEqual(['conv', 'clip']);
    const inp = randomInput(g);
    expect(Array.from(runFloat(back, inp).get('r')!.data)).toEqual(Array.from(runFloat(g, inp).get('r')!.data));
  });
  it('refuses JSON without constant data, and foreign documents', () => {
    const json = JSON.parse(JSON.stringify(xgraphToJson(g)));
    expect(() => xgraphFromJson(json)).toThrow(/has no data/);
    expect(() => xgraphFromJson({ format: 'other' })).toThrow(/not an XGraph/);
  });
  it('dumps readable text with origins', () => {
    const text = xgraphText(g);
    expect(text).toContain('%c = conv(%x, $c.w[3,2,3,3], $c.b[3]) k3x3 s1x1 p1,1,1,1 : [1,3,5,5]');
    expect(text).toContain('test.model:1 c (conv)');
  });
});

describe('generated weights', () => {
  it('depend on seed and name only, and have the He variance', () => {
    expect(seedFor(1, 'a')).toBe(seedFor(1, 'a'));
    expect(seedFor(1, 'a')).not.toBe(seedFor(1, 'b'));
    expect(seedFor(1, 'a')).not.toBe(seedFor(2, 'a'));
    const d = generate({ kind: 'he', seed: 3, fanIn: 50 }, new Float32Array(200000));
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const variance = d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length;
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(variance).toBeGreaterThan(0.039);
    expect(variance).toBeLessThan(0.041);
  });
});
