// fast-check generators of valid instructions and programs for a given architecture.

import fc from 'fast-check';
import { INSTRUCTIONS, type FieldSpec, type InstrSpec } from '../../src-compiler/isa/table';
import type { Instr } from '../../src-compiler/isa/encoding';
import type { Arch } from '../../src-compiler/arch/model';
import { checkInstrAgainstArch } from '../../src-compiler/asm/checks';

function fieldValue(fs: FieldSpec, arch: Arch): fc.Arbitrary<number> {
  if (fs.values) return fc.constantFrom(...Object.values(fs.values));
  if (fs.kind === 'bank') {
    const ids = arch.bankGroups.filter((g) => !fs.banks || fs.banks.includes(g.role)).flatMap((g) => Array.from({ length: g.count }, (_, k) => g.baseId + k));
    return fc.constantFrom(...ids);
  }
  if (fs.kind === 'addr') return fc.integer({ min: 0, max: Math.min(fs.max, arch.dpu.bankDepth - 1) });
  // Bias towards the edges of the range, where encoding bugs live.
  return fc.oneof(fc.integer({ min: fs.min, max: fs.max }), fc.constantFrom(fs.min, fs.max));
}

export function instrOf(spec: InstrSpec, arch: Arch): fc.Arbitrary<Instr> {
  return fc
    .tuple(...spec.fields.map((fs) => fieldValue(fs, arch)))
    .map((values) => ({ spec, values: values as number[] }))
    .filter((i) => checkInstrAgainstArch(i, arch).length === 0);
}

export function anyInstr(arch: Arch): fc.Arbitrary<Instr> {
  return fc.oneof(...INSTRUCTIONS.map((s) => instrOf(s, arch)));
}

export function instrStream(arch: Arch, maxLength = 40): fc.Arbitrary<Instr[]> {
  return fc.array(anyInstr(arch), { minLength: 1, maxLength });
}
