// Loading a model from a file: the frontend is chosen by the file's extension.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { limitHint, limits } from '../util/limits';
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

/** Refuses a file above the modelFileMB limit before reading it (a missing file is the importer's to report). */
export function checkModelSize(file: string): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return;
  }
  const max = limits().modelFileMB;
  if (size > max * 2 ** 20) throw new UserError(`${path.basename(file)} is ${(size / 2 ** 20).toFixed(0)} MB, above the limit of ${max} MB for a model file; ${limitHint('modelFileMB')}`, { file });
}

export function loadModel(file: string, opts: LoadOptions = {}): XGraph {
  const ext = path.extname(file).toLowerCase();
  checkModelSize(file);
  if (opts.weights) checkModelSize(opts.weights);
  if (ext === '.onnx') {
    if (opts.weights) throw new UserError('--weights applies to Caffe models; ONNX models carry their weights', { file });
    return importOnnxFile(file, { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}) });
  }
  if (ext === '.prototxt') return importCaffeFile(file, { ...(opts.weights ? { weightsFile: opts.weights } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}) });
  if (ext === '.caffemodel') throw new UserError('give the .prototxt network definition, with the .caffemodel as --weights', { file });
  throw new UserError(`unknown model format '${ext || '(no extension)'}': expected ${MODEL_EXTENSIONS.join(' or ')}`, { file });
}
