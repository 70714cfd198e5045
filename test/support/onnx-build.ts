// Building small ONNX models in tests, through the importer's own protobuf schema.

import { onnxType } from '../../src-compiler/frontend/onnx/schema';

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string | { floats: number[] } | { tensor: TensorSpec }>;
}
export interface TensorSpec {
  name?: string;
  dims: number[];
  data: number[];
  /** 1 float (default), 7 int64, 10 float16 (data are raw half bits). */
  type?: number;
}

export function tensorProto(t: TensorSpec): Record<string, unknown> {
  const type = t.type ?? 1;
  const base: Record<string, unknown> = { name: t.name ?? '', dims: t.dims, data_type: type };
  if (type === 1) base['float_data'] = t.data;
  else if (type === 7) base['int64_data'] = t.data;
  else if (type === 10) base['int32_data'] = t.data;
  return base;
}

function attr(name: string, v: NonNullable<NodeSpec['attrs']>[string]): Record<string, unknown> {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 4, t: tensorProto(v.tensor) };
}

export function valueInfo(name: string, shape: number[] | undefined, elemType = 1): Record<string, unknown> {
  return { name, type: { tensor_type: { elem_type: elemType, ...(shape ? { shape: { dim: shape.map((d) => ({ dim_value: d })) } } : {}) } } };
}

export function buildModel(spec: {
  nodes: NodeSpec[];
  inputs: [string, number[]][];
  outputs: string[];
  initializers?: TensorSpec[];
  opset?: number;
}): Uint8Array {
  const T = onnxType('ModelProto');
  const msg = T.fromObject({
    ir_version: 7,
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    producer_name: 'dnnvm-test',
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `n${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: spec.inputs.map(([n, s]) => valueInfo(n, s)),
      output: spec.outputs.map((o) => valueInfo(o, undefined)),
    },
  });
  return T.encode(msg).finish();
}
