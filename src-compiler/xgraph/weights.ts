// Deterministic generated weights for models that carry none (a prototxt alone, ONNX "light" models
// whose initializers are ConstantOfShape): every model compiles, runs and validates the same way on
// every machine. Values depend only on the model seed and the tensor's name, never on the order in
// which tensors are materialized, so a pass may materialize any subset.

import type { WeightInit, XTensor } from './types';
import { numel } from './shapes';

/** The seed used when the user gives none. */
export const DEFAULT_WEIGHT_SEED = 20190219;

/** 32-bit FNV-1a of a string, mixed with a seed: a stable per-tensor seed. */
export function seedFor(modelSeed: number, tensorName: string): number {
  let h = (0x811c9dc5 ^ modelSeed) >>> 0;
  for (let i = 0; i < tensorName.length; i++) {
    h ^= tensorName.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator; returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** xorshift32 after a splitmix-style scramble of the seed: the bulk generator (a few ns per value). */
function fastRng(seed: number): () => number {
  let x = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  if (x === 0) x = 0x6d2b79f5;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Fill `out` from a generator description. */
export function generate(init: WeightInit, out: Float32Array): Float32Array {
  const r = fastRng(init.seed);
  switch (init.kind) {
    case 'const':
      out.fill(init.value ?? 0);
      break;
    case 'uniform': {
      const lo = init.lo ?? 0;
      const span = (init.hi ?? 1) - lo;
      for (let i = 0; i < out.length; i++) out[i] = lo + span * r();
      break;
    }
    case 'he': {
      // He initialization (He et al. 2015) in its uniform form: U(-a, a) with a = sqrt(6 / fanIn) has the
      // variance 2 / fanIn of the normal form, and is several times cheaper to draw (ResNet-50 has 25 M).
      const a = Math.sqrt(6 / Math.max(1, init.fanIn ?? 1));
      for (let i = 0; i < out.length; i++) out[i] = a * (2 * r() - 1);
      break;
    }
  }
  if (init.scale) {
    const per = out.length / init.scale.length;
    for (let c = 0; c < init.scale.length; c++) {
      const k = init.scale[c]!;
      for (let i = c * per; i < (c + 1) * per; i++) out[i] = out[i]! * k;
    }
  }
  return out;
}

/** The values of a constant tensor, generating (and caching on the tensor) if it has none yet. */
export function constData(t: XTensor): Float32Array | Float64Array {
  if (t.data) return t.data;
  if (!t.init) throw new Error(`tensor ${t.name} is not a constant`);
  t.data = generate(t.init, new Float32Array(numel(t.shape)));
  return t.data;
}

export function constFloat(t: XTensor): Float32Array {
  const d = constData(t);
  if (!(d instanceof Float32Array)) throw new Error(`tensor ${t.name} is not float32`);
  return d;
}

/** What a generated constant is for; decides its distribution. */
export type WeightRole = 'weight' | 'bias' | 'bnScale' | 'bnBias' | 'bnMean' | 'bnVar' | 'scale' | 'slope' | 'other';

/**
 * The generator for a weight of the given role. Weights are He-normal over their fan-in; biases, BN
 * shifts and means small; BN scales and variances near 1 (so that activations keep their scale from
 * layer to layer and a deep generated network neither vanishes nor explodes).
 */
export function initFor(role: WeightRole, fanIn: number, modelSeed: number, tensorName: string): WeightInit {
  const seed = seedFor(modelSeed, tensorName);
  switch (role) {
    case 'weight':
      return { kind: 'he', seed, fanIn };
    case 'bias':
    case 'bnBias':
    case 'bnMean':
    case 'other':
      return { kind: 'uniform', seed, lo: -0.1, hi: 0.1 };
    case 'bnScale':
    case 'bnVar':
    case 'scale':
      return { kind: 'uniform', seed, lo: 0.5, hi: 1.5 };
    case 'slope':
      return { kind: 'const', seed, value: 0.25 };
  }
}
