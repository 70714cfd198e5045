// Independent groups run at the same time (parallel.ts): the merge keeps each group's order and INIT
// state, the pairs keep the execution order topological, and an Inception block compiled with them
// is bit-exact and faster in the timing simulator than the same block without them.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boardByName } from '../arch/presets';
import { loadModel } from '../frontend/load';
import { canonicalize } from '../passes/canonicalize';
import { quantizeFromStats } from '../quant/quantize';
import { programFromInstrs } from '../sim/program';
import { simulateTiming } from '../sim/timing';
import { compileQuantized, type Compiled } from './compile';
import type { GroupContext, GroupSpec } from './codegen';
import { ProgramBuilder, type EmittedInstr } from './emit';
import { choosePairs, generateApart, mergeStreams, type BankSplit } from './parallel';
import { validateCompiled } from './validate';
import { Blob } from './weights';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-parallel-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One Inception block: a 1x1 branch, a reduce + 3x3 branch, and a pool + projection branch. */
const INCEPTION = `name: "inception"
input: "data"
input_shape { dim: 1 dim: 64 dim: 28 dim: 28 }
layer { name: "b1" type: "Convolution" bottom: "data" top: "b1" convolution_param { num_output: 32 kernel_size: 1 } }
layer { name: "b1_relu" type: "ReLU" bottom: "b1" top: "b1" }
layer { name: "b3r" type: "Convolution" bottom: "data" top: "b3r" convolution_param { num_output: 48 kernel_size: 1 } }
layer { name: "b3r_relu" type: "ReLU" bottom: "b3r" top: "b3r" }
layer { name: "b3" type: "Convolution" bottom: "b3r" top: "b3" convolution_param { num_output: 64 kernel_size: 3 pad: 1 } }
layer { name: "b3_relu" type: "ReLU" bottom: "b3" top: "b3" }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 1 pad: 1 } }
layer { name: "proj" type: "Convolution" bottom: "pool" top: "proj" convolution_param { num_output: 16 kernel_size: 1 } }
layer { name: "proj_relu" type: "ReLU" bottom: "proj" top: "proj" }
layer { name: "out" type: "Concat" bottom: "b1" bottom: "b3" bottom: "proj" top: "out" }
`;

function compileBlock(archName: string, parallel: boolean): Compiled {
  const file = path.join(dir, 'inception.prototxt');
  fs.writeFileSync(file, INCEPTION);
  const arch = boardByName(archName)!;
  const g = loadModel(file);
  const canon = canonicalize(g, arch);
  const q = quantizeFromStats(canon, new Map([...canon.tensors.keys()].map((t) => [t, 4])), 1);
  return compileQuantized(file, g, q, { arch, parallel });
}

function simulate(c: Compiled): number {
  const seg = c.segments[0]!;
  return simulateTiming(programFromInstrs(seg.instrs, c.arch), { cores: 1 }).cycles;
}

describe('an Inception block with its pool branch beside a convolution branch', () => {
  for (const archName of ['ZU2', 'ZU9'])
    it(`${archName}: pairs them, stays bit-exact, and takes fewer simulated cycles`, () => {
      const c = compileBlock(archName, true);
      const seg = c.segments[0]!;
      const pairs = seg.fusion!.parallel!;
      expect(pairs.length).toBeGreaterThan(0);
      // The pool branch is in a pair, and the pair's layer leaves both groups' outputs in DDR.
      expect(pairs.some((p) => p.groups.some((name) => name.includes('pool')))).toBe(true);
      const layer = seg.layers.find((l) => l.group?.startsWith('parallel#'))!;
      expect(layer.outputs).toHaveLength(2);
      expect(seg.groups.filter((g) => g.parallel === layer.group)).toHaveLength(2);
      for (const p of pairs) expect(p.cycles).toBeLessThan(0.98 * p.apartCycles);

      const v = validateCompiled(c, { withFloat: false });
      expect(v.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(v.mismatches).toEqual([]);
      expect(v.bitExact).toBe(true);
      expect(v.layersChecked).toBe(seg.layers.length);

      const apart = compileBlock(archName, false);
      expect(apart.segments[0]!.fusion!.parallel).toEqual([]);
      expect(apart.segments[0]!.layers.some((l) => l.group?.startsWith('parallel#'))).toBe(false);
      expect(simulate(c)).toBeLessThan(simulate(apart));
    });
});

describe('the merge of two groups', () => {
  const arch = boardByName('ZU2')!;
  const c = compileBlock('ZU2', false);
  const specs = c.segments[0]!.fusion!.chosen.map((ch) => ch.spec);
  const pool = specs.find((s) => s.stages.some((t) => t.kind === 'pool'))!;
  const conv = specs.find((s) => s !== pool && s.stages.length === 2 && s.stages.every((t) => t.kind === 'conv'))!;

  /** For every instruction that reads INIT state, the INIT (as text) in effect in this order. */
  const initsInEffect = (list: readonly EmittedInstr[]) => {
    const state = new Map<string, string>();
    const out = new Map<EmittedInstr, string>();
    for (const e of list) {
      const m = e.instr.spec.mnemonic;
      if (e.instr.spec.isInit) state.set(m, e.instr.values.join(','));
      const kind = e.instr.spec.readsInit;
      if (kind) out.set(e, state.get(kind)!);
    }
    return out;
  };

  for (const split of ['first', 'second', 'half'] as BankSplit[])
    it(`keeps each group's order and INIT state (bank split: ${split})`, () => {
      const ctx: GroupContext = { arch, b: new ProgramBuilder(arch), places: c.ddr.places, blob: new Blob(), spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: true };
      const [a, b] = generateApart(ctx, pool, conv, split);
      const merged = mergeStreams(arch, [a, b], 8);
      const effect = initsInEffect(merged);
      for (const list of [a, b]) {
        const body = list.filter((e) => !e.instr.spec.isInit);
        expect(merged.filter((e) => body.includes(e))).toEqual(body);
        for (const [e, init] of initsInEffect(list)) expect(effect.get(e)).toBe(init);
      }
      // Both groups' instructions are interleaved, not one after the other.
      const firstOfB = merged.findIndex((e) => b.includes(e));
      const lastOfA = merged.map((e) => a.includes(e)).lastIndexOf(true);
      expect(firstOfB).toBeLessThan(lastOfA);
      // Their on-chip rows never share an address: the keys of ring rows and physical blocks differ.
      const keys = (list: EmittedInstr[]) => new Set(list.flatMap((e) => [...e.reads, ...e.writes]).filter((k) => /^[rpw]/.test(k)));
      const ka = keys(a);
      expect([...keys(b)].filter((k) => ka.has(k))).toEqual([]);
    });
});

describe('choosing pairs', () => {
  const spec = (name: string, kind: 'conv' | 'pool' | 'elew') => ({ name, nodes: [name], stages: [{ kind }] }) as unknown as GroupSpec;

  it('pairs only groups with no path between them, keeps the order topological, and takes the best saving first', () => {
    // 0 -> 1 -> 3, 0 -> 2 (pool) -> 3: 1 and 2 are independent, 3 depends on both.
    const specs = [spec('stem', 'conv'), spec('conv', 'conv'), spec('pool', 'pool'), spec('next', 'conv')];
    const deps = [new Set<number>(), new Set([0]), new Set([0]), new Set([1, 2])];
    const asked: string[] = [];
    const r = choosePairs(specs, deps, [100, 100, 100, 100], (a, b) => {
      asked.push(`${a.name}+${b.name}`);
      return { split: 'first', cycles: 120 };
    });
    expect(asked).toEqual(['conv+pool']);
    expect(r.pairs.map((p) => [p.first, p.second])).toEqual([[1, 2]]);
    expect(r.order).toEqual([0, [1, 2], 3]);
  });

  it('keeps groups apart when together saves less than 2%, and never pairs an eltwise group', () => {
    const specs = [spec('a', 'conv'), spec('b', 'pool'), spec('c', 'elew')];
    const deps = [new Set<number>(), new Set<number>(), new Set<number>()];
    const r = choosePairs(specs, deps, [100, 100, 100], () => ({ split: 'first', cycles: 197 }));
    expect(r.pairs).toEqual([]);
    expect(r.order).toEqual([0, 1, 2]);
  });

  it('moves the earlier group down to its partner only when nothing between reads it', () => {
    // 0 (pool) and 2 (conv) are independent; 1 reads 0, so 0 cannot move below 1: 2 moves up beside 0.
    const specs = [spec('pool', 'pool'), spec('reader', 'conv'), spec('conv', 'conv')];
    const deps = [new Set<number>(), new Set([0]), new Set<number>()];
    const r = choosePairs(specs, deps, [100, 100, 100], (a, b) => (a.name === 'pool' && b.name === 'conv' ? { split: 'half', cycles: 110 } : 'no'));
    expect(r.order).toEqual([[0, 2], 1]);
    expect(r.pairs[0]!.split).toBe('half');
  });
});
