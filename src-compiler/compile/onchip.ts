// On-chip layout of feature maps: ring buffers of rows in an image bank group.
//
// The layout is the one the DPU's engines walk (isa-fields.md, "On-chip data layout"; docs/compiler.md):
// with `stride` rows per bank, image row y belongs to row block q = floor(y / stride), which lives in
// bank q mod PP of the group, address group floor(q / PP), slot y mod stride. A pixel holds `cg`
// consecutive addresses (cg channel groups of ICP bytes). An address group occupies stride x rowAddrs
// addresses of every bank, and a ring keeps `groups` of them: address group g sits at
//   base + (g mod groups) x stride x rowAddrs,
// so rows stream through the banks while only a few address groups are live. The engines reach row
// blocks of later address groups through the four base addresses of a CONV/POOL/DPTWISE (bank walk)
// or through `jump_read_endl` steps (ELEW), which is why a tile never makes an ELEW step across the
// ring's end (tiles are aligned so that they stay inside one address group).

import type { Arch, BankGroup } from '../arch/model';

export function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

export interface Ring {
  /** Unique within a compilation: names the ring's dependency keys. */
  readonly id: number;
  readonly name: string;
  readonly group: BankGroup;
  /** First address in every bank of the group. */
  readonly base: number;
  /** Addresses per stored row: columns x cg. */
  readonly rowAddrs: number;
  /** Rows per bank in an address group (the consumer's vertical stride). */
  readonly stride: number;
  /** Address groups the ring holds. */
  readonly groups: number;
  /** Channel groups per pixel (addresses per pixel). */
  readonly cg: number;
  /** Image column stored at column 0 of a row (column strips store a window of the image). */
  readonly x0: number;
  /** Addresses the ring occupies in each bank. */
  readonly size: number;
  /**
   * Address group of image row 0. A ring that is filled again from row 0 (the next column strip, the
   * next weight pass) continues after the group its previous fill ended in, so that its first rows
   * land in slots the previous fill's last reads do not hold and the LOAD engine can run ahead.
   */
  readonly phase: number;
}

export function makeRing(id: number, name: string, group: BankGroup, base: number, columns: number, cg: number, stride: number, groups: number, x0: number, phase = 0): Ring {
  const rowAddrs = columns * cg;
  return { id, name, group, base, rowAddrs, stride, groups, cg, x0, size: groups * stride * rowAddrs, phase };
}

/** Row block, bank (global id), address group and slot of image row y. */
export function rowPlace(r: Ring, pp: number, y: number): { bank: number; group: number; slot: number; bankIndex: number } {
  const q = Math.floor(y / r.stride);
  const bankIndex = mod(q, pp);
  return { bank: r.group.baseId + bankIndex, group: Math.floor(q / pp) + r.phase, slot: y - q * r.stride, bankIndex };
}

/** Address (mod depth) of pixel x of row y's slot in address group `g` (x may be negative: padding). */
export function groupAddr(r: Ring, depth: number, g: number): number {
  return mod(r.base + mod(g, r.groups) * r.stride * r.rowAddrs, depth);
}

export function pixelAddr(r: Ring, depth: number, y: number, x: number, pp: number): { bank: number; addr: number } {
  const p = rowPlace(r, pp, y);
  return { bank: p.bank, addr: mod(groupAddr(r, depth, p.group) + p.slot * r.rowAddrs + (x - r.x0) * r.cg, depth) };
}

/** The bank walk of an input tile whose first row is y0 (may be negative) and first column x: the
 * first bank, the slot, and the four address-group bases (bank_addr_in, _in_1, _in_2, _in_3). */
export function walk(r: Ring, arch: Arch, y0: number, x: number): { bank: number; slot: number; bases: [number, number, number, number] } {
  const pp = arch.dpu.pp;
  const depth = arch.dpu.bankDepth;
  const p = rowPlace(r, pp, y0);
  const off = (x - r.x0) * r.cg;
  const bases = [0, 1, 2, 3].map((k) => mod(groupAddr(r, depth, p.group + k) + off, depth)) as [number, number, number, number];
  return { bank: p.bank, slot: p.slot, bases };
}

/** Dependency keys of the bank rows holding image rows [y0, y1): one per row place (address group,
 * bank, slot), so that loading a row never waits for readers of the other rows sharing its bank. */
export function rowKeys(r: Ring, pp: number, y0: number, y1: number): string[] {
  const keys = new Set<string>();
  for (let y = y0; y < y1; y++) {
    const p = rowPlace(r, pp, y);
    keys.add(`r${r.id}:${mod(p.group, r.groups)}:${p.bankIndex}:${p.slot}`);
  }
  return [...keys];
}

/** Address groups touched by rows [y0, y1) (y0 < y1). */
export function groupSpan(stride: number, pp: number, y0: number, y1: number): number {
  const g0 = Math.floor(Math.floor(y0 / stride) / pp);
  const g1 = Math.floor(Math.floor((y1 - 1) / stride) / pp);
  return g1 - g0 + 1;
}

/**
 * Address space of one bank group during one fusion group: rings get disjoint ranges, and a new group
 * prefers addresses the previous group did not use, so that its first loads can overlap the previous
 * group's last computations (the dependency keys still order any overlap that remains).
 */
export class BankSpace {
  private used: [number, number][] = [];
  private previous: [number, number][] = [];
  /** Ranges no allocation may touch: another fusion group's, while two independent groups are
   * generated to run at the same time (parallel.ts). */
  private reserved: [number, number][] = [];
  /** Every range allocated since `startLog` (weight passes forget their earlier ranges; this does not). */
  private log: [number, number][] | undefined;
  constructor(readonly depth: number) {}

  /** Start a new fusion group: what the last one used becomes "previous". */
  nextGroup(): void {
    this.previous = this.used;
    this.used = [];
  }

  /** The lowest free start for `size` addresses, avoiding the previous group's ranges when possible. */
  allocate(size: number): number | undefined {
    const clash = (start: number, list: [number, number][]) => list.some(([a, b]) => start < b && a < start + size);
    const fits = (start: number, avoid: [number, number][]) => start + size <= this.depth && !clash(start, this.used) && !clash(start, this.reserved) && !clash(start, avoid);
    const starts = [0, ...this.used.map(([, b]) => b), ...this.previous.map(([, b]) => b), ...this.reserved.map(([, b]) => b)].sort((a, b) => a - b);
    for (const avoid of [this.previous, []]) {
      for (const s of starts)
        if (fits(s, avoid)) {
          this.used.push([s, s + size]);
          this.log?.push([s, s + size]);
          return s;
        }
    }
    return undefined;
  }

  /**
   * Places several ranges as one contiguous block (no fragmentation inside a group): at a start that
   * avoids the previous group's ranges when there is one, else at the lowest start that fits.
   */
  allocateAll(sizes: readonly number[]): number[] | undefined {
    const total = sizes.reduce((a, b) => a + b, 0);
    const start = this.allocate(total);
    if (start === undefined) return undefined;
    const out: number[] = [];
    let at = start;
    for (const size of sizes) {
      out.push(at);
      at += size;
    }
    return out;
  }

  /** Ranges the previous group used that overlap [start, start + size). */
  overlapsPrevious(start: number, size: number): boolean {
    return this.previous.some(([a, b]) => start < b && a < start + size);
  }

  free(): number {
    return this.depth - this.used.reduce((s, [a, b]) => s + b - a, 0);
  }

  /** The most addresses one allocation can get: the longest run free of reserved ranges. Planning
   * sizes its rings and weight passes to this, not to the bank depth. */
  capacity(): number {
    let best = 0;
    let at = 0;
    for (const [a, b] of [...this.reserved].sort((x, y) => x[0] - y[0])) {
      best = Math.max(best, a - at);
      at = Math.max(at, b);
    }
    return Math.max(best, this.depth - at);
  }

  /** Record every allocation from now on (`takeLog` returns them). */
  startLog(): void {
    this.log = [];
  }

  takeLog(): [number, number][] {
    const l = this.log ?? [];
    this.log = undefined;
    return l;
  }

  /** Forbid these ranges to every allocation until `reserve([])`. */
  reserve(ranges: readonly [number, number][]): void {
    this.reserved = ranges.map(([a, b]) => [a, b]);
  }

  /** Count these ranges as used by the current group (the next group avoids them when it can). */
  addUsed(ranges: readonly [number, number][]): void {
    for (const [a, b] of ranges) if (!this.used.some(([x, y]) => x === a && y === b)) this.used.push([a, b]);
  }
}
