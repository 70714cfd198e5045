// Programs across the thread boundary: a document's segments as flat typed arrays (opcode and field
// values per instruction), cheap to copy to a worker and rebuilt there against the ISA table.

import type { Arch } from '../../src-compiler/arch/model';
import type { Instr } from '../../src-compiler/isa/encoding';
import { specByOpcode } from '../../src-compiler/isa/table';
import type { SimLayer, SimRegion } from '../../src-compiler/sim/program';
import type { AsmProgram } from '../../src-compiler/asm/assemble';
import { segmentLayout, sliceProgram, type SegmentProgram } from '../../src-compiler/ide/simulation';

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
  /** `.batch`: images per run. */
  readonly batch: number;
  readonly segments: readonly PackedSegment[];
}

/**
 * The packed program of an assembled document, straight from its instructions (no SimProgram on the
 * way: this runs on the main thread after every edit). Lines are 1-based, as SimProgram's.
 */
export function packDocument(asm: AsmProgram): PackedProgram {
  const regions: SimRegion[] = asm.regions.map((r) => ({ name: r.name, reg: r.reg, offset: r.offset, size: r.size, line: r.line + 1, ...(r.file !== undefined ? { file: r.file } : {}) }));
  return {
    arch: asm.arch,
    regions,
    batch: asm.batch ?? 1,
    segments: segmentLayout(asm).map((s) => {
      const n = s.end - s.first;
      const opcodes = new Uint8Array(n);
      const lines = new Int32Array(n);
      const wordOffsets = new Int32Array(n);
      let total = 0;
      for (let i = s.first; i < s.end; i++) total += asm.instrs[i]!.values.length;
      const values = new Int32Array(total);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const ins = asm.instrs[s.first + i]!;
        opcodes[i] = ins.spec.opcode;
        lines[i] = ins.line + 1;
        wordOffsets[i] = ins.word;
        const v = ins.values;
        for (let f = 0; f < v.length; f++) values[k + f] = v[f]!;
        k += v.length;
      }
      return { name: s.name, index: s.index, first: s.first, layerIndex: s.layerIndex, layers: s.layers, opcodes, values, lines, wordOffsets };
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
      batch: pp.batch,
    };
    return { name: s.name, index: s.index, first: s.first, layerIndex: s.layerIndex, program: sliceProgram(whole, 0, n, s.layers) };
  });
}
