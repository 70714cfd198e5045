// The functional machine's debugger API: execute an instruction out of program order, observe writes,
// save and restore registers, and pause the race checks while replaying.

import { describe, expect, it } from 'vitest';
import { boardByName } from '../arch/presets';
import { FunctionalMachine, runFunctional } from './functional';
import { DdrImage } from './memory';
import { START, simulateTiming } from './timing';
import { seededBytes } from './testing/reference';
import { assembleOrThrow } from './testing/run-layer';
import { tileLayer, type ConvLayer } from './testing/tiler';

const ZU2 = boardByName('ZU2')!;

/** A conv layer tiled into many instructions whose engines overlap in time (double-buffered). */
function pipelined() {
  const layer: ConvLayer = { kind: 'conv', h: 12, w: 20, c: 12, k: 12, kh: 3, kw: 3, sh: 1, sw: 1, pads: { top: 1, left: 1, bottom: 1, right: 1 }, act: 'relu', shiftCut: 7, shiftBias: 2 };
  const tiled = tileLayer(layer, ZU2, { maxLength: 5 });
  const program = assembleOrThrow(tiled.text, ZU2);
  const data: Record<string, Int8Array> = {
    input: seededBytes(1, 12 * 20 * 12),
    weights: seededBytes(2, 12 * 3 * 3 * 12),
    bias: seededBytes(3, 12),
  };
  const ddr = () => new DdrImage(program.regions, (r) => data[r.name]);
  return { program, ddr };
}

/** Instruction indices in the order the timing simulation starts them (ties by program order). */
function timeOrder(program: ReturnType<typeof pipelined>['program']): number[] {
  const t = simulateTiming(program, { cores: 1 });
  expect(t.status).toBe('complete');
  const rec = t.times[0]!.rec;
  return Array.from({ length: program.count }, (_, i) => i).sort((a, b) => rec[2 * a + START]! - rec[2 * b + START]! || a - b);
}

describe('FunctionalMachine debugger API', () => {
  it('executing in the timing order computes what program order computes, without a race', () => {
    const { program, ddr } = pipelined();
    const order = timeOrder(program);
    // The order really differs from program order: otherwise this test would prove nothing.
    expect(order.some((x, k) => x !== k)).toBe(true);
    const ref = runFunctional(program, ddr());
    expect(ref.problems).toEqual([]);
    const m = new FunctionalMachine(program, ddr());
    for (const i of order) m.execute(i);
    const r = m.result();
    expect(r.problems).toEqual([]);
    expect(Buffer.from(r.ddr.byName('output')!.data).equals(Buffer.from(ref.ddr.byName('output')!.data))).toBe(true);
    expect(Buffer.from(r.banks.data).equals(Buffer.from(ref.banks.data))).toBe(true);
  });

  it('tells the observer of every bank address and DDR byte before it is written', () => {
    const { program, ddr } = pipelined();
    const m = new FunctionalMachine(program, ddr());
    const seen = new Uint8Array(m.banks.totalAddresses);
    let saved = 0;
    let before = -1;
    m.observer = {
      bank: (i, g) => {
        expect(i).toBe(m.pc - 1);
        seen[g] = 1;
      },
      ddr: (i, region, off, n) => {
        expect(program.instrs[i]!.spec.mnemonic).toBe('SAVE');
        expect(region.name).toBe('output');
        // Called before the write: the bytes are not initialized yet (each output byte is saved once).
        before = region.init![off]!;
        saved += n;
      },
    };
    while (m.step()) {
      /* all */
    }
    expect(Buffer.from(seen).equals(Buffer.from(m.banks.init))).toBe(true);
    expect(before).toBe(0);
    expect(saved).toBe(m.ddr.byName('output')!.size);
  });

  it('restoring registers and memories, then replaying, gives the same state', () => {
    const { program, ddr } = pipelined();
    const order = timeOrder(program);
    const m = new FunctionalMachine(program, ddr(), { checkRaces: false });
    const half = Math.floor(order.length / 2);
    for (let k = 0; k < half; k++) m.execute(order[k]!);
    const regs = m.saveRegisters();
    const banks = Int8Array.from(m.banks.data);
    const init = Uint8Array.from(m.banks.init);
    const out = m.ddr.byName('output')!;
    const outData = Int8Array.from(out.data);
    const outInit = Uint8Array.from(out.init!);
    for (let k = half; k < order.length; k++) m.execute(order[k]!);
    const final = Int8Array.from(m.banks.data);
    const finalOut = Int8Array.from(out.data);
    // Back to the middle and forward again.
    m.restoreRegisters(regs);
    m.banks.data.set(banks);
    m.banks.init.set(init);
    out.data.set(outData);
    out.init!.set(outInit);
    for (let k = half; k < order.length; k++) m.execute(order[k]!);
    expect(Buffer.from(m.banks.data).equals(Buffer.from(final))).toBe(true);
    expect(Buffer.from(out.data).equals(Buffer.from(finalOut))).toBe(true);
    expect(m.result().problems).toEqual([]);
    expect(m.executed).toBe(order.length);
  });

  it('refuses an instruction index outside the program', () => {
    const { program, ddr } = pipelined();
    const m = new FunctionalMachine(program, ddr());
    expect(() => m.execute(program.count)).toThrow(/outside the program/);
  });
});
