// The bank and DDR contents of one simulated core at any point of the trace, forward and back.
//
// A core's functional machine executes the core's events in time order (local position j = its first
// j events done). Going forward executes instructions. Going back uses, in this order:
//   1. the undo log: before every write the machine tells us (WriteObserver), we keep the old bytes, so
//      undoing an instruction costs what it wrote; the log is memory-bounded and loses its oldest
//      records first;
//   2. checkpoints: full copies of the banks and of the DDR regions some SAVE writes (the others never
//      change), taken while executing new ground every `spacing` of estimated work, at most half the
//      memory budget (past it, every other one is dropped and the spacing doubles);
//   then executes forward from the checkpoint. The first checkpoint is the initial state.
//
// The machine runs without the race checker (a replay would look like races to it); the session's
// program-order check (session.ts) is the one that looks for races.

import { FunctionalMachine, type MachineRegisters } from '../sim/functional';
import { SAVE } from '../sim/fields';
import type { DdrImage, DdrRegionImage } from '../sim/memory';
import type { SimProblem, SimProgram } from '../sim/program';

interface UndoRecord {
  readonly regs: MachineRegisters;
  readonly addrs: Int32Array;
  readonly old: Int8Array;
  readonly oldInit: Uint8Array;
  readonly ddr: readonly { readonly region: DdrRegionImage; readonly off: number; readonly data: Int8Array; readonly init: Uint8Array | undefined }[];
  readonly bytes: number;
}

interface Checkpoint {
  readonly pos: number;
  readonly regs: MachineRegisters;
  readonly data: Int8Array;
  readonly init: Uint8Array;
  readonly ddr: readonly { readonly data: Int8Array; readonly init: Uint8Array | undefined }[];
}

export interface WriteHits {
  /** Global bank addresses (BankMemory address index) written that are watched. */
  readonly bank: number[];
  /** Watched DDR bytes written: region index and byte range. */
  readonly ddr: { readonly region: number; readonly lo: number; readonly hi: number }[];
}

export interface DdrWatch {
  readonly region: number;
  readonly lo: number;
  readonly hi: number;
}

export interface CoreMemoryOptions {
  /** Bytes for the undo log and the checkpoints together. */
  readonly budgetBytes: number;
  /** Estimated work of an instruction (about nanoseconds of execution). */
  readonly work: (instr: number) => number;
  /** A problem the machine found while executing new ground (in time order). */
  readonly onProblem?: (p: SimProblem) => void;
  /** Initial spacing of checkpoints in work units (default 10 M, about 10 ms of execution). */
  readonly spacing?: number;
}

export class CoreMemory {
  readonly machine: FunctionalMachine;
  /** Events of this core done. */
  pos = 0;
  /** The furthest position executed so far. */
  frontier = 0;
  private readonly undo: UndoRecord[] = [];
  private undoHead = 0;
  private undoBytes = 0;
  private readonly checkpoints: Checkpoint[] = [];
  private spacing: number;
  private workSince = 0;
  private readonly written: DdrRegionImage[];
  private readonly cpBytes: number;
  // Scratch for the record of the instruction being executed.
  private addrs = new Int32Array(1024);
  private old = new Int8Array(1024 * 16);
  private oldInit = new Uint8Array(1024);
  private nAddr = 0;
  private ddrOld: { region: DdrRegionImage; off: number; data: Int8Array; init: Uint8Array | undefined }[] = [];
  private readonly width: number;
  private watchMask: Uint8Array | undefined;
  private ddrWatch: readonly DdrWatch[] = [];
  private hitBank: number[] = [];
  private hitDdr: { region: number; lo: number; hi: number }[] = [];

  constructor(
    readonly program: SimProgram,
    readonly ddr: DdrImage,
    /** The instruction of this core's j-th event. */
    private readonly instrAt: (local: number) => number,
    private readonly options: CoreMemoryOptions,
  ) {
    this.machine = new FunctionalMachine(program, ddr, { maxProblems: Infinity, checkRaces: false });
    const banks = this.machine.banks;
    let w = 1;
    for (let id = 0; id < banks.bankCount; id++) w = Math.max(w, banks.width[id]!);
    this.width = w;
    const written = new Set<DdrRegionImage>();
    for (let i = 0; i < program.count; i++) {
      const ins = program.instrs[i]!;
      if (ins.spec.mnemonic !== 'SAVE') continue;
      const r = ddr.containing(ins.values[SAVE.reg_id]!, ins.values[SAVE.ddr_addr]!);
      if (r) written.add(r);
    }
    this.written = [...written];
    this.cpBytes = banks.data.length + banks.init.length + this.written.reduce((s, r) => s + r.size * (r.init ? 2 : 1), 0) + 256;
    this.spacing = options.spacing ?? 10e6;
    this.checkpoints.push(this.snapshot());
    const banksRef = banks;
    const ws = this.width;
    this.machine.observer = {
      bank: (_i, g) => {
        if (this.nAddr === this.addrs.length) this.grow();
        const n = this.nAddr++;
        this.addrs[n] = g;
        this.oldInit[n] = banksRef.init[g]!;
        // The bank's bytes at this address (the global address maps to a bank; its width may be smaller).
        const id = this.bankOfAddr(g);
        const bw = banksRef.width[id]!;
        const src = banksRef.byteBase[id]! + (g - banksRef.addrBase[id]!) * bw;
        this.old.set(banksRef.data.subarray(src, src + bw), n * ws);
        if (this.watchMask !== undefined && this.watchMask[g] === 1 && this.hitBank.length < 4096) this.hitBank.push(g);
      },
      ddr: (_i, region, off, n) => {
        this.ddrOld.push({ region, off, data: region.data.slice(off, off + n), init: region.init ? region.init.slice(off, off + n) : undefined });
        for (const w of this.ddrWatch) {
          if (this.ddr.regions[w.region] !== region) continue;
          const lo = Math.max(w.lo, off);
          const hi = Math.min(w.hi, off + n);
          if (lo < hi) this.hitDdr.push({ region: w.region, lo, hi });
        }
      },
    };
  }

  private bankIds: Int32Array | undefined;
  /** The bank id of a global address. */
  bankOfAddr(g: number): number {
    if (!this.bankIds) {
      const b = this.machine.banks;
      this.bankIds = new Int32Array(b.totalAddresses);
      for (let id = 0; id < b.bankCount; id++) this.bankIds.fill(id, b.addrBase[id]!, b.addrBase[id]! + b.depth[id]!);
    }
    return this.bankIds[g]!;
  }

  private grow(): void {
    const n = this.addrs.length * 2;
    const a = new Int32Array(n);
    a.set(this.addrs);
    this.addrs = a;
    const o = new Int8Array(n * this.width);
    o.set(this.old);
    this.old = o;
    const i = new Uint8Array(n);
    i.set(this.oldInit);
    this.oldInit = i;
  }

  /** Watch bank addresses (a mask over global addresses) and DDR ranges for writes. */
  setWatch(mask: Uint8Array | undefined, ddr: readonly DdrWatch[]): void {
    this.watchMask = mask;
    this.ddrWatch = ddr;
  }

  get undoDepth(): number {
    return this.undo.length - this.undoHead;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }

  /** Bytes held by the undo log and the checkpoints. */
  get memoryBytes(): number {
    return this.undoBytes + this.checkpoints.length * this.cpBytes;
  }

  /** Execute this core's next event; returns the watched writes it made. */
  forward(): WriteHits {
    const i = this.instrAt(this.pos);
    const m = this.machine;
    const fresh = this.pos === this.frontier;
    const regs = m.saveRegisters();
    const problemsBefore = m.problems.length;
    this.nAddr = 0;
    this.ddrOld = [];
    this.hitBank = [];
    this.hitDdr = [];
    m.execute(i);
    const n = this.nAddr;
    const ddrBytes = this.ddrOld.reduce((s, d) => s + d.data.length * 2, 0);
    const rec: UndoRecord = {
      regs,
      addrs: this.addrs.slice(0, n),
      old: this.old.slice(0, n * this.width),
      oldInit: this.oldInit.slice(0, n),
      ddr: this.ddrOld,
      bytes: n * (5 + this.width) + ddrBytes + 200,
    };
    this.undo.push(rec);
    this.undoBytes += rec.bytes;
    const budget = this.options.budgetBytes / 2;
    while (this.undoBytes > budget && this.undoHead < this.undo.length) {
      this.undoBytes -= this.undo[this.undoHead]!.bytes;
      this.undo[this.undoHead++] = undefined as unknown as UndoRecord;
    }
    if (this.undoHead > 4096 && this.undoHead * 2 > this.undo.length) {
      this.undo.splice(0, this.undoHead);
      this.undoHead = 0;
    }
    this.pos++;
    if (fresh) {
      this.frontier = this.pos;
      for (let k = problemsBefore; k < m.problems.length; k++) this.options.onProblem?.(m.problems[k]!);
      this.workSince += this.options.work(i);
      if (this.workSince >= this.spacing) {
        this.workSince = 0;
        this.checkpoints.push(this.snapshot());
        this.thin();
      }
    }
    return { bank: this.hitBank, ddr: this.hitDdr };
  }

  /** Undo this core's last event. */
  private back(): void {
    const rec = this.undo.pop()!;
    const b = this.machine.banks;
    for (let k = rec.ddr.length - 1; k >= 0; k--) {
      const d = rec.ddr[k]!;
      d.region.data.set(d.data, d.off);
      if (d.init && d.region.init) d.region.init.set(d.init, d.off);
    }
    const w = this.width;
    for (let k = rec.addrs.length - 1; k >= 0; k--) {
      const g = rec.addrs[k]!;
      const id = this.bankOfAddr(g);
      const bw = b.width[id]!;
      b.data.set(rec.old.subarray(k * w, k * w + bw), b.byteBase[id]! + (g - b.addrBase[id]!) * bw);
      b.init[g] = rec.oldInit[k]!;
    }
    this.machine.restoreRegisters(rec.regs);
    this.undoBytes -= rec.bytes;
    this.pos--;
  }

  private snapshot(): Checkpoint {
    const b = this.machine.banks;
    return {
      pos: this.pos,
      regs: this.machine.saveRegisters(),
      data: b.data.slice(),
      init: b.init.slice(),
      ddr: this.written.map((r) => ({ data: r.data.slice(), init: r.init ? r.init.slice() : undefined })),
    };
  }

  private restore(cp: Checkpoint): void {
    const b = this.machine.banks;
    b.data.set(cp.data);
    b.init.set(cp.init);
    this.written.forEach((r, k) => {
      const d = cp.ddr[k]!;
      r.data.set(d.data);
      if (d.init && r.init) r.init.set(d.init);
    });
    this.machine.restoreRegisters(cp.regs);
    this.pos = cp.pos;
    this.undo.length = 0;
    this.undoHead = 0;
    this.undoBytes = 0;
  }

  /** Past half the budget, keep the initial checkpoint and every other later one; double the spacing. */
  private thin(): void {
    const budget = this.options.budgetBytes / 2;
    while (this.checkpoints.length > 2 && this.checkpoints.length * this.cpBytes > budget) {
      const kept = this.checkpoints.filter((_, k) => k === 0 || k % 2 === 0 || k === this.checkpoints.length - 1);
      this.checkpoints.length = 0;
      this.checkpoints.push(...kept);
      this.spacing *= 2;
    }
  }

  /** Move to local position `target` (0..this core's events). */
  moveTo(target: number): void {
    if (target === this.pos) return;
    if (target < this.pos) {
      if (target >= this.pos - this.undoDepth) {
        while (this.pos > target) this.back();
        return;
      }
      this.restore(this.checkpointAtOrBefore(target));
    } else {
      const cp = this.checkpointAtOrBefore(target);
      if (cp.pos > this.pos) this.restore(cp);
    }
    while (this.pos < target) this.forward();
  }

  private checkpointAtOrBefore(pos: number): Checkpoint {
    let lo = 0;
    let hi = this.checkpoints.length;
    while (lo + 1 < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.checkpoints[mid]!.pos <= pos) lo = mid;
      else hi = mid;
    }
    return this.checkpoints[lo]!;
  }
}
