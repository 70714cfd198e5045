// The part of Caffe's protobuf schema (caffe.proto, proto2) that a .caffemodel's weights need, as a
// protobufjs JSON descriptor: NetParameter with its layers in both the current (`layer`, field 100)
// and the old V1 (`layers`, field 2) format, and BlobProto. Layer parameters are read from the
// prototxt, never from the binary, so their messages are not declared (protobufjs skips them).

import * as protobuf from 'protobufjs/light';

const r = (type: string, id: number, packed?: boolean) => ({ rule: 'repeated', type, id, ...(packed !== undefined ? { options: { packed } } : {}) });
const o = (type: string, id: number) => ({ type, id });

export const CAFFE_DESCRIPTOR = {
  nested: {
    caffe: {
      nested: {
        NetParameter: {
          fields: {
            name: o('string', 1),
            input: r('string', 3),
            input_shape: r('BlobShape', 8),
            input_dim: r('int32', 4),
            layer: r('LayerParameter', 100),
            layers: r('V1LayerParameter', 2),
          },
        },
        BlobShape: { fields: { dim: r('int64', 1, true) } },
        BlobProto: {
          fields: {
            shape: o('BlobShape', 7),
            data: r('float', 5, true),
            double_data: r('double', 8, true),
            num: o('int32', 1),
            channels: o('int32', 2),
            height: o('int32', 3),
            width: o('int32', 4),
          },
        },
        LayerParameter: {
          fields: { name: o('string', 1), type: o('string', 2), bottom: r('string', 3), top: r('string', 4), blobs: r('BlobProto', 7) },
        },
        V1LayerParameter: {
          fields: { bottom: r('string', 2), top: r('string', 3), name: o('string', 4), type: o('int32', 5), blobs: r('BlobProto', 6) },
        },
      },
    },
  },
};

let root: protobuf.Root | undefined;
export function caffeType(name: 'NetParameter' | 'BlobProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(CAFFE_DESCRIPTOR);
  return root.lookupType(`caffe.${name}`);
}

export interface PbBlob {
  shape: { dim: (number | { toNumber(): number })[] } | null;
  data: number[];
  double_data: number[];
  num: number;
  channels: number;
  height: number;
  width: number;
}
export interface PbNet {
  name: string;
  layer: { name: string; type: string; blobs: PbBlob[] }[];
  layers: { name: string; type: number; blobs: PbBlob[] }[];
}

/** V1LayerParameter.LayerType codes to the layer type names of the current format. */
export const V1_LAYER_TYPES: Readonly<Record<string, string>> = {
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DATA: 'Data',
  DECONVOLUTION: 'Deconvolution',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

/** The numeric codes of V1 layer types (binary V1 files store the code). */
export const V1_LAYER_CODES: Readonly<Record<number, string>> = {
  0: 'NONE', 35: 'ABSVAL', 1: 'ACCURACY', 30: 'ARGMAX', 2: 'BNLL', 3: 'CONCAT', 37: 'CONTRASTIVE_LOSS', 4: 'CONVOLUTION', 5: 'DATA',
  39: 'DECONVOLUTION', 6: 'DROPOUT', 32: 'DUMMY_DATA', 7: 'EUCLIDEAN_LOSS', 25: 'ELTWISE', 38: 'EXP', 8: 'FLATTEN', 9: 'HDF5_DATA',
  10: 'HDF5_OUTPUT', 28: 'HINGE_LOSS', 11: 'IM2COL', 12: 'IMAGE_DATA', 13: 'INFOGAIN_LOSS', 14: 'INNER_PRODUCT', 15: 'LRN',
  29: 'MEMORY_DATA', 16: 'MULTINOMIAL_LOGISTIC_LOSS', 34: 'MVN', 17: 'POOLING', 26: 'POWER', 18: 'RELU', 19: 'SIGMOID',
  27: 'SIGMOID_CROSS_ENTROPY_LOSS', 36: 'SILENCE', 20: 'SOFTMAX', 21: 'SOFTMAX_LOSS', 22: 'SPLIT', 33: 'SLICE', 23: 'TANH',
  24: 'WINDOW_DATA', 31: 'THRESHOLD',
};
