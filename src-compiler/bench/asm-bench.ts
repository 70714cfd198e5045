// Assembler benchmark: parse and assemble a 100,000-instruction program (budget 500 ms, issue 2).

import { assemble } from '../asm/assemble';
import { printProgram } from '../asm/format';
import { boardByName } from '../arch/presets';
import { spec, type InstrSpec } from '../isa/table';
import type { Instr } from '../isa/encoding';
import { Random } from '../util/random';
import { row, timeRuns, type BenchRow } from './types';

/** A program with the instruction mix and field values of compiled convolution layers (seeded). */
export function syntheticProgram(count: number, seed = 1): string {
  const arch = boardByName('ZU9')!;
  const r = new Random(seed);
  const make = (s: InstrSpec, v: Record<string, number>): Instr => ({ spec: s, values: s.fields.map((f) => v[f.name] ?? f.default ?? f.min) });
  const instrs: Instr[] = [];
  const load = spec('LOAD');
  const conv = spec('CONV');
  const save = spec('SAVE');
  const init = spec('CONVINIT');
  while (instrs.length < count - 1) {
    instrs.push(make(init, { jump_read: 4, shift_cut: r.int(6, 12), act_type: 1, jump_read_endl: 224, shift_bias: r.int(4, 12), stride_out: 1, jump_write: 4, valid_pixel_parallel: 8, kernel_h: 3, stride_h: 1, jump_write_endl: 224, kernel_w: 3, stride_w: 1 }));
    for (let k = 0; k < 8 && instrs.length < count - 1; k++)
      instrs.push(make(load, { dpdby: k === 7 ? 4 : 0, bank_addr: r.int(0, 2047), bank_id: k, jump_write: 4, jump_read: 64, length: 56, channel: 64, reg_id: 0, ddr_addr: r.int(0, 1 << 24) }));
    for (let k = 0; k < 6 && instrs.length < count - 1; k++)
      instrs.push(make(conv, { dpdon: k === 0 ? 1 : 0, dpdby: 2, bank_addr_in: r.int(0, 2047), pad_top: 1, pad_left: 1, bank_addr_out: r.int(0, 2047), pad_bottom: 2, pad_right: 2, channel_group: 4, bank_addr_weights: r.int(0, 2047), bank_id_in: 0, length: 56, bank_addr_bias: r.int(0, 2047), bank_id_out: 8, bank_addr_in_1: r.int(0, 2047) }));
    for (let k = 0; k < 6 && instrs.length < count - 1; k++)
      instrs.push(make(save, { dpdon: 4, bank_addr: r.int(0, 2047), bank_id: 8 + k, jump_read: 4, jump_write: 64, length: 56, channel: 64, reg_id: 1, ddr_addr: r.int(0, 1 << 24) }));
  }
  instrs.push(make(spec('END'), {}));
  return printProgram(instrs, arch);
}

export async function benchAssembler(quick: boolean): Promise<BenchRow[]> {
  const n = 100_000;
  const text = syntheticProgram(n);
  let words = 0;
  const t = await timeRuns(quick ? 3 : 7, () => {
    const p = assemble(text);
    if (p.diagnostics.some((d) => d.severity === 'error')) throw new Error('benchmark program does not assemble');
    words = p.words!.length;
  });
  return [
    row('Assembler', `parse + assemble ${n.toLocaleString('en')} instructions (${(text.length / 1e6).toFixed(1)} MB, ${words.toLocaleString('en')} words)`, t, 'ms', { text: '<= 500 ms', max: 500 }),
  ];
}
