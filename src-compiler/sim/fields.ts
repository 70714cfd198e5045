// Field indices for the simulators' hot paths, looked up once from the ISA table by name.
//
// An instruction's decoded values live in `instr.values`, in the order of `spec.fields`. The
// simulators read them by index; these objects map each field name to its index so that the code says
// `v[CONV.length]` and still takes every layout fact from isa/table.ts.

import { INSTRUCTIONS, fieldIndex, type Mnemonic } from '../isa/table';

function indices<const N extends readonly string[]>(m: Mnemonic, names: N): { readonly [K in N[number]]: number } {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = fieldIndex(m, n);
  return Object.freeze(out) as { readonly [K in N[number]]: number };
}

const HEADER = ['dpdon', 'dpdby'] as const;

export const LOAD = indices('LOAD', [
  ...HEADER,
  'bank_addr',
  'bank_id',
  'jump_write',
  'jump_read',
  'length',
  'channel',
  'pad_idx',
  'reg_id',
  'const_value',
  'broadcast',
  'mode_avg',
  'pad_end',
  'pad_start',
  'ddr_addr',
] as const);

export const SAVE = indices('SAVE', [
  ...HEADER,
  'bank_addr',
  'bank_id',
  'jump_read',
  'jump_write',
  'argmax',
  'hp_id',
  'length',
  'channel',
  'reg_id',
  'const_value',
  'const_en',
  'ddr_addr',
] as const);

export const CONVINIT = indices('CONVINIT', [
  'jump_read',
  'shift_cut',
  'act_type',
  'jump_read_endl',
  'shift_bias',
  'stride_out',
  'jump_write',
  'stride_offset_in',
  'valid_pixel_parallel',
  'kernel_h',
  'stride_h',
  'jump_write_endl',
  'stride_offset_out',
  'kernel_w',
  'stride_w',
] as const);

export const CONV = indices('CONV', [
  'bank_addr_in',
  'pad_top',
  'pad_left',
  'bank_addr_out',
  'pad_bottom',
  'pad_right',
  'channel_group',
  'bank_addr_weights',
  'bank_id_in',
  'length',
  'bank_addr_bias',
  'bank_id_out',
  'bank_addr_in_1',
  'bank_addr_in_2',
  'bank_addr_in_3',
  'channel_offset',
] as const);

export const POOLINIT = indices('POOLINIT', [
  'jump_read',
  'kernel_h',
  'kernel_w',
  'shift_cut',
  'pool_type',
  'stride_h',
  'stride_w',
  'stride_offset_in',
  'valid_pixel_parallel',
  'stride_offset_out',
  'stride_out',
  'jump_write',
] as const);

export const POOL = indices('POOL', [
  'bank_addr_in',
  'channel_group',
  'bank_id_in',
  'pad_bottom',
  'pad_right',
  'pad_top',
  'pad_left',
  'jump_write_endl',
  'bank_id_out',
  'length',
  'jump_read_endl',
  'bank_addr_out',
  'bank_addr_in_1',
  'downsample_kernel_w',
  'bank_addr_in_2',
  'bank_addr_in_3',
  'downsample_kernel_h',
] as const);

export const DWINIT = indices('DWINIT', [
  'jump_read_endl',
  'jump_read',
  'jump_write_endl',
  'kernel_h',
  'kernel_w',
  'stride_h',
  'stride_w',
  'valid_pixel_parallel',
  'stride_offset_in',
  'shift_cut',
  'shift_bias',
  'stride_offset_out',
  'stride_out',
  'jump_write',
] as const);

export const DPTWISE = indices('DPTWISE', [
  'bank_addr_in',
  'channel_group',
  'bank_addr_out',
  'pad_bottom',
  'pad_top',
  'pad_right',
  'pad_left',
  'bank_addr_weights',
  'bank_id_in',
  'length',
  'act_type',
  'bank_addr_bias',
  'bank_id_out',
  'bank_addr_in_1',
  'bank_addr_in_2',
  'bank_addr_in_3',
  'channel_offset',
] as const);

export const ELEWINIT = indices('ELEWINIT', ['share_pp', 'bank_id_in', 'bank_addr_in', 'jump_read_endl', 'id', 'jump_bank', 'jump_read', 'shift_read'] as const);

export const ELEW = indices('ELEW', [
  'length',
  'act_type',
  'elew_type',
  'bank_id_out',
  'bank_addr_out',
  'jump_write_endl',
  'num',
  'valid_pixel_parallel',
  'jump_write',
  'shift_write',
  'channel_group',
] as const);

/** dpdon and dpdby sit at the same index in every instruction (the common header comes first). */
export const DPDON = fieldIndex('END', 'dpdon');
export const DPDBY = fieldIndex('END', 'dpdby');

for (const s of INSTRUCTIONS)
  if (s.fieldIndex['dpdon'] !== DPDON || s.fieldIndex['dpdby'] !== DPDBY) throw new Error(`ISA table: ${s.mnemonic} does not start with the dpdon/dpdby header`);
