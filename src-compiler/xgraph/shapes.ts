// Shape inference for every XGraph operator: from the input shapes and the node's attributes to the
// output shapes, checking that the inputs are consistent. A mismatch throws ShapeError with a message
// that names the shapes; the caller adds the node and its location.

import type { ConvAttrs, PoolAttrs, XNode } from './types';

import { limits } from '../util/limits';

export class ShapeError extends Error {}

/** The largest tensor any frontend accepts, in elements: 2^31 - 1 (typed arrays index with int32). */
/** Elements of one tensor at most (util/limits.ts: tensorElements, a setting). */
export const maxElements = (): number => limits().tensorElements;

export type Shape = readonly number[];

export function numel(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

export function shapeText(s: Shape): string {
  return `[${s.join(',')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fail(msg: string): never {
  throw new ShapeError(msg);
}

function need(inputs: readonly Shape[], n: number, what: string): void {
  if (inputs.length < n) fail(`needs ${n} inputs (${what}), has ${inputs.length}`);
}

/** Numpy broadcasting of any number of shapes. */
export function broadcastShapes(shapes: readonly Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else fail(`shapes ${shapes.map(shapeText).join(' and ')} do not broadcast`);
    }
  }
  return out;
}

/** One spatial output extent of a sliding window. */
export function windowOut(size: number, k: number, s: number, d: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = size + padBegin + padEnd - d * (k - 1) - 1;
  if (span < 0) fail(`window of ${d * (k - 1) + 1} does not fit the padded extent ${size + padBegin + padEnd}`);
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // With ceil rounding, a last window that would start inside the end padding is dropped (Caffe, PyTorch).
  if (ceil && (out - 1) * s >= size + padBegin) out--;
  return out;
}

function checkPositive(name: string, v: readonly number[]): void {
  if (v.some((x) => !Number.isInteger(x) || x < 1)) fail(`${name} must be positive integers, got [${v.join(',')}]`);
}

function checkConvLike(a: ConvAttrs | PoolAttrs): void {
  checkPositive('kernel', a.kernel);
  checkPositive('stride', a.stride);
  checkPositive('dilation', a.dilation);
  if (a.pads.some((p) => !Number.isInteger(p) || p < 0)) fail(`pads must be non-negative integers, got [${a.pads.join(',')}]`);
}

export function convOutShape(x: Shape, a: ConvAttrs, outChannels: number): number[] {
  return [
    x[0]!,
    outChannels,
    windowOut(x[2]!, a.kernel[0], a.stride[0], a.dilation[0], a.pads[0], a.pads[2], false),
    windowOut(x[3]!, a.kernel[1], a.stride[1], a.dilation[1], a.pads[1], a.pads[3], false),
  ];
}

/** Output shapes of `node` given its input shapes. */
export function inferShapes(node: XNode, ins: readonly Shape[]): number[][] {
  const x = ins[0];
  if (!x) fail('has no input');
  switch (node.op) {
    case 'conv': {
      need(ins, 2, 'data and weights');
      const a = node.attrs;
      checkConvLike(a);
      const w = ins[1]!;
      if (x.length !== 4) fail(`input must be 4-D [N,C,H,W], got ${shapeText(x)}`);
      if (w.length !== 4) fail(`weights must be 4-D [M,C/group,kh,kw], got ${shapeText(w)}`);
      const g = a.group;
      if (!Number.isInteger(g) || g < 1) fail(`group must be a positive integer, got ${g}`);
      if (x[1]! % g !== 0 || w[0]! % g !== 0) fail(`group ${g} does not divide input channels ${x[1]} and output channels ${w[0]}`);
      if (w[1]! * g !== x[1]) fail(`weights ${shapeText(w)} expect ${w[1]! * g} input channels (group ${g}), input has ${x[1]}`);
      if (w[2] !== a.kernel[0] || w[3] !== a.kernel[1]) fail(`weights ${shapeText(w)} do not match kernel ${a.kernel.join('x')}`);
      if (ins[2] && (numel(ins[2]) !== w[0] || ins[2].length !== 1)) fail(`bias ${shapeText(ins[2])} must be [${w[0]}]`);
      return [convOutShape(x, a, w[0]!)];
    }
    case 'convTranspose': {
      need(ins, 2, 'data and weights');
      const a = node.attrs;
      checkPositive('kernel', a.kernel);
      checkPositive('stride', a.stride);
      const w = ins[1]!;
      if (x.length !== 4 || w.length !== 4) fail(`input and weights must be 4-D, got ${shapeText(x)} and ${shapeText(w)}`);
      if (w[0] !== x[1]) fail(`weights ${shapeText(w)} expect ${w[0]} input channels, input has ${x[1]}`);
      if (x[1]! % a.group !== 0) fail(`group ${a.group} does not divide input channels ${x[1]}`);
      if (w[2] !== a.kernel[0] || w[3] !== a.kernel[1]) fail(`weights ${shapeText(w)} do not match kernel ${a.kernel.join('x')}`);
      const m = w[1]! * a.group;
      if (ins[2] && numel(ins[2]) !== m) fail(`bias ${shapeText(ins[2])} must be [${m}]`);
      const out = (i: 0 | 1) =>
        a.stride[i] * (x[2 + i]! - 1) + a.outputPadding[i] + a.dilation[i] * (a.kernel[i] - 1) + 1 - a.pads[i] - a.pads[i + 2];
      const oh = out(0);
      const ow = out(1);
      if (oh < 1 || ow < 1) fail(`transposed convolution output ${oh}x${ow} is empty`);
      return [[x[0]!, m, oh, ow]];
    }
    case 'pool': {
      const a = node.attrs;
      checkConvLike(a);
      if (x.length !== 4) fail(`input must be 4-D [N,C,H,W], got ${shapeText(x)}`);
      if (a.pads[0] >= a.kernel[0] * a.dilation[0] || a.pads[1] >= a.kernel[1] * a.dilation[1] || a.pads[2] >= a.kernel[0] * a.dilation[0] || a.pads[3] >= a.kernel[1] * a.dilation[1])
        fail(`padding [${a.pads.join(',')}] must be smaller than the window ${a.kernel.join('x')}`);
      return [
        [
          x[0]!,
          x[1]!,
          windowOut(x[2]!, a.kernel[0], a.stride[0], a.dilation[0], a.pads[0], a.pads[2], a.ceil),
          windowOut(x[3]!, a.kernel[1], a.stride[1], a.dilation[1], a.pads[1], a.pads[3], a.ceil),
        ],
      ];
    }
    case 'globalPool':
      if (x.length < 3) fail(`input must be [N,C,...], got ${shapeText(x)}`);
      return [[x[0]!, x[1]!, ...x.slice(2).map(() => 1)]];
    case 'relu':
    case 'leakyRelu':
    case 'sigmoid':
    case 'identity':
    case 'dropout':
      return [[...x]];
    case 'clip':
      if (!(node.attrs.min <= node.attrs.max) && !Number.isNaN(node.attrs.min)) fail(`clip bounds [${node.attrs.min}, ${node.attrs.max}] are empty`);
      return [[...x]];
    case 'lrn':
      if (x.length < 3) fail(`input must be [N,C,...], got ${shapeText(x)}`);
      if (!Number.isInteger(node.attrs.size) || node.attrs.size < 1) fail(`size must be a positive integer, got ${node.attrs.size}`);
      return [[...x]];
    case 'prelu': {
      need(ins, 2, 'data and slope');
      const b = broadcastShapes([x, ins[1]!]);
      if (!sameShape(b, x)) fail(`slope ${shapeText(ins[1]!)} does not broadcast to the input ${shapeText(x)}`);
      return [[...x]];
    }
    case 'softmax': {
      const ax = node.attrs.axis;
      if (ax < 0 || ax >= Math.max(1, x.length)) fail(`axis ${ax} is out of range for rank ${x.length}`);
      return [[...x]];
    }
    case 'add':
    case 'mul':
    case 'max': {
      if (node.op === 'add' && node.attrs.coeffs && node.attrs.coeffs.length !== ins.length)
        fail(`has ${node.attrs.coeffs.length} coefficients for ${ins.length} inputs`);
      return [broadcastShapes(ins)];
    }
    case 'concat': {
      const ax = node.attrs.axis;
      if (ax < 0 || ax >= x.length) fail(`axis ${ax} is out of range for rank ${x.length}`);
      const out = [...x];
      for (const s of ins.slice(1)) {
        if (s.length !== x.length || s.some((d, i) => i !== ax && d !== x[i]))
          fail(`inputs ${shapeText(x)} and ${shapeText(s)} differ outside the concatenation axis ${ax}`);
        out[ax] += s[ax]!;
      }
      return [out];
    }
    case 'batchNorm': {
      need(ins, 5, 'data, scale, bias, mean, variance');
      if (x.length < 2) fail(`input must be [N,C,...], got ${shapeText(x)}`);
      for (let i = 1; i < 5; i++) if (numel(ins[i]!) !== x[1]) fail(`parameter ${i} ${shapeText(ins[i]!)} must have ${x[1]} elements`);
      return [[...x]];
    }
    case 'gemm': {
      need(ins, 2, 'A and B');
      const [A, B] = [x, ins[1]!];
      if (A.length !== 2 || B.length !== 2) fail(`A and B must be 2-D, got ${shapeText(A)} and ${shapeText(B)}`);
      const [m, k] = node.attrs.transA ? [A[1]!, A[0]!] : [A[0]!, A[1]!];
      const [k2, n] = node.attrs.transB ? [B[1]!, B[0]!] : [B[0]!, B[1]!];
      if (k !== k2) fail(`inner dimensions differ: A ${shapeText(A)}${node.attrs.transA ? 'ᵀ' : ''} and B ${shapeText(B)}${node.attrs.transB ? 'ᵀ' : ''}`);
      if (ins[2]) {
        const c = broadcastShapes([ins[2], [m, n]]);
        if (!sameShape(c, [m, n])) fail(`C ${shapeText(ins[2])} does not broadcast to [${m},${n}]`);
      }
      return [[m, n]];
    }
    case 'matmul': {
      need(ins, 2, 'A and B');
      const A = x.length === 1 ? [1, x[0]!] : x;
      const B = ins[1]!.length === 1 ? [ins[1]![0]!, 1] : ins[1]!;
      if (A.length < 1 || B.length < 1) fail('operands must have rank >= 1');
      if (A[A.length - 1] !== B[B.length - 2]) fail(`inner dimensions differ: ${shapeText(x)} x ${shapeText(ins[1]!)}`);
      const batch = broadcastShapes([A.slice(0, -2), B.slice(0, -2)]);
      const out = [...batch, A[A.length - 2]!, B[B.length - 1]!];
      if (x.length === 1) out.splice(out.length - 2, 1);
      if (ins[1]!.length === 1) out.splice(out.length - 1, 1);
      return [out];
    }
    case 'flatten': {
      const ax = node.attrs.axis;
      if (ax < 0 || ax > x.length) fail(`axis ${ax} is out of range for rank ${x.length}`);
      return [[numel(x.slice(0, ax)), numel(x.slice(ax))]];
    }
    case 'reshape': {
      const s = node.attrs.shape;
      if (s.some((d) => !Number.isInteger(d) || d < 0)) fail(`target shape ${shapeText(s)} is not resolved`);
      if (numel(s) !== numel(x)) fail(`cannot reshape ${shapeText(x)} (${numel(x)} elements) to ${shapeText(s)} (${numel(s)} elements)`);
      return [[...s]];
    }
    case 'transpose': {
      const p = node.attrs.perm;
      if (p.length !== x.length || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) fail(`perm [${p.join(',')}] is not a permutation of rank ${x.length}`);
      return [p.map((i) => x[i]!)];
    }
    case 'pad': {
      const p = node.attrs.pads;
      if (p.length !== 2 * x.length) fail(`pads has ${p.length} values, needs ${2 * x.length} for rank ${x.length}`);
      const out = x.map((d, i) => d + p[i]! + p[i + x.length]!);
      if (out.some((d) => d < 0)) fail(`pads [${p.join(',')}] crop more than the input ${shapeText(x)}`);
      if (node.attrs.mode === 'reflect' && x.some((d, i) => p[i]! >= d || p[i + x.length]! >= d))
        fail(`reflect padding must be smaller than the input extent ${shapeText(x)}`);
      return [out];
    }
    case 'resize': {
      const s = node.attrs.sizes;
      if (s.length !== x.length) fail(`sizes has ${s.length} values for rank ${x.length}`);
      checkPositive('sizes', s);
      return [[...s]];
    }
  }
}
