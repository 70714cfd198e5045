// The XGraph as its views draw it (the editor's XGraph panel, `dnnvm xgraph`'s SVG): nodes with their
// device, output shape, fusion group and simulated latency, the edges between them, the fusion groups.
// Types only and no imports, so that the webview bundle (browser, no Node types) can use them as well
// as the library and the language server (whose `dnnvm/xgraph` request answers with an XGraphResult).

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
  /** Fusion groups of two or more nodes (a group of one is drawn as the node alone). */
  readonly groups: readonly { readonly id: string; readonly template: string; readonly nodes: readonly string[] }[];
  readonly arch: string;
}
