// Data races and order inversions between engines, found while the functional simulator runs.
//
// Two accesses conflict when they touch the same bank address (or DDR byte) and at least one writes.
// The DPU runs the engines concurrently, ordered only by tokens; Xilinx's simulator (and ours) runs the
// program in program order. For every conflicting pair x before y in program order, on different
// engines, the program is right only if x happens before y through tokens (deps.ts):
//   - neither happens before the other: a race, the DPU may run them either way round;
//   - y happens before x: an order inversion, the DPU always runs them opposite to program order,
//     so its result differs from the program-order result.
// The check is the classic one of vector-clock race detectors: per address, the last writer and the
// last reader of each engine since that write; since every earlier access was checked against those,
// checking against them is enough.

import { ENGINE_COUNT } from '../isa/table';
import { happensBefore, type DepAnalysis } from './deps';
import { bankName } from '../arch/model';
import type { BankMemory, DdrImage, DdrRegionImage } from './memory';
import { described, engineName, type SimProblem, type SimProgram } from './program';

type Kind = 'read-after-write' | 'write-after-read' | 'write-after-write';

interface Conflict {
  readonly x: number;
  readonly y: number;
  readonly kind: Kind;
  /** Bank id, or -1 - region index for DDR. */
  readonly space: number;
  lo: number;
  hi: number;
  count: number;
  otherSpaces: number;
}

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

/** How many instruction pairs are reported at most (the first ones in program order of the later one). */
const MAX_PAIRS = 64;

export class RaceChecker {
  private readonly lastWriter: Int32Array;
  private readonly lastReader: Int32Array;
  private readonly bankOfAddr: Int32Array;
  private readonly conflicts = new Map<number, Conflict>();
  /** Per DDR region some SAVE writes: its index, and its shadow in chunks allocated on first touch
   * (a SAVE usually writes a small part of a large workspace region). */
  private readonly ddrShadow = new Map<DdrRegionImage, { index: number; chunks: Map<number, { writer: Int32Array; reader: Int32Array }> }>();
  private readonly engine: Uint8Array;
  private readonly n: number;

  constructor(
    private readonly p: SimProgram,
    private readonly deps: DepAnalysis,
    private readonly banks: BankMemory,
    private readonly ddr: DdrImage,
    /** DDR regions some SAVE writes: the only ones where LOAD and SAVE can conflict. */
    writtenRegions: readonly DdrRegionImage[],
  ) {
    this.engine = deps.graph.engine;
    this.n = p.count;
    this.lastWriter = new Int32Array(banks.totalAddresses).fill(-1);
    this.lastReader = new Int32Array(banks.totalAddresses * ENGINE_COUNT).fill(-1);
    this.bankOfAddr = new Int32Array(banks.totalAddresses);
    for (let id = 0; id < banks.bankCount; id++) {
      const d = banks.depth[id]!;
      for (let a = 0; a < d; a++) this.bankOfAddr[banks.addrBase[id]! + a] = id;
    }
    for (const r of writtenRegions) if (!this.ddrShadow.has(r)) this.ddrShadow.set(r, { index: ddr.regions.indexOf(r), chunks: new Map() });
  }

  /** Instruction y reads global bank address g. */
  read(y: number, g: number): void {
    const w = this.lastWriter[g]!;
    if (w >= 0 && w !== y && this.engine[w] !== this.engine[y]) this.check(w, y, 'read-after-write', this.bankOfAddr[g]!, g);
    this.lastReader[g * ENGINE_COUNT + this.engine[y]!] = y;
  }

  /** Instruction y writes global bank address g. */
  write(y: number, g: number): void {
    const ey = this.engine[y]!;
    const w = this.lastWriter[g]!;
    if (w >= 0 && w !== y && this.engine[w] !== ey) this.check(w, y, 'write-after-write', this.bankOfAddr[g]!, g);
    const rb = g * ENGINE_COUNT;
    for (let e = 0; e < ENGINE_COUNT; e++) {
      const r = this.lastReader[rb + e]!;
      if (r >= 0 && e !== ey && r !== y) this.check(r, y, 'write-after-read', this.bankOfAddr[g]!, g);
      this.lastReader[rb + e] = -1;
    }
    this.lastWriter[g] = y;
  }

  /** Instruction y (a LOAD) reads DDR bytes [off, off + n) of region r. */
  ddrRead(y: number, r: DdrRegionImage, off: number, n: number): void {
    const sh = this.ddrShadow.get(r);
    if (!sh) return;
    for (let k = off; k < off + n; ) {
      const c = this.chunk(sh.chunks, k);
      const base = k & ~CHUNK_MASK;
      const stop = Math.min(off + n, base + CHUNK);
      for (; k < stop; k++) {
        const w = c.writer[k - base]!;
        if (w >= 0) this.check(w, y, 'read-after-write', -1 - sh.index, k);
        c.reader[k - base] = y;
      }
    }
  }

  /** Instruction y (a SAVE) writes DDR bytes [off, off + n) of region r. */
  ddrWrite(y: number, r: DdrRegionImage, off: number, n: number): void {
    const sh = this.ddrShadow.get(r);
    if (!sh) return;
    for (let k = off; k < off + n; ) {
      const c = this.chunk(sh.chunks, k);
      const base = k & ~CHUNK_MASK;
      const stop = Math.min(off + n, base + CHUNK);
      for (; k < stop; k++) {
        const rd = c.reader[k - base]!;
        if (rd >= 0) this.check(rd, y, 'write-after-read', -1 - sh.index, k);
        c.reader[k - base] = -1;
        c.writer[k - base] = y;
      }
    }
  }

  private chunk(chunks: Map<number, { writer: Int32Array; reader: Int32Array }>, byte: number): { writer: Int32Array; reader: Int32Array } {
    const key = byte >>> CHUNK_BITS;
    let c = chunks.get(key);
    if (!c) chunks.set(key, (c = { writer: new Int32Array(CHUNK).fill(-1), reader: new Int32Array(CHUNK).fill(-1) }));
    return c;
  }

  private check(x: number, y: number, kind: Kind, space: number, at: number): void {
    if (happensBefore(this.deps, x, y)) return;
    const key = x * this.n + y;
    const c = this.conflicts.get(key);
    const local = space >= 0 ? at - this.banks.addrBase[space]! : at;
    if (c) {
      if (c.space === space) {
        if (local < c.lo) c.lo = local;
        if (local > c.hi) c.hi = local;
        c.count++;
      } else c.otherSpaces++;
      return;
    }
    if (this.conflicts.size >= MAX_PAIRS) return;
    this.conflicts.set(key, { x, y, kind, space, lo: local, hi: local, count: 1, otherSpaces: 0 });
  }

  problems(): SimProblem[] {
    const out: SimProblem[] = [];
    const list = [...this.conflicts.values()].sort((a, b) => a.y - b.y || a.x - b.x);
    for (const c of list) {
      const X = described(this.p, c.x);
      const Y = described(this.p, c.y);
      const ex = engineName(this.engine[c.x]!);
      const ey = engineName(this.engine[c.y]!);
      const range = this.rangeText(c);
      const inverted = happensBefore(this.deps, c.y, c.x);
      if (inverted) {
        const xVerb = c.kind === 'write-after-read' ? 'reads' : 'writes';
        const yVerb = c.kind === 'read-after-write' ? 'reads' : 'writes';
        out.push({
          severity: 'error',
          code: 'order',
          instr: c.y,
          related: [c.x],
          message:
            `${X} ${xVerb} ${range} and ${Y}, later in the program, ${yVerb} it; but the tokens make ${X} wait for ${Y}, ` +
            `so the DPU runs the two in the opposite order to the program (which Xilinx's simulator follows) and computes something else: ` +
            `move ${Y} before ${X}, or change the masks so that ${X} does not wait for it`,
        });
        continue;
      }
      const fix = `make ${Y} (or an earlier ${ey} instruction) wait for a token from ${ex} (dpdon=${ex}) that ${X} or a later ${ex} instruction gives (dpdby=${ey})`;
      const what =
        c.kind === 'read-after-write'
          ? `${Y} reads ${range}, which ${X} writes, and no token orders the two: on the DPU, ${ey} can read before ${ex} has written`
          : c.kind === 'write-after-read'
            ? `${Y} writes ${range}, which ${X} reads, and no token orders the two: on the DPU, ${ey} can overwrite it before ${ex} has read it`
            : `${Y} writes ${range}, which ${X} also writes, and no token orders the two: on the DPU the writes can land in either order`;
      out.push({ severity: 'error', code: 'race', instr: c.y, related: [c.x], message: `data race: ${what}; ${fix}` });
    }
    return out;
  }

  private rangeText(c: Conflict): string {
    const span = c.lo === c.hi ? `${c.lo}` : `${c.lo}..${c.hi}`;
    let s: string;
    if (c.space >= 0) s = `${bankName(this.banks.arch, c.space) ?? `bank ${c.space}`} address${c.lo === c.hi ? '' : 'es'} ${span}`;
    else {
      const r = this.ddr.regions[-1 - c.space]!;
      s = `DDR region ${r.name} byte${c.lo === c.hi ? '' : 's'} ${span}`;
    }
    if (c.otherSpaces > 0) s += ` (and ${c.otherSpaces} more location${c.otherSpaces === 1 ? '' : 's'} in other banks)`;
    return s;
  }
}
