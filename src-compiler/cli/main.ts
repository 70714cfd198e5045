// `dnnvm`: the command line. A thin shell over the library: parse arguments, call, print.
//
// Exit status: 0 success, 1 a problem with the input (printed as `path:line:col: error: text`, no stack
// trace), 2 an internal fault (a bug; the stack is printed only with DNNVM_DEBUG=1).

import { CancelledError, UserError, formatLocated } from '../util/errors';
import { limitsFromEnv } from '../util/limits';
import { parseArgs, type OptionSpec, type ParsedArgs } from './args';
import { runArch } from './arch-cmd';
import { runAsm, runDisasm } from './asm-cmd';
import { runBench } from './bench-cmd';
import { runRun, runSim } from './sim-cmd';
import { runImport } from './import-cmd';
import { runCompile, runValidate } from './compile-cmd';
import { runModel } from './model-cmd';
import { runXGraph } from './xgraph-cmd';
import { processIO, type CliIO } from './io';

interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  readonly run: (p: ParsedArgs, io: CliIO) => number | Promise<number>;
}

const ARCH: OptionSpec = { name: 'arch', takesValue: true, help: 'target: a preset (ZU2, ZU9, ZCU102, ZCU104), a DPU configuration (B1024), or an .json/.prototxt file' };
const JSON_OPT: OptionSpec = { name: 'json', takesValue: false, help: 'print exactly one JSON document on stdout' };
const OUT: OptionSpec = { name: 'output', alias: 'o', takesValue: true, help: 'output file' };
const BATCH: OptionSpec = { name: 'batch', takesValue: true, help: 'images per run (default 1): the fully connected layers read their weights once for all of them; the convolutions run image by image' };
const NO_PARALLEL: OptionSpec = { name: 'no-parallel', takesValue: false, help: 'run every fusion group after the other: no independent groups at the same time (to see what that buys)' };

export const COMMANDS: Command[] = [
  { name: 'arch', usage: 'dnnvm arch [NAME|FILE] [--json]', summary: 'presets, one architecture, derived figures', options: [JSON_OPT], run: runArch },
  { name: 'asm', usage: 'dnnvm asm FILE.dnnasm [-o FILE.dnnbin] [--arch A] [--json]', summary: 'assemble', options: [OUT, ARCH, JSON_OPT], run: runAsm },
  { name: 'disasm', usage: 'dnnvm disasm FILE.dnnbin [-o FILE.dnnasm] [--arch A]', summary: 'disassemble', options: [OUT, ARCH], run: runDisasm },
  {
    name: 'sim',
    usage: 'dnnvm sim PROGRAM [--arch A] [--cores N] [--segment S] [--steady] [--json] [--trace FILE.json]',
    summary: 'timing simulation (.dnnasm or .dnnbin): per-layer cycles, throughput, roofline',
    options: [
      ARCH,
      { name: 'cores', takesValue: true, help: 'cores running the program at once (default: all of the architecture, throughput mode; 1 gives one image\'s latency alone)' },
      { name: 'segment', takesValue: true, help: 'simulate one .segment of a program compiled with host layers (a name or a 0-based index); default: each in turn' },
      { name: 'steady', takesValue: false, help: 'throughput in the steady state: cores start staggered and run several images each (what dnnvm compile reports); default: every core starts one image at cycle 0, the worst case for DDR contention' },
      JSON_OPT,
      { name: 'trace', takesValue: true, help: 'write a Chrome trace-event JSON (open it in ui.perfetto.dev or chrome://tracing)' },
    ],
    run: runSim,
  },
  {
    name: 'run',
    usage: 'dnnvm run PROGRAM [--input FILE] [--output FILE] [--segment S] [--arch A] [--json]',
    summary: 'bit-exact functional execution of a .dnnasm with its .ddr regions',
    options: [
      { name: 'input', takesValue: true, help: 'bytes for the DDR region named input (default: its file=)' },
      { name: 'output', alias: 'o', takesValue: true, help: 'write the DDR region named output to this file' },
      { name: 'segment', takesValue: true, help: 'the .segment to run, for a program compiled with host layers (a name or a 0-based index)' },
      ARCH,
      JSON_OPT,
    ],
    run: runRun,
  },
  {
    name: 'import',
    usage: 'dnnvm import MODEL [--json] [--weights FILE.caffemodel] [--arch A] [--dump] [--xgraph FILE.json]',
    summary: 'XGraph summary of a model (.onnx, .prototxt): inputs, outputs, ops, CPU nodes',
    options: [
      JSON_OPT,
      ARCH,
      { name: 'weights', takesValue: true, help: 'Caffe weights (.caffemodel) for a .prototxt; without it weights are generated from a fixed seed' },
      { name: 'seed', takesValue: true, help: 'seed of generated weights (integer)' },
      { name: 'dump', takesValue: false, help: 'print the canonical XGraph as text' },
      { name: 'xgraph', takesValue: true, help: 'write the canonical XGraph as JSON to this file' },
    ],
    run: runImport,
  },
  {
    name: 'compile',
    usage: 'dnnvm compile MODEL [--arch A] [--naive] [--batch N] [-o DIR] [--json]',
    summary: 'compile a model (.onnx, .prototxt) to a program package; print the per-layer table',
    options: [
      ARCH,
      { name: 'naive', takesValue: false, help: "DNNVM's unfused baseline: one layer at a time, every intermediate through DDR" },
      BATCH,
      NO_PARALLEL,
      OUT,
      JSON_OPT,
      { name: 'weights', takesValue: true, help: 'Caffe weights (.caffemodel); without it weights are generated from a fixed seed' },
      { name: 'input-shape', takesValue: true, help: 'NAME=1x3x224x224: an input shape (symbolic ONNX dims, or a smaller image)' },
      { name: 'no-golden', takesValue: false, help: 'skip the golden checksums (they run the integer reference, slow on big models)' },
      { name: 'recalibrate', takesValue: false, help: 'calibrate again even if the package in the output folder has statistics for this model' },
      { name: 'force', takesValue: false, help: 'replace the package\'s .dnnasm even if it was edited by hand (by default an edited one is kept and the compile refused)' },
    ],
    run: runCompile,
  },
  {
    name: 'validate',
    usage: 'dnnvm validate MODEL [--arch A] [--naive] [--batch N] [--json]',
    summary: 'compile, run on a seeded input, compare bit for bit with the integer reference and with float',
    options: [
      ARCH,
      { name: 'naive', takesValue: false, help: 'validate the unfused baseline' },
      BATCH,
      NO_PARALLEL,
      JSON_OPT,
      { name: 'weights', takesValue: true, help: 'Caffe weights (.caffemodel)' },
      { name: 'input-shape', takesValue: true, help: 'NAME=1x3x224x224' },
    ],
    run: runValidate,
  },
  {
    name: 'xgraph',
    usage: 'dnnvm xgraph PACKAGE_DIR_OR_MANIFEST [-o FILE.svg] [--steady] [--json]',
    summary: "draw a compiled package's XGraph as an SVG: fusion groups as boxes, nodes coloured by simulated latency",
    options: [
      { name: 'output', alias: 'o', takesValue: true, help: 'the SVG file (default: NAME.xgraph.svg beside the manifest)' },
      { name: 'steady', takesValue: false, help: 'latencies in the steady state, as dnnvm compile reports them; default: every core starts one image at cycle 0, as dnnvm sim and the editor' },
      JSON_OPT,
    ],
    run: runXGraph,
  },
  {
    name: 'model',
    usage: 'dnnvm model [NAME] [-o FILE]',
    summary: 'the built-in models (written by the project; weights from a fixed seed): list them, or write one',
    options: [{ name: 'output', alias: 'o', takesValue: true, help: 'write the network definition to this file (default: stdout)' }],
    run: runModel,
  },
  {
    name: 'bench',
    usage: 'dnnvm bench [--quick] [--out DIR]',
    summary: 'the benchmark suite: writes BENCHMARKS.md and bench/results.json',
    options: [
      { name: 'quick', takesValue: false, help: 'a subset with fewer runs (at most 2 minutes)' },
      { name: 'out', takesValue: true, help: 'folder for BENCHMARKS.md and bench/ (default: the repository)' },
    ],
    run: runBench,
  },
];

function help(io: CliIO): void {
  io.out('dnnvm: compile CNNs to DPU assembly, assemble, simulate and validate\n\n');
  const w = Math.max(...COMMANDS.map((c) => c.usage.length));
  for (const c of COMMANDS) io.out(`  ${c.usage.padEnd(w)}  ${c.summary}\n`);
  io.out('\nRun `dnnvm COMMAND --help` for a command\'s options.\n');
}

export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  for (const p of limitsFromEnv()) io.err(`warning: ${p}; ignored\n`);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 1;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd) throw new UserError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: ${cmd.usage}\n\n${cmd.summary}\n\n`);
      for (const o of cmd.options) io.out(`  --${o.name}${o.alias ? `, -${o.alias}` : ''}${o.takesValue ? ' VALUE' : ''}\n      ${o.help}\n`);
      return 0;
    }
    return await cmd.run(parseArgs(rest, cmd.options, cmd.name), io);
  } catch (e) {
    if (e instanceof UserError) {
      io.err(formatLocated('error', e.message, e.location) + '\n');
      return 1;
    }
    if (e instanceof CancelledError) {
      io.err('cancelled\n');
      return 130;
    }
    io.err(`internal error in dnnvm ${name}: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env['DNNVM_DEBUG']) io.err(`${(e as Error)?.stack ?? ''}\n`);
    else io.err('this is a bug in dnnvm; run again with DNNVM_DEBUG=1 for the stack trace and report it\n');
    return 2;
  }
}
