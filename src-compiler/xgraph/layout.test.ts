import ELK from 'elkjs/lib/elk.bundled.js';
import { describe, expect, it } from 'vitest';
import { RESNET152_STAGES, resnetXGraph, weightedLayers } from '../../test/support/xgraph-synthetic';
import { heatColor, heatTextColor, latencyScale } from './heatmap';
import { clip, elkGraph, layoutGraph } from './layout';

const inside = (a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }) => a.x >= b.x - 0.01 && a.y >= b.y - 0.01 && a.x + a.w <= b.x + b.w + 0.01 && a.y + a.h <= b.y + b.h + 0.01;

describe('XGraph layout (ELK layered)', () => {
  it('the synthetic graph is ResNet-152-sized', () => {
    expect(weightedLayers(RESNET152_STAGES)).toBe(152);
    const g = resnetXGraph();
    // 152 weighted layers on the main path (convolutions and the classifier) plus 4 projection shortcuts.
    expect(g.nodes.filter((n) => n.op === 'conv')).toHaveLength(152 + RESNET152_STAGES.length);
  });

  it('nests fusion groups, keeps members inside their box, and lays data flow top to bottom', async () => {
    const g = resnetXGraph({ stages: [2, 1] });
    const l = await layoutGraph(g, new ELK());
    expect(l.nodes).toHaveLength(g.nodes.length);
    expect(l.groups.map((x) => x.id).sort()).toEqual(g.groups.map((x) => x.id).sort());
    const at = new Map(l.nodes.map((n) => [n.node.id, n]));
    for (const gr of l.groups) for (const m of gr.members) expect(inside(at.get(m)!, gr), `${m} inside ${gr.id}`).toBe(true);
    // Boxes do not overlap (groups are disjoint too).
    for (let i = 0; i < l.nodes.length; i++) for (let j = i + 1; j < l.nodes.length; j++) {
      const a = l.nodes[i]!;
      const b = l.nodes[j]!;
      expect(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.node.id} / ${b.node.id}`).toBe(true);
    }
    // Every edge is routed, from its source's box to its target's box, downwards.
    expect(l.edges).toHaveLength(g.edges.length);
    for (const e of l.edges) {
      const s = at.get(e.from)!;
      const t = at.get(e.to)!;
      expect(s.y, `${e.from} above ${e.to}`).toBeLessThan(t.y);
      const [x0, y0] = [e.points[0]!, e.points[1]!];
      const [x1, y1] = [e.points[e.points.length - 2]!, e.points[e.points.length - 1]!];
      expect(inside({ x: x0, y: y0, w: 0, h: 0 }, { x: s.x - 1, y: s.y - 1, w: s.w + 2, h: s.h + 2 })).toBe(true);
      expect(inside({ x: x1, y: y1, w: 0, h: 0 }, { x: t.x - 1, y: t.y - 1, w: t.w + 2, h: t.h + 2 })).toBe(true);
    }
    expect(l.width).toBeGreaterThan(0);
    expect(l.height).toBeGreaterThan(0);
  });

  it('gives ELK a compound node per group and edges between leaf nodes', () => {
    const e = elkGraph(resnetXGraph({ stages: [1] }));
    const groups = e.children!.filter((c) => c.id.startsWith('g:'));
    expect(groups.length).toBe(2);
    expect(groups.every((gr) => gr.children!.length > 0)).toBe(true);
    expect(e.edges!.every((x) => x.sources[0]!.startsWith('n:') && x.targets[0]!.startsWith('n:'))).toBe(true);
  });
});

describe('heat map', () => {
  it('runs from cool to hot, with readable text on every colour', () => {
    expect(heatColor(0)).toBe('rgb(49, 54, 149)');
    expect(heatColor(1)).toBe('rgb(165, 0, 38)');
    expect(heatColor(-5)).toBe(heatColor(0));
    expect(heatColor(Number.NaN)).toBe(heatColor(0));
    expect(heatTextColor(0)).toBe('#fff');
    expect(heatTextColor(0.5)).toBe('#111');
  });
  it('places latencies on a log scale between the fastest and the slowest layer', () => {
    const s = latencyScale([{ cycles: 10 }, { cycles: 1000 }, { cycles: 100 }, {}].map((x, i) => ({ id: `${i}`, op: 'conv', device: 'dpu' as const, shape: [], origin: { file: '', name: '' }, ...x })));
    expect([s.min, s.max]).toEqual([10, 1000]);
    expect(s.at(10)).toBe(0);
    expect(s.at(1000)).toBe(1);
    expect(s.at(100)).toBeCloseTo(0.5);
    expect(s.at(undefined)).toBeUndefined();
  });
  it('clips long labels with an ellipsis', () => {
    expect(clip('short')).toBe('short');
    expect(clip('x'.repeat(40), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
