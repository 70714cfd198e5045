// Programs across the thread boundary: a document's segments as flat typed arrays (opcode and field
// values per instruction), cheap to copy to a worker and rebuilt there against the ISA table.

import type { Arch } from '../../src-compiler/arch/model';
import type { Instr } from '../../src-compiler/isa/encoding';
import { specByOpcode } from '../../src-compiler/isa/table';
import type { SimLayer, SimRegion } from '../../src-compiler/sim/program';
import { sliceProgram, type SegmentProgram } from '../../src-compiler/ide/simulation';

export interface PackedSegment {
  readonly name: string;
  readonly index: number;
  readonly first: number;
  readonly layerIndex: readonly number[];
  readonly layers: readonly SimLayer[];
  readonly opcodes: Uint8Array;
  /** Every instruction's field values, one after another (as many as its spec has fields). */
  readonly values: Int32Array;
  readonly lines?: Int32Array;
  readonly cols?: Int32Array;
  readonly wordOffsets: Int32Array;
}

export interface PackedProgram {
  readonly arch: Arch;
  readonly regions: readonly SimRegion[];
  readonly segments: readonly PackedSegment[];
}

export function packSegments(segs: readonly SegmentProgram[], arch: Arch, regions: readonly SimRegion[]): PackedProgram {
  return {
    arch,
    regions,
    segments: segs.map((s) => {
      const p = s.program;
      const n = p.instrs.length;
      const opcodes = new Uint8Array(n);
      let total = 0;
      for (const i of p.instrs) total += i.values.length;
      const values = new Int32Array(total);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const ins = p.instrs[i]!;
        opcodes[i] = ins.spec.opcode;
        values.set(ins.values, k);
        k += ins.values.length;
      }
      return {
        name: s.name,
        index: s.index,
        first: s.first,
        layerIndex: s.layerIndex,
        layers: p.layers,
        opcodes,
        values,
        ...(p.lines ? { lines: p.lines.slice() } : {}),
        ...(p.cols ? { cols: p.cols.slice() } : {}),
        wordOffsets: p.wordOffsets.slice(),
      };
    }),
  };
}

export function unpackSegments(pp: PackedProgram): SegmentProgram[] {
  return pp.segments.map((s) => {
    const n = s.opcodes.length;
    const instrs: Instr[] = new Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const spec = specByOpcode(s.opcodes[i]!);
      if (!spec) throw new Error(`transport: unknown opcode ${s.opcodes[i]}`);
      const m = spec.fields.length;
      const values = new Array<number>(m);
      for (let f = 0; f < m; f++) values[f] = s.values[k + f]!;
      instrs[i] = { spec, values };
      k += m;
    }
    const whole = {
      arch: pp.arch,
      instrs,
      ...(s.lines ? { lines: s.lines } : {}),
      ...(s.cols ? { cols: s.cols } : {}),
      wordOffsets: s.wordOffsets,
      layers: s.layers,
      regions: pp.regions,
      count: n,
      endIndex: -1,
    };
    return { name: s.name, index: s.index, first: s.first, layerIndex: s.layerIndex, program: sliceProgram(whole, 0, n, s.layers) };
  });
}
