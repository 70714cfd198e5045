import { describe, expect, it } from 'vitest';
import { resnetXGraph } from '../../../test/support/xgraph-synthetic';
import { nodesAtLine } from './graph';
import { graphProblem, parseFromWebview, parseToWebview, parseWebviewState } from './messages';
import type { XGraphResult } from './messages';

const small = (): XGraphResult => ({
  name: 'net',
  arch: 'ZU9',
  nodes: [
    { id: 'a', op: 'conv', device: 'dpu', shape: [1, 8, 4, 4], group: 'g', cycles: 10, asmLine: 5, origin: { file: '/n.prototxt', name: 'a', line: 3 } },
    { id: 'b', op: 'pool', device: 'dpu', shape: [1, 8, 2, 2], group: 'g', cycles: 10, asmLine: 5, origin: { file: '/n.prototxt', name: 'b' } },
    { id: 'c', op: 'conv', device: 'dpu', shape: [1, 4, 2, 2], cycles: 3, asmLine: 40, origin: { file: '/n.prototxt', name: 'c' } },
    { id: 'p', op: 'softmax', device: 'cpu', reason: 'softmax', shape: [1, 4], origin: { file: '/n.prototxt', name: 'p' } },
  ],
  edges: [
    { from: 'a', to: 'b', tensor: 'a' },
    { from: 'b', to: 'c', tensor: 'b' },
    { from: 'c', to: 'p', tensor: 'c' },
  ],
  groups: [{ id: 'g', template: 'conv+pool', nodes: ['a', 'b'] }],
});

describe('host -> webview messages', () => {
  it('accepts a valid graph, highlight and error', () => {
    const g = small();
    expect(parseToWebview({ type: 'graph', graph: g, file: 'n.dnnasm', uri: 'file:///n.dnnasm' })).toBeDefined();
    expect(parseToWebview({ type: 'highlight', ids: ['a', 'b'] })).toEqual({ type: 'highlight', ids: ['a', 'b'] });
    expect(parseToWebview({ type: 'error', message: 'no package' })).toBeDefined();
    expect(graphProblem(resnetXGraph())).toBeUndefined();
  });
  it('rejects, and says why, anything that does not match', () => {
    const why: string[] = [];
    const bad = (m: unknown) => parseToWebview(m, (w) => why.push(w));
    const g = small();
    expect(bad(null)).toBeUndefined();
    expect(bad({ type: 'graph', graph: g, file: 'n', uri: 'file:///n', extra: 1 })).toBeUndefined();
    expect(bad({ type: 'graph', graph: { ...g, nodes: [{ ...g.nodes[0], device: 'gpu' }] }, file: 'n', uri: 'u' })).toBeUndefined();
    expect(bad({ type: 'graph', graph: { ...g, edges: [{ from: 'a', to: 'zzz', tensor: 't' }] }, file: 'n', uri: 'u' })).toBeUndefined();
    expect(bad({ type: 'graph', graph: { ...g, nodes: [g.nodes[0], g.nodes[0]] }, file: 'n', uri: 'u' })).toBeUndefined();
    expect(bad({ type: 'graph', graph: { ...g, nodes: [{ ...g.nodes[0], asmLine: -1 }] }, file: 'n', uri: 'u' })).toBeUndefined();
    expect(bad({ type: 'graph', graph: { ...g, nodes: [{ ...g.nodes[0], id: 'x'.repeat(5000) }] }, file: 'n', uri: 'u' })).toBeUndefined();
    expect(bad({ type: 'highlight', ids: [1] })).toBeUndefined();
    expect(bad({ type: 'eval', code: 'alert(1)' })).toBeUndefined();
    expect(why).toHaveLength(9);
    expect(why[3]).toContain('names a node the graph does not have');
  });
});

describe('webview -> host messages', () => {
  it('accepts the known messages', () => {
    for (const m of [{ type: 'ready' }, { type: 'reveal', id: 'conv1' }, { type: 'exportSvg', svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' }, { type: 'rendered', nodes: 3, layoutMs: 1.5, renderMs: 2 }, { type: 'log', level: 'error', message: 'x' }])
      expect(parseFromWebview(m)).toEqual(m);
  });
  it('rejects the rest', () => {
    for (const m of [{ type: 'reveal' }, { type: 'reveal', id: '' }, { type: 'exportSvg', svg: '<script>alert(1)</script>' }, { type: 'rendered', nodes: -1, layoutMs: 0, renderMs: 0 }, { type: 'log', level: 'debug', message: '' }, { type: 'command', command: 'workbench.action.quit' }, 'ready', [], undefined])
      expect(parseFromWebview(m), JSON.stringify(m)).toBeUndefined();
  });
  it('restores only a state that names a URI', () => {
    expect(parseWebviewState({ uri: 'file:///w/a.dnnasm' })).toEqual({ uri: 'file:///w/a.dnnasm' });
    expect(parseWebviewState({ uri: 'not a uri' })).toBeUndefined();
    expect(parseWebviewState(undefined)).toBeUndefined();
  });
});

describe('the node under the assembly cursor', () => {
  it('is the layer whose marker is the last at or above the line (a fused group: all its nodes)', () => {
    const g = small();
    expect(nodesAtLine(g, 4)).toEqual([]);
    expect(nodesAtLine(g, 5)).toEqual(['a', 'b']);
    expect(nodesAtLine(g, 39)).toEqual(['a', 'b']);
    expect(nodesAtLine(g, 40)).toEqual(['c']);
    expect(nodesAtLine(g, 10_000)).toEqual(['c']);
  });
});
