// Between XGraph nodes and assembly lines. No VS Code API.

import type { XGraphResult } from '../../../server/src/protocol';

/** The nodes of the layer that holds assembly line `line` (0-based): the last layer marker at or above it. */
export function nodesAtLine(g: XGraphResult, line: number): string[] {
  let best = -1;
  for (const n of g.nodes) if (n.asmLine !== undefined && n.asmLine <= line && n.asmLine > best) best = n.asmLine;
  return best < 0 ? [] : g.nodes.filter((n) => n.asmLine === best).map((n) => n.id);
}
