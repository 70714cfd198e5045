// Custom requests between the extension (client) and the language server, beyond LSP. Both sides
// import these types; the server implements the handlers, the client calls them.
//
// Long requests (compile, validate) report progress with LSP work-done progress and honour the
// request's cancellation token. Progress goes to the request's `workDoneToken` when the client sends
// one, else to a server-initiated progress (window/workDoneProgress/create) when the client supports
// it; cancelling that progress cancels the request too.
//
// Changes since the first version of this file (all backward compatible): CompileParams.outDir and
// .recalibrate, SimulationParams.steady, ValidateParams.weights, the `dnnvm/status` notification, and
// doc comments that pin down units and line bases. A request about a document that has assembler errors answers with status 'error' (the
// simulation summary) or a ResponseError (trace, validate) whose message says what to fix.

/** `dnnvm/compile`: compile a model file and write its program package beside it. */
export const COMPILE_REQUEST = 'dnnvm/compile';
export interface CompileParams {
  /** Absolute path of the model (.onnx, .prototxt). */
  readonly model: string;
  /** Target: a preset, a DPU configuration or an architecture file (default: the dnnvm.target setting, else ZU9). */
  readonly arch?: string;
  readonly naive?: boolean;
  /** Images per run (`dnnvm compile --batch`; default: the dnnvm.batch setting, else 1). */
  readonly batch?: number;
  /** Caffe weights (.caffemodel), for a .prototxt. */
  readonly weights?: string;
  /** Folder for the package files (default: the model's folder). */
  readonly outDir?: string;
  /** Calibrate afresh even if an earlier package of the same model holds the statistics (default false). */
  readonly recalibrate?: boolean;
}
export interface CompileResult {
  /** Folder of the package (the model's folder). */
  readonly dir: string;
  /** Where the assembly belongs (`<model>.dnnasm` beside the model). The server does not write it: the
   * client decides, because a file with hand edits must never be overwritten without asking. */
  readonly asmPath: string;
  readonly asmText: string;
  /** sha256 of the assembly this compilation generated, and of the one the previous package generated
   * (from its manifest), if there was one: an existing file whose hash differs from the previous one has
   * hand edits. */
  readonly asmSha256: string;
  readonly previousAsmSha256?: string;
  readonly manifestPath: string;
  /** Per-image timing of the compiled program (throughput mode, steady state: as `dnnvm compile`). */
  readonly summary: SimulationSummary;
}

/** `dnnvm/xgraph`: the canonical XGraph of a compiled program, with fusion groups and per-node latency. */
export const XGRAPH_REQUEST = 'dnnvm/xgraph';
export interface XGraphParams {
  /** A .dnnasm document (its package's manifest gives the graph) or a model file. */
  readonly uri: string;
}
// The graph's types live in the library (src-compiler/xgraph/view-model.ts): `dnnvm xgraph` draws the same data.
export type { XGraphNode, XGraphResult } from '../../src-compiler/xgraph/view-model';

/**
 * `dnnvm/simulation`: the timing summary of a .dnnasm document (as last analyzed). By default in the
 * edit loop's throughput mode: every core runs one image, all from cycle 0 (as `dnnvm sim`; the hover
 * timing and the code lenses come from the same run). With `steady`, simulated for this request in the
 * steady state (staggered cores, several images each), as `dnnvm compile` and CompileResult.summary
 * report it; its layers are then core 0's last image.
 */
export const SIMULATION_REQUEST = 'dnnvm/simulation';
export interface SimulationParams {
  readonly uri: string;
  readonly steady?: boolean;
}
export interface SimulationSummary {
  /** Architecture name; `cores` run the program at once in throughput mode (one image each). */
  readonly arch: string;
  readonly cores: number;
  readonly cycles: number;
  readonly seconds: number;
  readonly fps: number;
  readonly opsPerSecond: number;
  readonly instructions: number;
  /** 'error': the document does not assemble (everything else is 0 and `layers` empty). */
  readonly status: 'complete' | 'deadlock' | 'limit' | 'error';
  /**
   * Per layer marker: `line` is the 0-based line of the marker; `cycles` is how much later the program
   * ends because of the layer (these add up to `cycles`, as in `dnnvm compile`); `opsPerSecond` is
   * device ops per second over those cycles; `rooflineFraction` is the fewest cycles the layer's work
   * allows over the layer's own span (first start to last end; at most 1), as in `dnnvm compile` and
   * the code lens.
   */
  readonly layers: readonly { readonly name: string; readonly line: number; readonly cycles: number; readonly ops: number; readonly opsPerSecond: number; readonly rooflineFraction: number }[];
}

/** `dnnvm/trace`: the Chrome trace-event JSON (Perfetto) of a .dnnasm document's simulation (one image
 * per core, segments one after another; every core's slices, or core 0's alone beyond two million). */
export const TRACE_REQUEST = 'dnnvm/trace';
export interface TraceParams {
  readonly uri: string;
}
export interface TraceResult {
  readonly json: string;
}

/**
 * `dnnvm/validate`: run the compiled program bit-exactly and compare with the integer reference.
 * For a model file: compile it (arch, naive, weights) and validate, as `dnnvm validate`. For a .dnnasm
 * document of a package: compile the package's model again for the document's architecture and mode,
 * put the document's current instructions (with its hand edits) in place of the compiled ones, and
 * validate those; `arch` and `naive` are then ignored.
 */
export const VALIDATE_REQUEST = 'dnnvm/validate';
export interface ValidateParams {
  /** A model file, or a .dnnasm document of a package. */
  readonly uri: string;
  readonly arch?: string;
  readonly naive?: boolean;
  /** Images per run (default: the dnnvm.batch setting, else 1); a package's own batch for a .dnnasm. */
  readonly batch?: number;
  /** Caffe weights (.caffemodel), for a .prototxt (or for the model of a package compiled with them). */
  readonly weights?: string;
}
export interface ValidateResult {
  readonly bitExact: boolean;
  readonly layersChecked: number;
  readonly firstMismatch?: { readonly layer: string; readonly tensor: string; readonly differing: number; readonly total: number };
  readonly problems: readonly string[];
  readonly float?: { readonly cosine: number; readonly top1Agree: boolean };
}

/**
 * `dnnvm/status` (notification, server -> client): the analyses of a document version as they finish,
 * for a status bar item (and for tests and benchmarks, which wait on them). Phases: 'assembly' (the
 * assembler's diagnostics), 'timing' (the timing simulation: hover timing, code lenses, inlay hints,
 * token diagnostics), 'functional' (races, memory accesses, golden checksums). Each phase that
 * finishes for the current version publishes diagnostics first, then sends this.
 */
export const STATUS_NOTIFICATION = 'dnnvm/status';
export interface StatusParams {
  readonly uri: string;
  readonly version: number;
  readonly phase: 'assembly' | 'timing' | 'functional';
  /** done: results published; skipped: not run (assembler errors, autoSimulate off); failed: the analysis
   * hit a bug or its worker died (a diagnostic says so); stopped: it hit its time or size limit. */
  readonly state: 'done' | 'skipped' | 'failed' | 'stopped';
  /** Milliseconds from the edit (the didOpen/didChange) to this. */
  readonly ms: number;
  readonly detail?: string;
}
