// The quantization of a partitioned XGraph: a power-of-two fix position per int8 tensor, int8 weights
// and biases, and per DPU node the integer instruction parameters the code generator emits. The
// mapping from fix positions to instruction fields is documented in docs/quantization.md.
//
// A fix position fp means real = int * 2^-fp.

import type { XGraph } from '../xgraph/types';

/** How a tensor is held in the integer execution. */
export type TensorQuant =
  /** int8 with a fix position: tensors a DPU node reads or writes. */
  | { readonly kind: 'int8'; readonly fix: number }
  /** float32: tensors only host nodes touch (e.g. a softmax feeding the output). */
  | { readonly kind: 'float' };

/** CONV (and DPTWISE for depthwise) parameters. shiftBias and shiftCut are the DPUV2 field values. */
export interface ConvQuant {
  readonly kind: 'conv';
  readonly depthwise: boolean;
  readonly fixIn: number;
  readonly fixWeights: number;
  readonly fixBias: number;
  readonly fixOut: number;
  /** CONVINIT/DWINIT shift_bias = fixIn + fixWeights - fixBias + 1 (0..20). Xilinx's CPU reference
   * calls fixIn + fixWeights - fixBias "shift_bias" and doubles the bias itself; the field is that + 1. */
  readonly shiftBias: number;
  /** CONVINIT/DWINIT shift_cut = fixIn + fixWeights - fixOut (>= 0). */
  readonly shiftCut: number;
  /** act_type: none, relu, leaky_relu (26/256) or relu6 (clamp to 96 at fixOut 4). */
  readonly act: 'none' | 'relu' | 'leaky_relu' | 'relu6';
  /** Weights as in the XGraph's layout [M, C/group, kh, kw], int8. */
  readonly weights: Int8Array;
  readonly bias: Int8Array;
}

/** POOLINIT parameters. */
export interface PoolQuant {
  readonly kind: 'pool';
  readonly type: 'max' | 'avg';
  readonly fixIn: number;
  readonly fixOut: number;
  /** POOLINIT shift_cut: fixOut - fixIn = d; d >= 0 -> d (multiply by 2^d), d < 0 -> 8 - d (divide by 2^-d). */
  readonly shiftCut: number;
  /** Padding the POOL engine applies: [top, left, bottom, right] counts (ceil rounding included). */
  readonly pads: readonly [number, number, number, number];
}

/** ELEWINIT/ELEW parameters: eltwise add (also a lone ReLU, as a one-input add) or multiply. */
export interface ElewQuant {
  readonly kind: 'elew';
  readonly type: 'add' | 'mult';
  readonly fixIn: readonly number[];
  readonly fixOut: number;
  /** ELEWINIT shift_read per input (0..15). */
  readonly shiftRead: readonly number[];
  /** ELEW shift_write: k >= 0 -> k (multiply by 2^k), k < 0 -> 16 - k (divide by 2^-k). */
  readonly shiftWrite: number;
  readonly relu: boolean;
}

/** A channel concatenation without a copy: every input already has the output's fix position. */
export interface ConcatQuant {
  readonly kind: 'concat';
  readonly fix: number;
}

/** A host node: dequantizes int8 inputs, computes in float, requantizes an int8 output. */
export interface HostQuant {
  readonly kind: 'host';
}

export type NodeQuant = ConvQuant | PoolQuant | ElewQuant | ConcatQuant | HostQuant;

export interface QuantizedGraph {
  readonly graph: XGraph;
  readonly tensors: ReadonlyMap<string, TensorQuant>;
  readonly nodes: ReadonlyMap<string, NodeQuant>;
  /** How the fix positions were found: the largest magnitude of each tensor over `inputs` samples. */
  readonly calibration: { readonly method: 'max-abs'; readonly inputs: number; readonly stats: ReadonlyMap<string, number> };
}
