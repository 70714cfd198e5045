// Model files: which files the extension compiles and, for Caffe, which files go together. No VS Code API.

import * as path from 'node:path';

export type ModelKind = 'onnx' | 'prototxt' | 'caffemodel';

export function modelKind(file: string): ModelKind | undefined {
  const ext = path.extname(file).toLowerCase();
  return ext === '.onnx' ? 'onnx' : ext === '.prototxt' ? 'prototxt' : ext === '.caffemodel' ? 'caffemodel' : undefined;
}

/** The model's name: the file name without folder and extension (lenet.prototxt -> lenet). */
export function modelName(file: string): string {
  return path.basename(file).replace(/\.(onnx|prototxt|caffemodel)$/i, '');
}

/** `<model>.dnnasm` beside the model, where the compiled assembly goes. */
export function asmPathOf(model: string): string {
  return path.join(path.dirname(model), `${modelName(model)}.dnnasm`);
}

/** Vitis AI target descriptions are .prototxt files too; they are not networks. */
const NOT_A_NETWORK = /^(arch|target|.*[_-]?target|dpu.*|solver|.*_solver)\.prototxt$/i;

/**
 * The network description (.prototxt) a .caffemodel's weights belong to, chosen among the files of its
 * folder: the same name (bvlc_googlenet.caffemodel -> bvlc_googlenet.prototxt), the name without a
 * training snapshot suffix (lenet_iter_10000.caffemodel -> lenet.prototxt), a deploy.prototxt, or the
 * folder's only network. Undefined when that does not settle it (the user is asked).
 */
export function prototxtForCaffemodel(caffemodel: string, siblings: readonly string[]): string | undefined {
  const dir = path.dirname(caffemodel);
  const protos = siblings.filter((f) => /\.prototxt$/i.test(f) && !NOT_A_NETWORK.test(f));
  const has = (name: string) => protos.find((f) => f.toLowerCase() === name.toLowerCase());
  const base = modelName(caffemodel);
  const candidates = [`${base}.prototxt`, `${base.replace(/_iter_\d+$/i, '')}.prototxt`, `${base.replace(/_iter_\d+$/i, '')}_deploy.prototxt`, 'deploy.prototxt'];
  for (const c of candidates) {
    const hit = has(c);
    if (hit) return path.join(dir, hit);
  }
  return protos.length === 1 ? path.join(dir, protos[0]!) : undefined;
}

/** The weights (.caffemodel) beside a .prototxt, if there is exactly an obvious one. */
export function caffemodelForPrototxt(prototxt: string, siblings: readonly string[]): string | undefined {
  const dir = path.dirname(prototxt);
  const base = modelName(prototxt).replace(/_deploy$/i, '');
  const models = siblings.filter((f) => /\.caffemodel$/i.test(f));
  const hit = models.find((f) => f.toLowerCase() === `${base.toLowerCase()}.caffemodel`) ?? models.find((f) => new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_iter_\\d+\\.caffemodel$`, 'i').test(f));
  return hit ? path.join(dir, hit) : undefined;
}
