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

/** Fill `out` from a generator description. */
export function generate(init: WeightInit, out: Float32Array): Float32Array {
  const r = rng(init.seed);
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
      // Normal with variance 2 / fanIn (He et al. 2015), by Box-Muller, two values per pair of draws.
      const sd = Math.sqrt(2 / Math.max(1, init.fanIn ?? 1));
      for (let i = 0; i < out.length; i += 2) {
        const u1 = 1 - r();
        const u2 = r();
        const m = sd * Math.sqrt(-2 * Math.log(u1));
        out[i] = m * Math.cos(2 * Math.PI * u2);
        if (i + 1 < out.length) out[i + 1] = m * Math.sin(2 * Math.PI * u2);
      }
      break;
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
