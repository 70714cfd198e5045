// docs/isa-reference.md, generated from the ISA table: every instruction and field with its bits,
// the (-1) convention, legal range, default and doc.

import { INSTRUCTIONS, fieldBits } from './table';

export function buildIsaReference(): string {
  const out: string[] = [
    '# DPUV2 instruction reference',
    '',
    'Generated from `src-compiler/isa/table.ts` by `npm run build`; do not edit. Bit ranges are',
    '`Wn[hi:lo]` (word n of the instruction, little-endian 32-bit words). Fields marked "-1" store',
    'value-1 in the word; assembly and this table use the decoded value. Fields with a default may be',
    'left out of an instruction; all others are required. Every instruction also has, in word 0,',
    'the opcode in bits [31:28].',
    '',
  ];
  for (const s of INSTRUCTIONS) {
    out.push(`## ${s.mnemonic} (opcode 0x${s.opcode.toString(16)}, ${s.words} word${s.words > 1 ? 's' : ''}, ${s.engine} engine)`, '', s.doc, '');
    out.push('| field | bits | stored | legal | default | meaning |', '| --- | --- | --- | --- | --- | --- |');
    for (const f of s.fields) {
      const legal = f.values ? Object.entries(f.values).map(([k, v]) => `${k}=${v}`).join(', ') : f.kind === 'mask' ? 'LOAD\\|SAVE\\|CONV\\|MISC or none' : `${f.min}..${f.max}`;
      out.push(`| \`${f.name}\` | ${fieldBits(f)} | ${f.minusOne ? 'value-1' : 'value'} | ${legal} | ${f.default ?? ''} | ${f.doc.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
