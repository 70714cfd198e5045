// Batching the fully connected layers: N images per run, each classifier weight loaded once for all.
//
// At batch 1 a classifier's fully connected layers read every weight once per image, and nothing else
// in the network comes close: VGG-16's fc6..fc8 hold 124 MB, which one core's LOAD engine (one bank
// address, ICP bytes, per cycle) writes into the weight banks in at least 7.8 M cycles on B4096, as
// long as all its convolutions and pools take. Batching reads them once per N images (docs/compiler.md, "Batch").
//
// The pass works on the quantized graph, before lowering:
//   - the **body** (everything before the first fully connected layer) is copied N times, image k's
//     copy named `node/imgK` and fed by input `input/imgK`; every copy shares its weights and quantization
//     with the original (the weights are in DDR once: Blob.addOnce);
//   - the copies' last feature maps [1, C, h, w] are stacked on height into one [1, C, N h, w] map
//     (in place in DDR: image k's map is rows k h .. k h + h - 1, so no instruction copies it);
//   - the first fully connected layer, an h x w convolution, reads the stack with a vertical stride of
//     h: output row k is image k's vector. The layers after it (1x1 convolutions on [1, M, 1, 1], a
//     reshape to [1, M], softmax on the channels) keep their meaning on [1, M, N, 1], row k image k's.
// The batched graph's outputs are [1, M, N, 1]; the references run the batched graph itself, and
// `batch.test.ts` checks that its row k is what the unbatched graph computes for image k.

import type { Arch } from '../arch/model';
import type { NodeQuant, QuantizedGraph, TensorQuant } from '../quant/types';
import { rebuild } from '../xgraph/graph';
import type { NodeOf, XGraph, XNode, XTensor } from '../xgraph/types';
import { UserError } from '../util/errors';
import { MAX_BATCH } from '../asm/directives';

export const batchName = (name: string, k: number) => `${name}/img${k}`;

/** The first fully connected layer: a DPU convolution whose kernel covers its whole input. */
function headOf(g: XGraph): { head: NodeOf<'conv'>; h: number; w: number } | undefined {
  for (const n of g.nodes) {
    if (n.op !== 'conv' || n.device !== 'dpu') continue;
    const x = g.tensors.get(n.inputs[0]!)!.shape;
    if (x.length !== 4) continue;
    const [h, w] = [x[2]!, x[3]!];
    const a = n.attrs;
    if (a.kernel[0] === h && a.kernel[1] === w && a.pads.every((p) => p === 0) && a.group === 1 && a.dilation.every((d) => d === 1)) return { head: n, h, w };
  }
  return undefined;
}

/**
 * The batched graph of `q` for `n` images per run. Throws a UserError naming the layer and the reason
 * when the model has no fully connected layers to batch, or a layer after them the batch cannot carry.
 */
export function batchFullyConnected(q: QuantizedGraph, n: number, arch: Arch): QuantizedGraph {
  const g = q.graph;
  const where = { file: g.source.file };
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) throw new UserError(`--batch ${n}: give a whole number of images from 1 to ${MAX_BATCH}`);
  if (n === 1) return q;
  const found = headOf(g);
  if (!found) throw new UserError(`${g.name}: nothing to batch: no fully connected layer (a convolution whose kernel covers its whole input) runs on the DPU; --batch only pays where weights are read once per image`, where);
  const { head, h } = found;
  const [smin, smax] = arch.dpu.convStride;
  if (h < smin || h > smax) throw new UserError(`${head.name}: its input is ${h} rows high; batching reads the stacked images with a vertical stride of ${h}, outside the CONV strides ${smin}..${smax} of ${arch.name}`, { ...where, ...(head.origin.line ? { line: head.origin.line } : {}) });
  const stacked = head.inputs[0]!;
  const producer = g.nodes.find((x) => x.outputs.includes(stacked));
  if (!producer || producer.device !== 'dpu')
    throw new UserError(`${head.name}: its input ${stacked} is ${producer ? `computed on the host (${producer.name}: ${producer.deviceReason ?? producer.op})` : 'a model input'}; batching stacks the images' maps where the DPU writes them, so it needs them computed on the DPU`, { ...where, ...(head.origin.line ? { line: head.origin.line } : {}) });

  // The head: the first FC layer and everything that reads what it computes.
  const inHead = new Set<string>([head.name]);
  const headTensors = new Set<string>(head.outputs);
  for (const x of g.nodes) {
    if (x === head || !x.inputs.some((i) => headTensors.has(i))) continue;
    inHead.add(x.name);
    for (const o of x.outputs) headTensors.add(o);
  }
  const isConst = (t: string) => g.tensors.get(t)?.kind === 'const';
  const refuse = (x: XNode, why: string) => {
    throw new UserError(`${x.name} (${x.op}): ${why}; it cannot run on a batch of images, so --batch does not apply to this model`, { ...where, ...(x.origin.line ? { line: x.origin.line } : {}) });
  };
  for (const o of g.outputs) if (!headTensors.has(o)) throw new UserError(`${g.name}: output ${o} is computed before the fully connected layers (${head.name}); --batch needs every output after them`, where);

  const nodes: XNode[] = [];
  for (let k = 0; k < n; k++)
    for (const x of g.nodes) {
      if (inHead.has(x.name)) continue;
      const rename = (t: string) => (isConst(t) ? t : batchName(t, k));
      nodes.push({ ...x, name: batchName(x.name, k), inputs: x.inputs.map(rename), outputs: x.outputs.map(rename) } as XNode);
    }
  const stackNode = { name: `${stacked}/batch`, op: 'concat', attrs: { axis: 2 }, inputs: Array.from({ length: n }, (_, k) => batchName(stacked, k)), outputs: [stacked], origin: head.origin, device: 'dpu' } as XNode;
  nodes.push(stackNode);
  for (const x of g.nodes) {
    if (!inHead.has(x.name)) continue;
    for (const i of x.inputs) if (!isConst(i) && i !== stacked && !headTensors.has(i)) refuse(x, `it also reads ${i}, computed before the fully connected layers`);
    if (x === head) {
      nodes.push({ ...head, attrs: { ...head.attrs, stride: [h, head.attrs.stride[1]] } });
      continue;
    }
    const inShape = g.tensors.get(x.inputs[0]!)!.shape;
    const m = inShape[1] ?? 0;
    const vector = inShape.length === 2 || (inShape.length === 4 && inShape[2] === 1 && inShape[3] === 1);
    switch (x.op) {
      case 'conv':
        if (x.attrs.kernel[0] !== 1 || x.attrs.kernel[1] !== 1 || !vector) refuse(x, 'a fully connected layer after the first must be a 1x1 convolution over a vector');
        nodes.push(x);
        break;
      case 'reshape':
      case 'flatten':
        if (!vector || inShape.length !== 4) refuse(x, 'only a reshape of a [1, M, 1, 1] vector to [1, M] can follow the fully connected layers');
        nodes.push({ ...x, op: 'reshape', attrs: { shape: [1, m, n, 1] } } as XNode);
        break;
      case 'softmax': {
        const rank = inShape.length;
        const axis = x.attrs.axis < 0 ? x.attrs.axis + rank : x.attrs.axis;
        if (axis !== 1) refuse(x, 'a softmax after the fully connected layers must be over the channels');
        nodes.push({ ...x, attrs: { axis: 1, coerce2d: false } });
        break;
      }
      case 'relu':
      case 'identity':
      case 'dropout':
        nodes.push(x);
        break;
      default:
        refuse(x, 'only 1x1 convolutions, activations, a reshape and a softmax can follow the fully connected layers');
    }
  }

  const tensors = new Map<string, XTensor>();
  for (const [name, t] of g.tensors) {
    if (t.kind === 'const') tensors.set(name, t);
    else if (t.kind === 'input') for (let k = 0; k < n; k++) tensors.set(batchName(name, k), { ...t, name: batchName(name, k) });
  }
  // Image by image: input/img0 .. input/imgN-1 for each of the model's inputs.
  const inputs = Array.from({ length: n }, (_, k) => g.inputs.map((i) => batchName(i, k))).flat();
  const batched: XGraph = rebuild({ ...g, inputs, nodes: [], tensors }, nodes, tensors);

  const tq = new Map<string, TensorQuant>();
  const nq = new Map<string, NodeQuant>();
  for (const [t, v] of q.tensors) {
    if (headTensors.has(t) || t === stacked) tq.set(t, v);
    if (!headTensors.has(t)) for (let k = 0; k < n; k++) tq.set(batchName(t, k), v);
  }
  for (const [name, v] of q.nodes) {
    if (inHead.has(name)) nq.set(name, v);
    else for (let k = 0; k < n; k++) nq.set(batchName(name, k), v);
  }
  const fix = q.tensors.get(stacked);
  if (fix?.kind !== 'int8') throw new Error(`batch: ${stacked} has no int8 quantization`);
  nq.set(stackNode.name, { kind: 'concat', fix: fix.fix });
  return { graph: batched, tensors: tq, nodes: nq, calibration: q.calibration };
}
