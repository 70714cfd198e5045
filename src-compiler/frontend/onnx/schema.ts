// The subset of ONNX's protobuf schema (onnx.proto, proto2) that the importer reads, as a protobufjs
// JSON descriptor. Field numbers and types are those of the published format; messages and fields the
// importer does not use are left out (protobufjs skips unknown fields while decoding). Enums are read
// as plain integers, so that a value from a newer ONNX is reported by the importer instead of
// failing inside the decoder.

import * as protobuf from 'protobufjs/light';

const r = (type: string, id: number) => ({ rule: 'repeated', type, id });
const o = (type: string, id: number) => ({ type, id });

export const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: o('int64', 1),
            opset_import: r('OperatorSetIdProto', 8),
            producer_name: o('string', 2),
            producer_version: o('string', 3),
            domain: o('string', 4),
            model_version: o('int64', 5),
            doc_string: o('string', 6),
            graph: o('GraphProto', 7),
            metadata_props: r('StringStringEntryProto', 14),
          },
        },
        OperatorSetIdProto: { fields: { domain: o('string', 1), version: o('int64', 2) } },
        StringStringEntryProto: { fields: { key: o('string', 1), value: o('string', 2) } },
        GraphProto: {
          fields: {
            node: r('NodeProto', 1),
            name: o('string', 2),
            initializer: r('TensorProto', 5),
            sparse_initializer: r('bytes', 15),
            doc_string: o('string', 10),
            input: r('ValueInfoProto', 11),
            output: r('ValueInfoProto', 12),
            value_info: r('ValueInfoProto', 13),
          },
        },
        NodeProto: {
          fields: {
            input: r('string', 1),
            output: r('string', 2),
            name: o('string', 3),
            op_type: o('string', 4),
            domain: o('string', 7),
            attribute: r('AttributeProto', 5),
            doc_string: o('string', 6),
          },
        },
        AttributeProto: {
          fields: {
            name: o('string', 1),
            ref_attr_name: o('string', 21),
            doc_string: o('string', 13),
            type: o('int32', 20),
            f: o('float', 2),
            i: o('int64', 3),
            s: o('bytes', 4),
            t: o('TensorProto', 5),
            g: o('GraphProto', 6),
            floats: r('float', 7),
            ints: r('int64', 8),
            strings: r('bytes', 9),
            tensors: r('TensorProto', 10),
            graphs: r('GraphProto', 11),
          },
        },
        ValueInfoProto: { fields: { name: o('string', 1), type: o('TypeProto', 2), doc_string: o('string', 3) } },
        TypeProto: {
          fields: {
            tensor_type: o('TypeProtoTensor', 1),
            sequence_type: o('bytes', 4),
            map_type: o('bytes', 5),
            optional_type: o('bytes', 9),
            sparse_tensor_type: o('bytes', 8),
            denotation: o('string', 6),
          },
        },
        TypeProtoTensor: { fields: { elem_type: o('int32', 1), shape: o('TensorShapeProto', 2) } },
        TensorShapeProto: { fields: { dim: r('Dimension', 1) } },
        Dimension: { fields: { dim_value: o('int64', 1), dim_param: o('string', 2), denotation: o('string', 3) } },
        TensorProto: {
          fields: {
            dims: r('int64', 1),
            data_type: o('int32', 2),
            float_data: r('float', 4),
            int32_data: r('int32', 5),
            string_data: r('bytes', 6),
            int64_data: r('int64', 7),
            name: o('string', 8),
            doc_string: o('string', 12),
            raw_data: o('bytes', 9),
            external_data: r('StringStringEntryProto', 13),
            data_location: o('int32', 14),
            double_data: r('double', 10),
            uint64_data: r('uint64', 11),
          },
        },
      },
    },
  },
};

/** TensorProto.DataType codes. */
export const ONNX_DTYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

export const ONNX_DTYPE_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k.toLowerCase()]));

/** AttributeProto.AttributeType codes. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

let root: protobuf.Root | undefined;
export function onnxType(name: 'ModelProto' | 'TensorProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
  return root.lookupType(`onnx.${name}`);
}

// Plain shapes of the decoded messages (protobufjs returns message instances with these fields).
export type Int64 = number | { toNumber(): number; low: number; high: number; unsigned?: boolean };

export interface PbTensor {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  double_data: number[];
  uint64_data: Int64[];
  string_data: Uint8Array[];
  name: string;
  raw_data: Uint8Array;
  external_data: { key: string; value: string }[];
  data_location: number;
}
export interface PbAttr {
  name: string;
  ref_attr_name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: PbTensor | null;
  g: unknown;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: PbTensor[];
  graphs: unknown[];
}
export interface PbNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: PbAttr[];
}
export interface PbDim {
  dim_value: Int64;
  dim_param: string;
}
export interface PbValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: PbDim[] } | null } | null; sequence_type?: Uint8Array; map_type?: Uint8Array } | null;
}
export interface PbGraph {
  node: PbNode[];
  name: string;
  initializer: PbTensor[];
  sparse_initializer: Uint8Array[];
  input: PbValueInfo[];
  output: PbValueInfo[];
  value_info: PbValueInfo[];
}
export interface PbModel {
  ir_version: Int64;
  opset_import: { domain: string; version: Int64 }[];
  producer_name: string;
  producer_version: string;
  graph: PbGraph | null;
}
