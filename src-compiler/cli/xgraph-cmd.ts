// `dnnvm xgraph`: the XGraph of a compiled program package as a standalone SVG, the picture the
// editor's XGraph panel shows: fusion groups as nested boxes, nodes coloured by their simulated latency.
// The graph comes from the package manifest, the latencies from simulating the package's assembly
// (src-compiler/ide/xgraph.ts, shared with the language server), the drawing from src-compiler/xgraph
// (layout.ts with ELK, svg.ts, shared with the webview).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { assembleFile, diagnosticLocation } from '../asm/file';
import { readManifest } from '../compile/package';
import { DocumentTiming, documentSegments, duration, simulateSegments } from '../ide/simulation';
import { nodeLayers, xgraphOfManifest } from '../ide/xgraph';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fsx';
import { limits } from '../util/limits';
import { layoutGraph, type ElkLike } from '../xgraph/layout';
import { xgraphSvg } from '../xgraph/svg';
import { displayPath } from './asm-cmd';
import { optFlag, optString, type ParsedArgs } from './args';
import { printLocated, type CliIO } from './io';

const USAGE = 'usage: dnnvm xgraph PACKAGE_DIR_OR_MANIFEST [-o FILE.svg] [--steady] [--json]';
const MANIFEST_SUFFIX = '.manifest.json';

/** The manifest a command-line argument names: a package folder (holding one) or the manifest itself. */
function manifestOf(arg: string, io: CliIO): string {
  const abs = path.resolve(io.cwd, arg);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new UserError(`${arg}: no such file or folder: give the folder \`dnnvm compile MODEL -o DIR\` wrote, or the NAME${MANIFEST_SUFFIX} in it`);
  }
  if (st.isDirectory()) {
    const found = fs.readdirSync(abs).filter((f) => f.endsWith(MANIFEST_SUFFIX)).sort();
    if (found.length === 0) throw new UserError(`${arg}: the folder holds no program package (no NAME${MANIFEST_SUFFIX}): compile a model into it with \`dnnvm compile MODEL -o ${arg}\``);
    if (found.length > 1) throw new UserError(`${arg}: the folder holds ${found.length} packages (${found.join(', ')}): name the manifest of the one to draw, e.g. \`dnnvm xgraph ${path.join(arg, found[0]!)}\``);
    return path.join(abs, found[0]!);
  }
  if (!abs.endsWith(MANIFEST_SUFFIX)) throw new UserError(`${arg}: not a package manifest: give the package folder or its NAME${MANIFEST_SUFFIX}`, { file: abs });
  return abs;
}

/**
 * The nodes' layers and the program's latency from simulating the package's assembly: in the steady
 * state (as `dnnvm compile` reports) or with every core starting one image at cycle 0 (as `dnnvm sim`
 * and the editor). No timing, with a warning that says why, when the assembly is missing or broken.
 */
function simulateAssembly(asmFile: string, steady: boolean, io: CliIO) {
  if (!fs.existsSync(asmFile)) {
    printLocated(io, 'warning', `the package's assembly is missing, so the XGraph is drawn without latencies: compile the model again to get it back`, { file: displayPath(io, asmFile) });
    return undefined;
  }
  const a = assembleFile(asmFile);
  const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const loc = diagnosticLocation(a, errors[0]!);
    printLocated(
      io,
      'warning',
      `the assembly does not assemble (${errors.length} error${errors.length === 1 ? '' : 's'}, the first: ${errors[0]!.message}), so the XGraph is drawn without latencies: fix it (\`dnnvm asm ${displayPath(io, asmFile)}\` lists the errors) or compile the model again`,
      { ...loc, file: displayPath(io, loc.file) },
    );
    return { perNode: nodeLayers(a.program, undefined) };
  }
  const segments = documentSegments(a.program, a.index);
  const results = simulateSegments(segments, { maxCycles: limits().simulatedCycles, steady });
  const timing = new DocumentTiming(segments.map((segment, k) => ({ segment, result: results[k]! })));
  const cores = timing.cores;
  const seconds = timing.cycles / timing.frequencyHz;
  const mode = steady ? `${cores} core${cores === 1 ? '' : 's'}, steady state, as dnnvm compile reports it` : `${cores} core${cores === 1 ? '' : 's'}, each starting one image at cycle 0, as dnnvm sim and the editor report it`;
  const hostSteps = segments.length > 1 ? `; DPU only, the host steps between its ${segments.length} segments are not timed` : '';
  const incomplete = timing.status !== 'complete' ? `; the simulation stopped (${timing.status}): the figures cover what ran` : '';
  if (incomplete) printLocated(io, 'warning', `the simulation did not complete (${timing.status}): the latencies cover what ran; \`dnnvm sim ${displayPath(io, asmFile)}\` says where it stopped`, { file: displayPath(io, asmFile) });
  return {
    perNode: nodeLayers(a.program, timing),
    timing: { cycles: timing.cycles, seconds, mode, text: `${Math.round(timing.cycles).toLocaleString('en')} cycles = ${duration(seconds)} per image (${mode}${hostSteps}${incomplete})` },
  };
}

/** ELK for Node: the same single-file build the webview bundles, loaded only when a graph is drawn. */
async function loadElk(): Promise<ElkLike> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  return new ELK();
}

export async function runXGraph(p: ParsedArgs, io: CliIO): Promise<number> {
  const arg = p.positional[0];
  if (!arg || p.positional.length > 1) throw new UserError(USAGE);
  const json = optFlag(p, 'json');
  const outOpt = optString(p, 'output');
  if (outOpt !== undefined && !outOpt.toLowerCase().endsWith('.svg')) throw new UserError(`-o ${outOpt}: the XGraph is written as SVG: give a FILE.svg`);
  const manifestFile = manifestOf(arg, io);
  const manifest = readManifest(manifestFile);
  const dir = path.dirname(manifestFile);
  const sim = simulateAssembly(path.join(dir, manifest.files.asm), optFlag(p, 'steady'), io);
  const graph = xgraphOfManifest(manifest, manifestFile, sim?.perNode);
  const layout = await layoutGraph(graph, await loadElk());
  const svg = xgraphSvg(graph, layout, sim?.timing ? { latency: sim.timing.text } : {});
  const out = outOpt !== undefined ? path.resolve(io.cwd, outOpt) : path.join(dir, `${path.basename(manifestFile).slice(0, -MANIFEST_SUFFIX.length)}.xgraph.svg`);
  writeFileAtomic(out, svg);
  const timed = graph.nodes.filter((n) => n.cycles !== undefined).length;
  if (json) {
    io.out(
      JSON.stringify({
        ok: true,
        svg: out,
        manifest: manifestFile,
        model: graph.name,
        arch: graph.arch,
        nodes: graph.nodes.length,
        edges: graph.edges.length,
        groups: graph.groups.length,
        cpuNodes: graph.nodes.filter((n) => n.device === 'cpu').length,
        timedNodes: timed,
        ...(sim?.timing ? { cycles: sim.timing.cycles, seconds: sim.timing.seconds, mode: sim.timing.mode } : {}),
        width: layout.width,
        height: layout.height,
      }) + '\n',
    );
    return 0;
  }
  io.out(
    `xgraph: ${displayPath(io, out)} (${graph.name} on ${graph.arch}: ${graph.nodes.length} nodes, ${graph.groups.length} fusion groups, ${graph.edges.length} edges; ` +
      `${sim?.timing ? `latency ${sim.timing.text}` : 'no latencies'})\n`,
  );
  return 0;
}
