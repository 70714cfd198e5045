// XGraph: the framework-independent DAG every frontend produces and every later pass consumes.
//
// Plain data, so that it serializes to JSON for the webview and the language server: a graph is a list
// of nodes in topological order plus a table of tensors. Node inputs and outputs name tensors. Layout is
// NCHW throughout (both ONNX and Caffe use it). Every attribute is resolved at import time (pads are
// explicit, reshape targets are concrete, Clip bounds are numbers), so that passes and executors never
// consult the source framework's conventions again.

/** Element types a tensor can have. Activations are float32; int64 appears only in shape constants. */
export type DType = 'float32' | 'int64';

/** Where a node came from in the user's model. */
export interface Origin {
  readonly file: string;
  /** Layer name (Caffe) or node name (ONNX; the first output name when the node is unnamed). */
  readonly name: string;
  /** The operator type in the source framework ("Convolution", "Conv"). */
  readonly sourceType: string;
  /** 1-based line and column of the layer in a prototxt; absent for binary formats. */
  readonly line?: number;
  readonly col?: number;
}

/** Deterministic generated values for a weight the model does not carry (see frontend/weights.ts). */
export interface WeightInit {
  /** he: He initialization, variance 2/fanIn (uniform form); uniform: U(lo, hi); const: every element `value`. */
  readonly kind: 'he' | 'uniform' | 'const';
  readonly seed: number;
  readonly fanIn?: number;
  readonly lo?: number;
  readonly hi?: number;
  readonly value?: number;
  /** Per-slice factors along axis 0 applied after generation (a BatchNorm folded into generated
   * weights stays lazy: folding scales output channels). */
  readonly scale?: readonly number[];
}

export interface XTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /**
   * input: fed at run time; const: a weight or other constant (values in `data`, or generated from
   * `init`); value: computed by a node.
   */
  readonly kind: 'input' | 'const' | 'value';
  /** Constant values, row-major. float32 tensors hold a Float32Array, int64 ones a Float64Array. */
  data?: Float32Array | Float64Array;
  /** For constants the model does not carry: how to generate them (materialized on first use). */
  readonly init?: WeightInit;
}

/** An activation fused into its producer (conv, depthwise conv, eltwise). */
export type Activation =
  | { readonly kind: 'relu' }
  | { readonly kind: 'relu6' }
  | { readonly kind: 'leaky'; readonly alpha: number };

export type Pair = readonly [number, number];
/** Spatial padding: [top, left, bottom, right]. */
export type Pads4 = readonly [number, number, number, number];

export interface ConvAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly pads: Pads4;
  readonly group: number;
  readonly act?: Activation;
}

export interface ConvTransposeAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  /** Padding removed from the full transposed output: [top, left, bottom, right]. */
  readonly pads: Pads4;
  readonly outputPadding: Pair;
  readonly group: number;
}

export interface PoolAttrs {
  readonly kind: 'max' | 'avg';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly pads: Pads4;
  /** Output size rounds up (ONNX ceil_mode, Caffe's default rounding); windows are clipped at the padded edge. */
  readonly ceil: boolean;
  /** avg: divide by the window clipped to the padded input (true) or to the real input (false). */
  readonly countIncludePad: boolean;
}

export interface ResizeAttrs {
  readonly mode: 'nearest' | 'linear' | 'cubic';
  /** Output size per axis (resolved from scales or sizes). */
  readonly sizes: readonly number[];
  /** Scale per axis used by the coordinate transformation (output/input unless given). */
  readonly scales: readonly number[];
  readonly coordinateMode: 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nn' | 'tf_crop_and_resize';
  readonly nearestMode: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil' | 'simple';
  // simple: onnxruntime's rule for Upsample and opset-10 Resize (floor when enlarging, ceil when shrinking).
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly extrapolationValue: number;
  /** Per-axis [start, end] for tf_crop_and_resize. */
  readonly roi?: readonly (readonly [number, number])[];
}

/** The operators of XGraph, each with its attributes. Inputs in brackets: [data, weights...]. */
export type NodeOp =
  /** [x, w, b?]; w is [M, C/group, kh, kw]. Depthwise when group = C = M. */
  | { readonly op: 'conv'; readonly attrs: ConvAttrs }
  /** [x, w, b?]; w is [C, M/group, kh, kw]. */
  | { readonly op: 'convTranspose'; readonly attrs: ConvTransposeAttrs }
  | { readonly op: 'pool'; readonly attrs: PoolAttrs }
  /** Average or max over all positions after axis 1: [N, C, ...] -> [N, C, 1, ...]. */
  | { readonly op: 'globalPool'; readonly attrs: { readonly kind: 'max' | 'avg' } }
  | { readonly op: 'relu'; readonly attrs: Record<string, never> }
  | { readonly op: 'leakyRelu'; readonly attrs: { readonly alpha: number } }
  | { readonly op: 'clip'; readonly attrs: { readonly min: number; readonly max: number } }
  /** [x, slope]; slope broadcasts to x. */
  | { readonly op: 'prelu'; readonly attrs: Record<string, never> }
  | { readonly op: 'sigmoid'; readonly attrs: Record<string, never> }
  /** coerce2d: the opset < 13 meaning (flatten to 2-D at `axis`, softmax over the second dimension). */
  | { readonly op: 'softmax'; readonly attrs: { readonly axis: number; readonly coerce2d: boolean } }
  /** Elementwise sum of n inputs with numpy broadcasting; coeffs scale each input (Caffe Eltwise SUM). */
  | { readonly op: 'add'; readonly attrs: { readonly coeffs?: readonly number[]; readonly act?: Activation } }
  | { readonly op: 'mul'; readonly attrs: { readonly act?: Activation } }
  | { readonly op: 'max'; readonly attrs: Record<string, never> }
  | { readonly op: 'concat'; readonly attrs: { readonly axis: number } }
  /** [x, scale, bias, mean, var] (inference form). */
  | { readonly op: 'batchNorm'; readonly attrs: { readonly epsilon: number } }
  /** Y = alpha * A' B' + beta * C, A' = transA ? A^T : A. [A, B, C?] */
  | { readonly op: 'gemm'; readonly attrs: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean } }
  /** numpy matmul semantics. [A, B] */
  | { readonly op: 'matmul'; readonly attrs: Record<string, never> }
  | { readonly op: 'flatten'; readonly attrs: { readonly axis: number } }
  /** Target shape fully resolved (no 0 or -1). */
  | { readonly op: 'reshape'; readonly attrs: { readonly shape: readonly number[] } }
  | { readonly op: 'transpose'; readonly attrs: { readonly perm: readonly number[] } }
  /** pads: begins of every axis, then ends (ONNX order); may be negative (crop). */
  | { readonly op: 'pad'; readonly attrs: { readonly pads: readonly number[]; readonly mode: 'constant' | 'reflect' | 'edge'; readonly value: number } }
  | { readonly op: 'resize'; readonly attrs: ResizeAttrs }
  /**
   * Local response normalization: across channels (ONNX, Caffe's default), x / (bias + alpha/size * sum
   * of squares over `size` neighbouring channels)^beta; or within a channel (Caffe WITHIN_CHANNEL),
   * x * (1 + alpha/size^2 * sum of squares over a size x size window, zero-padded)^-beta.
   */
  | { readonly op: 'lrn'; readonly attrs: { readonly size: number; readonly alpha: number; readonly beta: number; readonly bias: number; readonly withinChannel?: boolean } }
  | { readonly op: 'identity'; readonly attrs: Record<string, never> }
  | { readonly op: 'dropout'; readonly attrs: Record<string, never> };

export type OpType = NodeOp['op'];

/** Which processor runs a node (set by the partition pass). */
export type Device = 'dpu' | 'cpu';

interface NodeCommon {
  /** Unique within the graph. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly origin: Origin;
  /** Set by the partition pass, with the reason when the node goes to the CPU. */
  readonly device?: Device;
  readonly deviceReason?: string;
  /** Source nodes merged into this one by canonicalization (e.g. a folded BatchNorm), for traceability. */
  readonly merged?: readonly Origin[];
}

export type XNode = NodeCommon & NodeOp;

/** A node of one op type, with its attributes typed. */
export type NodeOf<T extends OpType> = NodeCommon & Extract<NodeOp, { op: T }>;

export interface XGraph {
  readonly name: string;
  readonly source: { readonly file: string; readonly format: 'onnx' | 'caffe'; readonly detail: string };
  /** Graph input tensor names (run-time inputs, not weights), in model order. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** In topological order. */
  readonly nodes: readonly XNode[];
  readonly tensors: ReadonlyMap<string, XTensor>;
  /** True when some weights are generated (the model carried none for them). */
  readonly generatedWeights: boolean;
}
