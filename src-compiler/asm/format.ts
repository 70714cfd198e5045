// The canonical text of instructions: what the disassembler prints and what the formatter writes.
//
// One instruction per line, four spaces of indent, the mnemonic padded to a column, then every field
// that differs from its default in ISA-table order (dependency masks first): masks as `LOAD|CONV`,
// codes by name, banks as `VB1[3]`, DDR offsets in hex, everything else in decimal.

import type { Instr } from '../isa/encoding';
import { INSTRUCTIONS, enumName, maskText, type FieldSpec } from '../isa/table';
import { bankName, type Arch } from '../arch/model';

export const INDENT = '    ';
export const MNEMONIC_WIDTH = Math.max(...INSTRUCTIONS.map((s) => s.mnemonic.length)) + 1;

export function formatValue(fs: FieldSpec, v: number, arch?: Arch): string {
  switch (fs.kind) {
    case 'mask':
      return maskText(v);
    case 'enum':
      return enumName(fs, v) ?? String(v);
    case 'bank':
      return (arch && bankName(arch, v)) ?? String(v);
    case 'ddr':
      return '0x' + v.toString(16);
    default:
      return String(v);
  }
}

export function formatInstr(instr: Instr, arch?: Arch): string {
  const { spec, values } = instr;
  let s = INDENT + spec.mnemonic;
  if (spec.fields.length === 0) return s;
  s += ' '.repeat(MNEMONIC_WIDTH - spec.mnemonic.length);
  let first = true;
  for (let i = 0; i < spec.fields.length; i++) {
    const fs = spec.fields[i]!;
    const v = values[i]!;
    if (fs.default !== undefined && v === fs.default) continue;
    s += (first ? '' : ' ') + fs.name + '=' + formatValue(fs, v, arch);
    first = false;
  }
  return s.trimEnd();
}

/** The canonical text of an instruction stream, headed by its `.arch` directive. */
export function printProgram(instrs: readonly Instr[], arch: Arch, archRef: string = arch.name): string {
  const out: string[] = [`.arch ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(archRef) ? archRef : JSON.stringify(archRef)}`];
  for (const i of instrs) out.push(formatInstr(i, arch));
  return out.join('\n') + '\n';
}
