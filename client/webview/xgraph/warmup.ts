// The graph the XGraph webview lays out while the extension fetches the real one (see warmupGraph).

import type { XGraphNode, XGraphResult } from '../../src/xgraph/messages';

/**
 * A small graph with the shapes of real ones (a chain, a fused group, a branch that joins): laying it
 * out when the webview loads compiles ELK's hot paths in V8 while the extension fetches the real graph,
 * which makes the first real layout two to three times faster.
 */
export function warmupGraph(): XGraphResult {
  const node = (id: string, group?: string): XGraphNode => ({ id, op: 'conv', device: 'dpu', shape: [1, 8, 8, 8], ...(group ? { group } : {}), origin: { file: '', name: id } });
  const ids = ['in', 'a1', 'a2', 'a3', 'sc', 'add', 'b1', 'b2', 'b3', 'add2', 'out'];
  const group = (id: string) => (id.startsWith('a') || id === 'sc' ? 'g1' : id.startsWith('b') ? 'g2' : undefined);
  const e = (from: string, to: string) => ({ from, to, tensor: from });
  return {
    name: 'warm-up',
    arch: '',
    nodes: ids.map((id) => node(id, group(id))),
    edges: [e('in', 'a1'), e('a1', 'a2'), e('a2', 'a3'), e('in', 'sc'), e('a3', 'add'), e('sc', 'add'), e('add', 'b1'), e('b1', 'b2'), e('b2', 'b3'), e('b3', 'add2'), e('add', 'add2'), e('add2', 'out')],
    groups: [
      { id: 'g1', template: 'warm', nodes: ['a1', 'a2', 'a3', 'sc'] },
      { id: 'g2', template: 'warm', nodes: ['b1', 'b2', 'b3'] },
    ],
  };
}

