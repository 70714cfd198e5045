// Custom requests between the extension (client) and the language server, beyond LSP. Both sides
// import these types; the server implements the handlers, the client calls them.
//
// Long requests (compile, validate) report progress with LSP work-done progress and honour the
// request's cancellation token.

/** `dnnvm/compile`: compile a model file and write its program package beside it. */
export const COMPILE_REQUEST = 'dnnvm/compile';
export interface CompileParams {
  /** Absolute path of the model (.onnx, .prototxt). */
  readonly model: string;
  /** Target: a preset, a DPU configuration or an architecture file (default: the dnnvm.target setting, else ZU9). */
  readonly arch?: string;
  readonly naive?: boolean;
  /** Caffe weights (.caffemodel), for a .prototxt. */
  readonly weights?: string;
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
  /** Per-image timing of the compiled program (throughput mode). */
  readonly summary: SimulationSummary;
}

/** `dnnvm/xgraph`: the canonical XGraph of a compiled program, with fusion groups and per-node latency. */
export const XGRAPH_REQUEST = 'dnnvm/xgraph';
export interface XGraphParams {
  /** A .dnnasm document (its package's manifest gives the graph) or a model file. */
  readonly uri: string;
}
export interface XGraphNode {
  readonly id: string;
  readonly op: string;
  readonly device: 'dpu' | 'cpu';
  /** Why the node runs on the CPU. */
  readonly reason?: string;
  /** Output shape. */
  readonly shape: readonly number[];
  /** Fusion group id, if fused. */
  readonly group?: string;
  /** Cycles of the layer marker that holds the node (shared by a fused group's nodes), if simulated. */
  readonly cycles?: number;
  readonly ops?: number;
  /** 0-based line of the layer marker in the assembly. */
  readonly asmLine?: number;
  readonly origin: { readonly file: string; readonly name: string; readonly line?: number };
}
export interface XGraphResult {
  readonly name: string;
  readonly nodes: readonly XGraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly tensor: string }[];
  readonly groups: readonly { readonly id: string; readonly template: string; readonly nodes: readonly string[] }[];
  readonly arch: string;
}

/** `dnnvm/simulation`: the timing summary of a .dnnasm document (as last analyzed). */
export const SIMULATION_REQUEST = 'dnnvm/simulation';
export interface SimulationParams {
  readonly uri: string;
}
export interface SimulationSummary {
  readonly arch: string;
  readonly cores: number;
  readonly cycles: number;
  readonly seconds: number;
  readonly fps: number;
  readonly opsPerSecond: number;
  readonly instructions: number;
  readonly status: 'complete' | 'deadlock' | 'limit' | 'error';
  readonly layers: readonly { readonly name: string; readonly line: number; readonly cycles: number; readonly ops: number; readonly opsPerSecond: number; readonly rooflineFraction: number }[];
}

/** `dnnvm/trace`: the Chrome trace-event JSON (Perfetto) of a .dnnasm document's simulation. */
export const TRACE_REQUEST = 'dnnvm/trace';
export interface TraceParams {
  readonly uri: string;
}
export interface TraceResult {
  readonly json: string;
}

/** `dnnvm/validate`: run the compiled program bit-exactly and compare with the integer reference. */
export const VALIDATE_REQUEST = 'dnnvm/validate';
export interface ValidateParams {
  /** A model file, or a .dnnasm document of a package. */
  readonly uri: string;
  readonly arch?: string;
  readonly naive?: boolean;
}
export interface ValidateResult {
  readonly bitExact: boolean;
  readonly layersChecked: number;
  readonly firstMismatch?: { readonly layer: string; readonly tensor: string; readonly differing: number; readonly total: number };
  readonly problems: readonly string[];
  readonly float?: { readonly cosine: number; readonly top1Agree: boolean };
}
