// The memories the functional simulator works on: the on-chip banks of one DPU core and the DDR image.
//
// Banks (N9): each is depth x width bytes, addressed by global bank id; an access of n bytes at address
// a starts at byte (a mod depth) x width and runs on, wrapping modulo the bank's size. Every write
// covers whole addresses (the rest of the last address is zero-filled), so initialization is tracked per
// address: a read of an address no instruction wrote is an error, never silent garbage.
//
// DDR (N7): a byte array per region. Regions are named spans of a base register's address space (the
// program's `.ddr` directives, or a package manifest); every access must lie inside one region. Bytes a
// region starts without (no file, no data) are uninitialized until a SAVE writes them.

import type { Arch } from '../arch/model';
import type { SimRegion } from './program';
import { UserError } from '../util/errors';

export class BankMemory {
  readonly bankCount: number;
  /** Per global bank id: bytes per address, addresses, first byte in `data`, first address in `init`. */
  readonly width: Int32Array;
  readonly depth: Int32Array;
  readonly byteBase: Int32Array;
  readonly addrBase: Int32Array;
  readonly data: Int8Array;
  /** 1 for every address some instruction wrote. */
  readonly init: Uint8Array;
  readonly totalAddresses: number;

  constructor(readonly arch: Arch) {
    const n = arch.bankGroupOf.length;
    this.bankCount = n;
    this.width = new Int32Array(n);
    this.depth = new Int32Array(n);
    this.byteBase = new Int32Array(n);
    this.addrBase = new Int32Array(n);
    let bytes = 0;
    let addrs = 0;
    for (let id = 0; id < n; id++) {
      const g = arch.bankGroupOf[id];
      if (!g) continue;
      this.width[id] = g.width;
      this.depth[id] = g.depth;
      this.byteBase[id] = bytes;
      this.addrBase[id] = addrs;
      bytes += g.width * g.depth;
      addrs += g.depth;
    }
    this.data = new Int8Array(bytes);
    this.init = new Uint8Array(addrs);
    this.totalAddresses = addrs;
  }

  /** Bytes of bank `id` at address `addr` (wrapping), as a copy; for tests and the debugger. */
  read(id: number, addr: number, n: number): Int8Array {
    const out = new Int8Array(n);
    const w = this.width[id]!;
    const size = w * this.depth[id]!;
    const base = this.byteBase[id]!;
    let b = (addr % this.depth[id]!) * w;
    for (let k = 0; k < n; k++) {
      out[k] = this.data[base + b]!;
      if (++b === size) b = 0;
    }
    return out;
  }
}

export interface DdrRegionImage {
  readonly name: string;
  readonly reg: number;
  readonly offset: number;
  readonly size: number;
  readonly data: Int8Array;
  /** Per byte: 1 once written or given; undefined when the whole region started initialized. */
  init: Uint8Array | undefined;
  /** 1-based line of the declaring directive, when known. */
  readonly line?: number;
}

/** The most DDR the functional simulator allocates for a program's regions. */
export const MAX_DDR_BYTES = 1 << 30;

export class DdrImage {
  readonly regions: DdrRegionImage[];
  private readonly byReg: DdrRegionImage[][] = Array.from({ length: 8 }, () => []);

  /** `contents(region)` gives a region's initial bytes (exactly `size` of them) or undefined. Throws a
   * UserError when the regions together exceed MAX_DDR_BYTES. */
  constructor(regions: readonly SimRegion[], contents: (r: SimRegion) => Uint8Array | Int8Array | undefined = () => undefined) {
    const total = regions.reduce((s, r) => s + r.size, 0);
    if (total > MAX_DDR_BYTES)
      throw new UserError(`the program's DDR regions hold ${total} bytes; the functional simulator holds at most ${MAX_DDR_BYTES} (1 GiB): shrink the regions' size=`);
    this.regions = regions.map((r) => {
      const given = contents(r);
      if (given && given.length !== r.size) throw new Error(`DDR region ${r.name}: ${given.length} bytes given for a region of ${r.size}`);
      const data = new Int8Array(r.size);
      if (given) data.set(given instanceof Int8Array ? given : new Int8Array(given.buffer, given.byteOffset, given.length));
      const img: DdrRegionImage = { name: r.name, reg: r.reg, offset: r.offset, size: r.size, data, init: given ? undefined : new Uint8Array(r.size), ...(r.line !== undefined ? { line: r.line } : {}) };
      return img;
    });
    for (const r of this.regions) if (r.reg >= 0 && r.reg < 8) this.byReg[r.reg]!.push(r);
  }

  /** The region of register `reg` holding bytes [addr, addr + n), if one does. */
  find(reg: number, addr: number, n: number): DdrRegionImage | undefined {
    const list = this.byReg[reg];
    if (!list) return undefined;
    for (const r of list) if (addr >= r.offset && addr + n <= r.offset + r.size) return r;
    return undefined;
  }

  /** The region of register `reg` that contains byte `addr`, if one does. */
  containing(reg: number, addr: number): DdrRegionImage | undefined {
    return this.byReg[reg]?.find((r) => addr >= r.offset && addr < r.offset + r.size);
  }

  regionsOf(reg: number): readonly DdrRegionImage[] {
    return this.byReg[reg] ?? [];
  }

  byName(name: string): DdrRegionImage | undefined {
    return this.regions.find((r) => r.name === name);
  }
}
