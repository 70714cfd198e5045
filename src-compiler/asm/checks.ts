// Checks of one decoded instruction against an architecture: banks that exist and suit the field,
// addresses inside the bank depth, kernel/stride/parallelism limits, supported activations.
// Shared by the assembler (with source ranges) and the disassembler (with word offsets).

import type { Instr } from '../isa/encoding';
import { enumName, type FieldSpec, type InstrSpec } from '../isa/table';
import type { Arch } from '../arch/model';
import { bankName } from '../arch/model';

export interface ArchProblem {
  /** Index into instr.spec.fields of the field at fault (or -1 for the instruction as a whole). */
  readonly field: number;
  readonly code: 'bank' | 'addr' | 'arch-limit';
  readonly message: string;
}

const ROLE_TEXT: Record<string, string> = { image: 'an image bank (VB..)', convWeights: 'a CONVW bank', dwWeights: 'the DWCONVW bank', bias: 'the BIAS bank' };

const NONE: ArchProblem[] = [];
/** Per instruction kind, the indices of its bank and address fields (the only per-field checks). */
const locatedFields = new Map<InstrSpec, number[]>();

export function checkInstrAgainstArch(instr: Instr, arch: Arch): ArchProblem[] {
  const { spec, values } = instr;
  let located = locatedFields.get(spec);
  if (!located) locatedFields.set(spec, (located = spec.fields.flatMap((f, i) => (f.kind === 'bank' || f.kind === 'addr' ? [i] : []))));
  // Fast path: LOAD, SAVE and CONV have no limits beyond their banks and addresses.
  if (spec.mnemonic === 'LOAD' || spec.mnemonic === 'SAVE' || spec.mnemonic === 'END') {
    let fine = true;
    for (const i of located) {
      const x = values[i]!;
      const fs = spec.fields[i]!;
      if (fs.kind === 'addr' ? x >= arch.dpu.bankDepth : !arch.bankGroupOf[x] || (fs.banks !== undefined && !fs.banks.includes(arch.bankGroupOf[x]!.role))) fine = false;
    }
    if (fine) return NONE;
  }
  const out: ArchProblem[] = [];
  const dpu = arch.dpu;
  const v = (name: string) => values[spec.fieldIndex[name]!]!;
  const idx = (name: string) => spec.fieldIndex[name] ?? -1;
  const limit = (name: string, lo: number, hi: number, why: string) => {
    const i = spec.fieldIndex[name];
    if (i === undefined) return;
    const x = values[i]!;
    if (x < lo || x > hi) out.push({ field: i, code: 'arch-limit', message: `${name}=${x} is outside ${lo}..${hi}, ${why} on ${arch.name} (${dpu.name})` });
  };
  for (const i of located) {
    const fs: FieldSpec = spec.fields[i]!;
    const x = values[i]!;
    if (fs.kind === 'bank') {
      const g = arch.bankGroupOf[x];
      if (!g)
        out.push({ field: i, code: 'bank', message: `${fs.name}=${x}: ${arch.name} has no bank ${x} (its banks are ${arch.bankGroups.map((b) => `${b.name} ${b.baseId}..${b.baseId + b.count - 1}`).join(', ')})` });
      else if (fs.banks && !fs.banks.includes(g.role))
        out.push({
          field: i,
          code: 'bank',
          message: `${fs.name}=${bankName(arch, x)}: ${spec.mnemonic} needs ${fs.banks.map((r) => ROLE_TEXT[r]).join(' or ')} here, not ${ROLE_TEXT[g.role]}`,
        });
    } else if (fs.kind === 'addr' && x >= dpu.bankDepth) {
      out.push({ field: i, code: 'addr', message: `${fs.name}=${x} is beyond the bank depth: ${arch.name} banks hold addresses 0..${dpu.bankDepth - 1}` });
    }
  }
  switch (spec.mnemonic) {
    case 'CONVINIT': {
      limit('kernel_h', dpu.convKernel[0], dpu.convKernel[1], 'the CONV kernel limit');
      limit('kernel_w', dpu.convKernel[0], dpu.convKernel[1], 'the CONV kernel limit');
      limit('stride_h', dpu.convStride[0], dpu.convStride[1], 'the CONV stride limit');
      limit('stride_w', dpu.convStride[0], dpu.convStride[1], 'the CONV stride limit');
      limit('valid_pixel_parallel', 1, dpu.pp, 'the pixel parallelism (PP)');
      limit('stride_offset_in', 0, v('stride_h') - 1, 'below stride_h');
      limit('stride_offset_out', 0, v('stride_out') - 1, 'below stride_out');
      const act = enumName(spec.fields[idx('act_type')]!, v('act_type'));
      if (act && act !== 'none' && !dpu.nonlinear.includes(act as never))
        out.push({ field: idx('act_type'), code: 'arch-limit', message: `act_type=${act} is not supported by the CONV engine of ${dpu.name} (it supports ${dpu.nonlinear.join(', ')})` });
      break;
    }
    case 'DWINIT':
      limit('valid_pixel_parallel', 1, dpu.dwPP, 'the depthwise engine\'s pixel parallelism');
      limit('stride_offset_in', 0, v('stride_h') - 1, 'below stride_h');
      limit('stride_offset_out', 0, v('stride_out') - 1, 'below stride_out');
      break;
    case 'POOLINIT':
      limit('valid_pixel_parallel', 1, dpu.poolPP, 'the pool engine\'s pixel parallelism');
      limit('stride_offset_in', 0, v('stride_h') - 1, 'below stride_h');
      limit('stride_offset_out', 0, v('stride_out') - 1, 'below stride_out');
      break;
    case 'ELEW':
      limit('valid_pixel_parallel', 1, dpu.elewPP, 'the eltwise engine\'s pixel parallelism');
      if (v('elew_type') === 1 && v('num') !== 2) out.push({ field: idx('num'), code: 'arch-limit', message: `elew_type=mult needs num=2 (got num=${v('num')})` });
      break;
    case 'CONV':
    case 'DPTWISE': {
      const ic = v('channel_group') * dpu.icp;
      if (v('channel_offset') >= ic)
        out.push({ field: idx('channel_offset'), code: 'arch-limit', message: `channel_offset=${v('channel_offset')} would zero all ${ic} input channels (channel_group x ICP)` });
      break;
    }
    case 'ELEWINIT':
      if (v('jump_bank') > dpu.pp) out.push({ field: idx('jump_bank'), code: 'arch-limit', message: `jump_bank=${v('jump_bank')} exceeds PP=${dpu.pp}` });
      break;
    default:
      break;
  }
  return out;
}
