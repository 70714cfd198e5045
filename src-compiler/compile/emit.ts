// The instruction builder: code generators emit instructions by field name, with what each reads and
// writes as dependency keys, and layer markers; `finish` assigns the dependency tokens (tokens.ts).
//
// Keys name what an instruction touches at the granularity the schedule needs:
//   r<ring>:<slot>:<bank>   rows of a ring (one address group slot in one bank);
//   p<bank group>:<block>   physical address blocks of a bank group, so that a ring of a later fusion
//                           group never overwrites what an earlier one still reads (the first write of an
//                           engine into a ring writes them, every other access reads them);
//   w<buffer>               a weight or bias buffer;
//   d<reg>:<block>          DDR blocks, for tensors that go out through SAVE and come back through LOAD.

import { checkValue, type Instr } from '../isa/encoding';
import { ENGINES, spec, type Mnemonic } from '../isa/table';
import type { Arch } from '../arch/model';
import { checkInstrAgainstArch } from '../asm/checks';
import { assignTokens } from './tokens';
import type { Ring } from './onchip';

export interface EmittedInstr {
  readonly instr: Instr;
  readonly reads: string[];
  readonly writes: string[];
  /** A comment printed after the instruction in the assembly. */
  readonly comment?: string;
}

export interface LayerMark {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly group?: string;
  /** Index of the first instruction of the layer. */
  readonly first: number;
  /** A comment line printed above the marker. */
  readonly comment?: string;
  /** Nodes whose outputs the layer leaves in DDR, when not just its last node (two groups that run
   * at the same time each leave their last node's; parallel.ts). */
  readonly outputs?: readonly string[];
}

/** The nodes whose outputs a layer leaves in DDR: what validation and the golden checksums compare. */
export function layerOutputNodes(l: Pick<LayerMark, 'nodes' | 'outputs'>): readonly string[] {
  return l.outputs ?? l.nodes.slice(-1);
}

/** Addresses per physical key block of a bank group. */
export const PHYS_BLOCK = 256;
/** Bytes per DDR key block. */
export const DDR_BLOCK = 4096;

export class ProgramBuilder {
  readonly instrs: EmittedInstr[] = [];
  readonly layers: LayerMark[] = [];
  /** Rings an engine has written, per engine (the first write claims the ring's physical blocks). */
  private readonly claimed = new Set<string>();

  constructor(readonly arch: Arch) {}

  /** Emit an instruction. Values are decoded values by field name; unnamed fields take their default.
   * An illegal instruction is a bug in the code generator, reported with the layer it belongs to. */
  emit(mnemonic: Mnemonic, fields: Readonly<Record<string, number>>, reads: string[] = [], writes: string[] = [], comment?: string): number {
    const s = spec(mnemonic);
    const values = s.fields.map((f) => {
      const v = fields[f.name];
      if (v === undefined) {
        if (f.default === undefined && f.name !== 'dpdon' && f.name !== 'dpdby') throw new Error(`codegen: ${mnemonic} without ${f.name} in layer ${this.currentLayer()}`);
        return f.default ?? 0;
      }
      return v;
    });
    for (const name of Object.keys(fields)) if (s.fieldIndex[name] === undefined) throw new Error(`codegen: ${mnemonic} has no field ${name}`);
    const instr: Instr = { spec: s, values };
    for (let i = 0; i < s.fields.length; i++) {
      const why = checkValue(s.fields[i]!, values[i]!);
      if (why) throw new Error(`codegen produced an illegal ${mnemonic} in layer ${this.currentLayer()}: ${why}`);
    }
    const problems = checkInstrAgainstArch(instr, this.arch);
    if (problems.length) throw new Error(`codegen produced an illegal ${mnemonic} in layer ${this.currentLayer()}: ${problems[0]!.message}`);
    this.instrs.push({ instr, reads, writes, ...(comment ? { comment } : {}) });
    return this.instrs.length - 1;
  }

  mark(name: string, nodes: readonly string[], group?: string, comment?: string, outputs?: readonly string[]): void {
    this.layers.push({ name, nodes, ...(group ? { group } : {}), first: this.instrs.length, ...(comment ? { comment } : {}), ...(outputs ? { outputs } : {}) });
  }

  /** Append an instruction another builder emitted (its checks already made). */
  append(e: EmittedInstr): void {
    this.instrs.push(e);
  }

  private currentLayer(): string {
    return this.layers[this.layers.length - 1]?.name ?? '(before the first layer)';
  }

  /** Keys for an access to `rows` keys of ring `r` by `engine`: adds the ring's physical blocks. */
  ringAccess(r: Ring, engine: number, rowKeys: string[], write: boolean): { reads: string[]; writes: string[] } {
    const phys: string[] = [];
    const first = Math.floor(r.base / PHYS_BLOCK);
    const last = Math.floor((r.base + r.size - 1) / PHYS_BLOCK);
    for (let b = first; b <= last; b++) phys.push(`p${r.group.baseId}:${b}`);
    const claim = `${r.id}:${engine}`;
    if (write && !this.claimed.has(claim)) {
      this.claimed.add(claim);
      return { reads: [], writes: [...rowKeys, ...phys] };
    }
    return write ? { reads: phys, writes: rowKeys } : { reads: [...rowKeys, ...phys], writes: [] };
  }

  /** Instructions with dependency masks, ending with END. */
  finish(): { instrs: Instr[]; comments: (string | undefined)[]; layers: LayerMark[]; tokens: number } {
    this.emit('END', {});
    const engineOf = (e: EmittedInstr) => {
      const en = e.instr.spec.engine;
      return en === 'CTRL' ? -1 : ENGINES.indexOf(en);
    };
    const t = assignTokens(this.instrs.map((e) => ({ engine: engineOf(e), reads: e.reads, writes: e.writes })));
    const dpdon = spec('END').fieldIndex['dpdon']!;
    const dpdby = spec('END').fieldIndex['dpdby']!;
    const instrs = this.instrs.map((e, i) => {
      const values = e.instr.values.slice();
      values[dpdon] = t.dpdon[i]!;
      values[dpdby] = t.dpdby[i]!;
      return { spec: e.instr.spec, values };
    });
    return { instrs, comments: this.instrs.map((e) => e.comment), layers: this.layers, tokens: t.tokens };
  }
}

/** DDR block keys of bytes [start, end) of register `reg`. */
export function ddrKeys(reg: number, start: number, end: number): string[] {
  const keys: string[] = [];
  for (let b = Math.floor(start / DDR_BLOCK); b <= Math.floor((end - 1) / DDR_BLOCK); b++) keys.push(`d${reg}:${b}`);
  return keys;
}
