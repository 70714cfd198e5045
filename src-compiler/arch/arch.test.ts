import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BOARD_PRESETS, DPU_CONFIGS, boardByName } from './presets';
import { importVitisTarget, parseArchJson, resolveArch } from './load';
import { bankGroupsOf, bankName } from './model';
import { UserError } from '../util/errors';

const TARGETS = path.join(__dirname, '..', '..', '..', 'shared', 'models', 'targets');

describe('architecture model', () => {
  it('has the PG338 configurations with peak ops per cycle = 2 x PP x ICP x OCP', () => {
    expect(DPU_CONFIGS.map((c) => [c.name, 2 * c.pp * c.icp * c.ocp])).toEqual([
      ['B512', 512], ['B800', 800], ['B1024', 1024], ['B1152', 1152], ['B1600', 1600], ['B2304', 2304], ['B3136', 3136], ['B4096', 4096],
    ]);
  });

  it('derives board figures from cores, clock and DDR', () => {
    const zu9 = boardByName('ZU9')!;
    expect(zu9.derived.peakOpsPerSecond).toBe(3 * 4096 * 330e6);
    expect(zu9.derived.ddrPeakBytesPerSecond).toBe(8 * 2400e6);
    expect(zu9.derived.ddrBytesPerSecond).toBeCloseTo(8 * 2400e6 * zu9.ddr.efficiency);
    expect(zu9.derived.ddrBytesPerCycle).toBeCloseTo((8 * 2400e6 * zu9.ddr.efficiency) / 330e6);
    const zu2 = boardByName('zu2')!;
    expect([zu2.cores, zu2.dpu.name, zu2.frequencyMHz, zu2.ddr.busWidthBits, zu2.ddr.megaTransfersPerSecond]).toEqual([1, 'B1152', 330, 32, 2133]);
    expect(BOARD_PRESETS.map((b) => [b.name, b.cores, b.frequencyMHz])).toEqual([
      ['ZU2', 1, 330], ['ZU9', 3, 330], ['ZCU102', 3, 281], ['ZCU104', 2, 300],
    ]);
    for (const b of BOARD_PRESETS) for (const k of ['cores', 'frequencyMHz', 'ddr', 'ddr.efficiency', 'ddr.latencyNs']) expect(b.sources[k], `${b.name} ${k}`).toBeTruthy();
  });

  it('numbers banks as the Vitis AI targets do: VB0, VB1, CONVW, DWCONVW, BIAS', () => {
    const b4096 = bankGroupsOf(DPU_CONFIGS.find((c) => c.name === 'B4096')!);
    expect(b4096.map((g) => [g.name, g.baseId, g.count, g.width, g.depth])).toEqual([
      ['VB0', 0, 8, 16, 2048], ['VB1', 8, 8, 16, 2048], ['CONVW', 16, 16, 16, 2048], ['DWCONVW', 32, 1, 16, 2048], ['BIAS', 33, 1, 16, 2048],
    ]);
    expect(bankName(boardByName('ZU9')!, 17)).toBe('CONVW[1]');
    expect(bankName(boardByName('ZU9')!, 34)).toBeUndefined();
  });

  it('imports both Vitis AI target descriptions, and their bank layout agrees with the model', () => {
    for (const [file, pp, icp, elew] of [['DPUCZDX8G_ISA1_B4096.prototxt', 8, 16, 4], ['DPUCZDX8G_ISA1_B1024.prototxt', 8, 8, 4]] as const) {
      const p = path.join(TARGETS, file);
      const dpu = importVitisTarget(fs.readFileSync(p, 'utf8'), p);
      expect([dpu.pp, dpu.icp, dpu.ocp, dpu.elewPP, dpu.poolPP, dpu.bankDepth, dpu.imageBankGroups]).toEqual([pp, icp, icp, elew, 4, 2048, 2]);
      expect(dpu.nonlinear).toEqual(['relu', 'leaky_relu', 'relu6']);
      expect(dpu.convKernel).toEqual([1, 16]);
      expect(dpu.convStride).toEqual([1, 8]);
      expect(dpu.channelAugmentation).toBe(2 * icp);
      expect(resolveArch(p).dpu.name).toBe(`DPUCZDX8G_ISA1_B${pp * icp * icp * 2}`);
    }
  });

  it('rejects a target whose banks disagree with the model, naming the line', () => {
    const p = path.join(TARGETS, 'DPUCZDX8G_ISA1_B4096.prototxt');
    const text = fs.readFileSync(p, 'utf8').replace('base_id: 16', 'base_id: 17');
    expect(() => importVitisTarget(text, 'x.prototxt')).toThrow(/bank_group 'CONVW' \(base_id 17, 16 x 16 B x 2048\) differs from the layout the model derives \(base_id 16/);
    try {
      importVitisTarget(text, 'x.prototxt');
    } catch (e) {
      expect((e as UserError).location).toMatchObject({ file: 'x.prototxt', line: 35 });
    }
  });

  it('rejects a target whose configuration the model cannot hold, before deriving anything from it (found by fuzzing)', () => {
    const p = path.join(TARGETS, 'DPUCZDX8G_ISA1_B4096.prototxt');
    const original = fs.readFileSync(p, 'utf8');
    // A pixel parallelism of 169 million would have been 169 million banks, and V8 aborts the process.
    const text = original.replace(/(conv_engine\s*\{[^}]*?pixel_parallel:\s*)\d+/, '$1169220804');
    expect(text).not.toBe(original);
    let err: unknown;
    try {
      importVitisTarget(text, 'x.prototxt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^conv_engine pixel_parallel: the configuration it gives \(pp = 169220804\) must be <= 8 in this DPU family; see docs\/architecture\.md$/);
    const line = original.slice(0, original.search(/conv_engine\s*\{[^}]*?pixel_parallel/)).split('\n').length;
    expect((err as UserError).location.line).toBeGreaterThanOrEqual(line);
  });

  it('loads architecture JSON files, with a base preset and overrides', () => {
    const a = parseArchJson(JSON.stringify({ name: 'MyZU9', base: 'ZU9', cores: 1, ddr: { efficiency: 0.5 } }), 'my.json');
    expect([a.name, a.cores, a.dpu.name, a.frequencyMHz, a.ddr.efficiency, a.ddr.busWidthBits]).toEqual(['MyZU9', 1, 'B4096', 330, 0.5, 64]);
    const b = parseArchJson(JSON.stringify({ name: 'small', dpu: { base: 'B1024', pp: 4 }, cores: 2, frequencyMHz: 200, ddr: { type: 'x', busWidthBits: 32, megaTransfersPerSecond: 1600, efficiency: 0.7, latencyNs: 150 } }), 's.json');
    expect([b.dpu.pp, b.dpu.icp, b.bankGroups[1]!.baseId, b.derived.peakOpsPerSecond]).toEqual([4, 8, 4, 2 * 4 * 8 * 8 * 2 * 200e6]);
  });

  it('explains a bad architecture file with its location', () => {
    const bad = (json: string) => {
      try {
        parseArchJson(json, 'a.json');
      } catch (e) {
        return [(e as UserError).message, (e as UserError).location.line];
      }
      return undefined;
    };
    expect(bad('{"name": "x", "cores": 0}')).toEqual(['/cores must be >= 1; see the architecture schema (docs/architecture.md)', 1]);
    expect(bad('{\n"name": "x",\n"colour": 1}')).toEqual(["(top level) must NOT have additional properties 'colour'; see the architecture schema (docs/architecture.md)", 1]);
    expect(bad('{"name": "x", "dpu": "B9999", "cores": 1, "frequencyMHz": 1, "ddr": {}}')![0]).toMatch(/"dpu": 'B9999' is not a PG338 configuration/);
    expect(bad('{"name": "x"}')).toEqual(['missing "dpu", "cores", "frequencyMHz", "ddr": give them, or a "base" board preset to take them from', 1]);
    expect(bad('{"name": ')![0]).toMatch(/^not valid JSON/);
  });

  it('resolves names, files, and explains unknown ones', () => {
    expect(resolveArch('zcu104').cores).toBe(2);
    expect(resolveArch('B1024').description).toMatch(/generic board/);
    expect(() => resolveArch('ZU7')).toThrow(/unknown architecture 'ZU7'. Use a board preset \(ZU2, ZU9, ZCU102, ZCU104\)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-'));
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ name: 'B', base: 'ZU2' }));
    expect(resolveArch('b.json', dir).name).toBe('B');
    expect(() => resolveArch('missing.json', dir)).toThrow(/architecture file not found/);
  });
});
