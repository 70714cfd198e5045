// The disassembler: binary words -> canonical assembly text, with every problem located by word offset.

import { decodeProgram, type BinaryError, type Instr } from '../isa/encoding';
import type { Arch } from '../arch/model';
import { checkInstrAgainstArch } from './checks';
import { printProgram } from './format';

export interface DisassembleResult {
  readonly text: string;
  readonly instrs: Instr[];
  /** Word offset of each instruction. */
  readonly offsets: number[];
  readonly errors: BinaryError[];
}

export function disassemble(words: Uint32Array, arch: Arch, archRef?: string): DisassembleResult {
  const { instrs, offsets, errors } = decodeProgram(words);
  const all = [...errors];
  instrs.forEach((instr, k) => {
    for (const p of checkInstrAgainstArch(instr, arch)) {
      const at = offsets[k]!;
      const w = p.field >= 0 ? at + instr.spec.fields[p.field]!.word : at;
      all.push({ instrWord: at, word: w, message: `word ${w} (${instr.spec.mnemonic} at word ${at}): ${p.message}` });
    }
  });
  all.sort((a, b) => a.word - b.word);
  return { text: printProgram(instrs, arch, archRef), instrs, offsets, errors: all };
}
