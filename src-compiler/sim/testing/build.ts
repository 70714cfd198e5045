// Building instructions in code, by field name (for tests and generated benchmark programs).

import type { Arch } from '../../arch/model';
import type { Instr } from '../../isa/encoding';
import { checkValue } from '../../isa/encoding';
import { ENGINES, spec, type Mnemonic } from '../../isa/table';

/** Masks by engine name: mask('LOAD', 'CONV') = 0b0101. */
export function mask(...engines: (typeof ENGINES)[number][]): number {
  return engines.reduce((m, e) => m | (1 << ENGINES.indexOf(e)), 0);
}

/** An instruction from named field values; omitted fields take their defaults. Throws on a missing
 * required field, an unknown name or an illegal value (a bug in the caller). */
export function instr(mnemonic: Mnemonic, fields: Readonly<Record<string, number>>): Instr {
  const s = spec(mnemonic);
  for (const k of Object.keys(fields)) if (s.fieldIndex[k] === undefined) throw new Error(`${mnemonic} has no field ${k}`);
  const values = s.fields.map((fs) => {
    const v = fields[fs.name] ?? fs.default;
    if (v === undefined) throw new Error(`${mnemonic}: field ${fs.name} is required`);
    const why = checkValue(fs, v);
    if (why) throw new Error(`${mnemonic}: ${why}`);
    return v;
  });
  return { spec: s, values };
}

/**
 * A double-buffered LOAD / CONV / SAVE pipeline of `tiles` tiles: tile t loads into input buffer t mod
 * 2, convolves into output buffer t mod 2, and saves it. Tokens: LOAD -> CONV per tile; CONV -> SAVE per
 * tile; CONV -> LOAD and SAVE -> CONV hand each buffer back two tiles later. Instructions with the same
 * fields share their value arrays, so millions of them stay small.
 */
export function pingPongProgram(arch: Arch, tiles: number, o: { length?: number; channelGroup?: number; kernel?: number } = {}): Instr[] {
  const len = o.length ?? 32;
  const cg = o.channelGroup ?? 4;
  const k = o.kernel ?? 3;
  const pp = arch.dpu.pp;
  const icp = arch.dpu.icp;
  const half = Math.floor(arch.dpu.bankDepth / 2);
  const rowBytes = len * cg * icp;
  const out: Instr[] = [];
  const cache = new Map<string, Instr>();
  const make = (m: Mnemonic, f: Record<string, number>) => {
    const key = m + JSON.stringify(f);
    let x = cache.get(key);
    if (!x) cache.set(key, (x = instr(m, f)));
    return x;
  };
  out.push(
    make('CONVINIT', {
      jump_read: cg,
      shift_cut: 8,
      act_type: 1,
      jump_read_endl: len * cg,
      shift_bias: 4,
      stride_out: 1,
      jump_write: 1,
      valid_pixel_parallel: pp,
      kernel_h: k,
      stride_h: 1,
      jump_write_endl: len,
      kernel_w: k,
      stride_w: 1,
    }),
  );
  for (let t = 0; t < tiles; t++) {
    const b = t % 2;
    const reuse = t >= 2;
    const handBack = t < tiles - 2;
    out.push(
      make('LOAD', {
        dpdon: reuse ? mask('CONV') : 0,
        dpdby: mask('CONV'),
        bank_addr: b * half,
        bank_id: 0,
        jump_write: cg,
        jump_read: cg * icp,
        length: len,
        channel: cg * icp,
        reg_id: 0,
        ddr_addr: (t % 64) * rowBytes,
      }),
    );
    out.push(
      make('CONV', {
        dpdon: mask('LOAD', ...(reuse ? (['SAVE'] as const) : [])),
        dpdby: mask('SAVE', ...(handBack ? (['LOAD'] as const) : [])),
        bank_addr_in: b * half,
        bank_addr_out: b * half,
        pad_bottom: k - 1,
        pad_right: k - 1,
        channel_group: cg,
        bank_addr_weights: 0,
        bank_id_in: 0,
        length: len,
        bank_addr_bias: 0,
        bank_id_out: pp,
      }),
    );
    out.push(
      make('SAVE', {
        dpdon: mask('CONV'),
        dpdby: handBack ? mask('CONV') : 0,
        bank_addr: b * half,
        bank_id: pp,
        jump_read: 1,
        jump_write: icp,
        length: len,
        channel: icp,
        reg_id: 1,
        ddr_addr: (t % 64) * len * icp,
      }),
    );
  }
  out.push(make('END', {}));
  return out;
}
