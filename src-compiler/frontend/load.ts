// Loading a model from a file: the frontend is chosen by the file's extension.

import * as path from 'node:path';
import { UserError } from '../util/errors';
import type { XGraph } from '../xgraph/types';
import { importCaffeFile } from './caffe/import';
import { importOnnxFile } from './onnx/import';

export interface LoadOptions {
  /** Caffe: the .caffemodel with the weights. */
  readonly weights?: string;
  /** Seed of generated weights (models without weights). */
  readonly seed?: number;
  /** Input shapes by name: ONNX inputs whose dims are symbolic, or any input's shape replaced (Caffe). */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
}

export const MODEL_EXTENSIONS = ['.onnx', '.prototxt'] as const;

export function loadModel(file: string, opts: LoadOptions = {}): XGraph {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.onnx') {
    if (opts.weights) throw new UserError('--weights applies to Caffe models; ONNX models carry their weights', { file });
    return importOnnxFile(file, { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}) });
  }
  if (ext === '.prototxt') return importCaffeFile(file, { ...(opts.weights ? { weightsFile: opts.weights } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}) });
  if (ext === '.caffemodel') throw new UserError('give the .prototxt network definition, with the .caffemodel as --weights', { file });
  throw new UserError(`unknown model format '${ext || '(no extension)'}': expected ${MODEL_EXTENSIONS.join(' or ')}`, { file });
}
