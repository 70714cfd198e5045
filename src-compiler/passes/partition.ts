// Activation fusion and the DPU/CPU partition. Both read the target's limits from the architecture
// model (arch/) and the instruction field ranges from the ISA table (isa/table.ts), never restating them.

import type { Arch, Nonlinear } from '../arch/model';
import { spec, type FieldSpec } from '../isa/table';
import { consumers, nodeError, producers, rebuild } from '../xgraph/graph';
import { sameShape, type Shape } from '../xgraph/shapes';
import { dpuAvgFactor } from '../ref/dpu-math';
import type { Activation, NodeOf, OpType, XGraph, XNode } from '../xgraph/types';

/** The DPU's leaky ReLU multiplies negative values by 26/256 (isa-fields.md N2). */
export const DPU_LEAKY_SLOPE = 26 / 256;
/** A model's leaky slope the DPU may implement with 26/256: 0.1 (the value Xilinx's tools accept) or 26/256 itself. */
export function dpuLeakyOk(alpha: number): boolean {
  return Math.abs(alpha - 0.1) <= 1e-6 || Math.abs(alpha - DPU_LEAKY_SLOPE) <= 1e-6;
}

function field(mnemonic: Parameters<typeof spec>[0], name: string): FieldSpec {
  const f = spec(mnemonic).fields.find((x) => x.name === name);
  if (!f) throw new Error(`ISA table: ${mnemonic} has no field ${name}`);
  return f;
}

function activationOf(n: XNode): { act: Activation; nonlinear: Nonlinear } | undefined {
  if (n.op === 'relu') return { act: { kind: 'relu' }, nonlinear: 'relu' };
  if (n.op === 'leakyRelu') return { act: { kind: 'leaky', alpha: n.attrs.alpha }, nonlinear: 'leaky_relu' };
  if (n.op === 'clip' && n.attrs.min === 0 && n.attrs.max === 6) return { act: { kind: 'relu6' }, nonlinear: 'relu6' };
  if (n.op === 'clip' && n.attrs.min === 0 && n.attrs.max === Infinity) return { act: { kind: 'relu' }, nonlinear: 'relu' };
  return undefined;
}

/**
 * Attach ReLU, leaky ReLU and ReLU6 to the convolution that produces their input, and ReLU to an
 * eltwise add or multiply, where the target supports that activation (arch nonlinear list; leaky only
 * with a slope the DPU implements) and the producer's raw output is used by nothing else.
 */
export function fuseActivations(g: XGraph, arch: Arch): XGraph {
  const prod = producers(g);
  const cons = consumers(g);
  const outputs = new Set(g.outputs);
  const replace = new Map<XNode, XNode>();
  const drop = new Set<XNode>();
  for (const n of g.nodes) {
    const a = activationOf(n);
    if (!a) continue;
    const x = n.inputs[0]!;
    const p = prod.get(x);
    if (!p || replace.has(p) || (cons.get(x) ?? []).length !== 1 || outputs.has(x)) continue;
    if (p.op === 'conv' && !p.attrs.act) {
      if (!arch.dpu.nonlinear.includes(a.nonlinear)) continue;
      if (a.act.kind === 'leaky' && !dpuLeakyOk(a.act.alpha)) continue;
      replace.set(p, { ...p, attrs: { ...p.attrs, act: a.act }, outputs: n.outputs, merged: [...(p.merged ?? []), n.origin] } as XNode);
      drop.add(n);
    } else if ((p.op === 'add' || p.op === 'mul') && !p.attrs.act && a.act.kind === 'relu') {
      replace.set(p, { ...p, attrs: { ...p.attrs, act: a.act }, outputs: n.outputs, merged: [...(p.merged ?? []), n.origin] } as XNode);
      drop.add(n);
    }
  }
  if (replace.size === 0) return g;
  const nodes = g.nodes.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n);
  return rebuild(g, nodes, g.tensors);
}

/**
 * Host implementations: every operator the float executor (ref/float.ts) implements can run on the
 * CPU. The integer executor runs them by dequantizing, computing in float and requantizing.
 */
export const HOST_OPS: ReadonlySet<OpType> = new Set<OpType>([
  'conv', 'convTranspose', 'pool', 'globalPool', 'relu', 'leakyRelu', 'clip', 'prelu', 'sigmoid', 'softmax', 'add', 'mul', 'max',
  'concat', 'batchNorm', 'gemm', 'matmul', 'flatten', 'reshape', 'transpose', 'pad', 'resize', 'lrn', 'identity', 'dropout',
]);

/** Why a node cannot run on the DPU, or undefined when it can. */
export type DpuVerdict = string | undefined;

function inRange(v: number, f: FieldSpec): boolean {
  return v >= f.min && v <= f.max;
}

/** The padding a DPU pool or conv really applies at the bottom and right: the declared padding plus,
 * with ceil rounding, the rows and columns the last window reaches past it. */
export function effectivePads(inShape: Shape, outShape: Shape, kernel: readonly [number, number], stride: readonly [number, number], pads: readonly [number, number, number, number]): [number, number, number, number] {
  const bottom = (outShape[2]! - 1) * stride[0] + kernel[0] - inShape[2]! - pads[0];
  const right = (outShape[3]! - 1) * stride[1] + kernel[1] - inShape[3]! - pads[1];
  return [pads[0], pads[1], Math.max(0, bottom), Math.max(0, right)];
}

/** Whether a convolution is depthwise (one input and one output channel per group). */
export function isDepthwise(n: NodeOf<'conv'>, g: XGraph): boolean {
  const C = g.tensors.get(n.inputs[0]!)!.shape[1]!;
  const M = g.tensors.get(n.outputs[0]!)!.shape[1]!;
  return n.attrs.group > 1 && n.attrs.group === C && M === C;
}

export function dpuVerdict(n: XNode, g: XGraph, arch: Arch): DpuVerdict {
  const t = (name: string) => g.tensors.get(name)!;
  const rank4 = n.inputs.every((i) => t(i).kind === 'const' || t(i).shape.length === 4) && n.outputs.every((o) => t(o).shape.length === 4);
  switch (n.op) {
    case 'conv': {
      if (!rank4) return 'the DPU convolves 4-D NCHW tensors only';
      if (n.inputs.slice(1).some((i) => t(i).kind !== 'const')) return 'its weights are not constant';
      const a = n.attrs;
      if (a.dilation[0] !== 1 || a.dilation[1] !== 1) return `dilation ${a.dilation.join('x')}: the DPU has no dilated convolution`;
      const xs = t(n.inputs[0]!).shape;
      const eff = effectivePads(xs, t(n.outputs[0]!).shape, a.kernel, a.stride, a.pads);
      const dw = isDepthwise(n, g);
      const execName = dw ? 'DPTWISE' : 'CONV';
      const kLimit = dw ? [field('DWINIT', 'kernel_h'), field('DWINIT', 'kernel_w')] : undefined;
      const sLimit = dw ? [field('DWINIT', 'stride_h'), field('DWINIT', 'stride_w')] : undefined;
      const [kmin, kmax] = arch.dpu.convKernel;
      const [smin, smax] = arch.dpu.convStride;
      for (const i of [0, 1] as const) {
        const k = a.kernel[i];
        const s = a.stride[i];
        const kr = kLimit ? `${kLimit[i]!.min}..${kLimit[i]!.max}` : `${kmin}..${kmax}`;
        const sr = sLimit ? `${sLimit[i]!.min}..${sLimit[i]!.max}` : `${smin}..${smax}`;
        if (kLimit ? !inRange(k, kLimit[i]!) : k < kmin || k > kmax) return `kernel ${a.kernel.join('x')} is outside the ${dw ? 'depthwise' : 'convolution'} limits of ${arch.name} (${kr})`;
        if (sLimit ? !inRange(s, sLimit[i]!) : s < smin || s > smax) return `stride ${a.stride.join('x')} is outside the ${dw ? 'depthwise' : 'convolution'} limits of ${arch.name} (${sr})`;
      }
      if (!inRange(eff[0], field(execName, 'pad_top')) || !inRange(eff[1], field(execName, 'pad_left'))) return `padding ${a.pads.join(',')} exceeds the ${execName} pad fields`;
      if (eff[2] > a.kernel[0] - 1 || eff[3] > a.kernel[1] - 1) return `bottom/right padding ${eff[2]},${eff[3]} exceeds kernel - 1 (the ${execName} pad_bottom/pad_right convention)`;
      // Input channels: a CONV reads channel_group x ICP of them and cannot accumulate across
      // instructions, so one group's input channels must fit the channel_group field.
      const Cin = xs[1]! / a.group;
      const groups = Math.ceil(Cin / arch.dpu.icp);
      const cg = field(execName, 'channel_group');
      if (!dw && groups > cg.max) return `${Cin} input channels need channel_group ${groups}; the ${execName} field holds at most ${cg.max} (x ICP ${arch.dpu.icp})`;
      // One output channel's filter occupies kernel_h x kernel_w x channel_group addresses of its weight bank.
      if (!dw && a.kernel[0] * a.kernel[1] * groups > arch.dpu.bankDepth)
        return `a filter of ${a.kernel.join('x')} x ${groups} channel groups needs ${a.kernel[0] * a.kernel[1] * groups} weight-bank addresses; a bank has ${arch.dpu.bankDepth}`;
      if (a.group > 1 && !dw) {
        const Cg = xs[1]! / a.group;
        const Mg = t(n.outputs[0]!).shape[1]! / a.group;
        if (Cg % arch.dpu.icp !== 0 || Mg % arch.dpu.ocp !== 0)
          return `grouped convolution (group ${a.group}) with ${Cg} input / ${Mg} output channels per group, not multiples of ICP ${arch.dpu.icp} / OCP ${arch.dpu.ocp}; the DPU runs groups as channel slices only when they align with the banks`;
      }
      if (a.act) {
        const nl: Nonlinear = a.act.kind === 'leaky' ? 'leaky_relu' : a.act.kind;
        if (!arch.dpu.nonlinear.includes(nl)) return `activation ${nl} is not supported by ${arch.name}`;
        if (a.act.kind === 'leaky' && !dpuLeakyOk(a.act.alpha)) return `leaky ReLU slope ${a.act.alpha}: the DPU implements only 26/256 (for 0.1)`;
      }
      return undefined;
    }
    case 'pool': {
      if (!rank4) return 'the DPU pools 4-D NCHW tensors only';
      const a = n.attrs;
      if (a.dilation[0] !== 1 || a.dilation[1] !== 1) return 'dilated pooling';
      const kh = field('POOLINIT', 'kernel_h');
      const kw = field('POOLINIT', 'kernel_w');
      const sh = field('POOLINIT', 'stride_h');
      const sw = field('POOLINIT', 'stride_w');
      if (!inRange(a.kernel[0], kh) || !inRange(a.kernel[1], kw)) return `pool window ${a.kernel.join('x')} exceeds the POOLINIT kernel fields (${kh.min}..${kh.max})`;
      if (!inRange(a.stride[0], sh) || !inRange(a.stride[1], sw)) return `pool stride ${a.stride.join('x')} exceeds the POOLINIT stride fields (${sh.min}..${sh.max})`;
      const eff = effectivePads(t(n.inputs[0]!).shape, t(n.outputs[0]!).shape, a.kernel, a.stride, a.pads);
      if (!inRange(eff[0], field('POOL', 'pad_top')) || !inRange(eff[1], field('POOL', 'pad_left'))) return `padding ${a.pads.join(',')} exceeds the POOL pad fields`;
      if (eff[2] > a.kernel[0] - 1 || eff[3] > a.kernel[1] - 1) return `bottom/right padding ${eff[2]},${eff[3]} exceeds kernel - 1`;
      if (a.kind === 'avg') {
        if (!dpuAvgFactor(a.kernel[1], a.kernel[0])) return `average pool ${a.kernel.join('x')}: the POOL engine's averaging factors cover kernel widths 1, 2, 4, 8, and square 3, 5, 6, 7`;
        const padded = a.pads.some((p) => p > 0) || eff[2] > a.pads[2] || eff[3] > a.pads[3];
        if (padded && !a.countIncludePad) return 'average pool whose divisor excludes padding: the POOL engine always divides by the whole window';
        if (eff[2] > a.pads[2] || eff[3] > a.pads[3]) return 'average pool with ceil rounding past the padding: its edge windows divide by fewer elements, the POOL engine by the whole window';
      }
      return undefined;
    }
    case 'add':
    case 'mul': {
      if (!rank4) return 'the DPU combines 4-D NCHW tensors only';
      if (n.inputs.some((i) => t(i).kind === 'const')) return 'an operand is a constant (the ELEW engine combines feature maps)';
      const os = t(n.outputs[0]!).shape;
      if (n.inputs.some((i) => !sameShape(t(i).shape, os))) return 'operands of different shapes (broadcasting)';
      const num = field('ELEW', 'num');
      if (n.op === 'mul' && n.inputs.length !== 2) return 'ELEW multiplies exactly two inputs';
      if (n.inputs.length > num.max) return `${n.inputs.length} inputs; ELEW takes at most ${num.max}`;
      if (n.op === 'add' && n.attrs.coeffs && n.attrs.coeffs.some((c) => c !== 1)) return `coefficients ${n.attrs.coeffs.join(',')}: ELEW adds with weight 1 only`;
      if (n.attrs.act && n.attrs.act.kind !== 'relu') return 'ELEW applies ReLU only';
      return undefined;
    }
    case 'relu':
      // A ReLU no producer could absorb runs as a one-input ELEW with ReLU (exact: x * 4 / 4).
      return rank4 ? undefined : 'the DPU works on 4-D NCHW tensors only';
    case 'concat':
      if (!rank4) return 'the DPU concatenates 4-D NCHW tensors only';
      if (n.attrs.axis !== 1) return `concatenation along axis ${n.attrs.axis}; the DPU concatenates channels (axis 1) by placement, without a copy`;
      if (n.inputs.some((i) => t(i).kind === 'const')) return 'an input is a constant';
      return undefined;
    case 'softmax':
      return 'softmax runs on the host (the DPU has no exponential)';
    case 'sigmoid':
      return 'sigmoid runs on the host (no DPU activation code implements it)';
    case 'lrn':
      return 'local response normalization runs on the host (no DPU instruction for it)';
    case 'max':
      return 'eltwise maximum runs on the host (ELEW adds or multiplies)';
    case 'leakyRelu':
      return 'a leaky ReLU not fused into a convolution runs on the host';
    case 'clip':
      return 'a clip not fused into a convolution as ReLU6 runs on the host';
    case 'prelu':
      return 'PReLU runs on the host (act_type 2 has no slope parameters on DPUV2)';
    case 'convTranspose':
      return 'transposed convolution runs on the host (no DPUV2 instruction for it)';
    case 'resize':
      return 'resizing runs on the host';
    case 'pad':
      return 'explicit padding runs on the host';
    case 'globalPool':
      return 'global pooling on non-4-D data runs on the host';
    case 'batchNorm':
      return 'batch normalization that could not be folded runs on the host';
    case 'gemm':
    case 'matmul':
      return 'matrix product that is not a fully connected layer with constant weights runs on the host';
    case 'reshape':
    case 'flatten':
    case 'transpose':
      return 'layout change runs on the host (a DDR copy)';
    case 'identity':
    case 'dropout':
      return 'copy runs on the host';
  }
}

/**
 * Assign every node to the DPU or the CPU. A node goes to the CPU with the reason when the DPU cannot
 * run it; an operator that neither can run is an error naming the node, its type, file and line.
 */
export function partition(g: XGraph, arch: Arch): XGraph {
  const nodes = g.nodes.map((n): XNode => {
    const why = dpuVerdict(n, g, arch);
    if (why === undefined) return { ...n, device: 'dpu', deviceReason: undefined } as XNode;
    if (!HOST_OPS.has(n.op)) throw nodeError(n.origin, `operator ${n.op} runs neither on the DPU (${why}) nor on the host`);
    return { ...n, device: 'cpu', deviceReason: why } as XNode;
  });
  return { ...g, nodes };
}
