// The bit-exact functional simulator: executes a program in program order, as Xilinx's DPUV2 simulator
// does, on the banks of one DPU core and a DDR image. isa-fields.md "Numerics and data movement"
// (N1-N9) is the specification; docs/numerics.md explains it; each method cites the rule it follows.
//
// Nothing is silent: an access to a bank the architecture lacks or the engine may not use, a DDR access
// outside every region, a read of a bank address or DDR byte nothing wrote, and a race between engines
// (races.ts) each become an error naming the instruction and the location. After an error the run goes
// on, so that one run reports the problems of the whole program, up to `maxProblems`.

import type { BankRole } from '../isa/table';
import { bankName } from '../arch/model';
import { CancelledError } from '../util/errors';
import { analyzeDependencies, type DepAnalysis } from './deps';
import { CONV, CONVINIT, DPTWISE, DWINIT, ELEW, ELEWINIT, LOAD, POOL, POOLINIT, SAVE } from './fields';
import { BankMemory, type DdrImage, type DdrRegionImage } from './memory';
import { ACT_LEAKY, ACT_NONE, ACT_RELU, ACT_RELU6, avgFactor, convOut, elewIn, elewOut, int8, poolOut } from '../isa/numerics';
import { described, where, type ProblemCode, type SimProblem, type SimProgram } from './program';
import { RaceChecker } from './races';
import { convMacs, convMacsPacked, MAX_PACKED_TERMS, packWeightPairs, widenTile } from './conv-macs';

export interface FunctionalOptions {
  /** Check races and order inversions between engines (default true). */
  readonly checkRaces?: boolean;
  /** Stop after this many errors (default 50). */
  readonly maxProblems?: number;
  /** Checked between instructions; return true to abandon the run (throws CancelledError). */
  readonly isCancelled?: () => boolean;
}

export interface FunctionalResult {
  /** No errors. */
  readonly ok: boolean;
  readonly problems: SimProblem[];
  /** Instructions executed. */
  readonly executed: number;
  /** MACs of CONV and DPTWISE over valid output rows. */
  readonly macs: number;
  readonly banks: BankMemory;
  readonly ddr: DdrImage;
}

/** Execute the whole program on `ddr` (which it updates) and fresh banks. */
export function runFunctional(p: SimProgram, ddr: DdrImage, options: FunctionalOptions = {}): FunctionalResult {
  const m = new FunctionalMachine(p, ddr, options);
  while (m.step()) {
    /* one instruction per step */
  }
  return m.result();
}

/** Thrown inside an instruction that cannot go on; the machine records it and moves to the next one. */
class Abort extends Error {}

const ACTIVATIONS = new Set([ACT_NONE, ACT_RELU, ACT_LEAKY, ACT_RELU6]);

/** The largest input tile (or eltwise block) an instruction may gather, in image bank groups: a walk
 * reaches at most 4 address groups of PP banks without re-reading wrapped addresses, and padding adds
 * a little. Beyond this, field values describe no real program and would only exhaust memory. */
const MAX_TILE_GROUPS = 8;

export interface ElewInput {
  readonly instr: number;
  readonly v: readonly number[];
}

/**
 * Told before every write, for a debugger: its undo log copies what is about to be overwritten, and its
 * data breakpoints see which instruction writes where. `bank` gets the global address index (as in
 * BankMemory.init: addrBase[bank] + address), `ddr` a byte range of a region's data.
 */
export interface WriteObserver {
  bank(instr: number, globalAddr: number): void;
  ddr(instr: number, region: DdrRegionImage, offset: number, bytes: number): void;
}

/**
 * The machine's state besides bank and DDR contents: the latest INITs, the ELEWINIT queue and the
 * counters. With the memories, it is all that decides what the next instruction computes.
 */
export interface MachineRegisters {
  readonly pc: number;
  readonly executed: number;
  readonly macs: number;
  readonly problems: number;
  readonly errors: number;
  readonly convInit: readonly number[] | undefined;
  readonly poolInit: readonly number[] | undefined;
  readonly dwInit: readonly number[] | undefined;
  readonly elewQueue: readonly ElewInput[];
  readonly uninitReported: number;
  readonly emptyRegionsReported: readonly DdrRegionImage[];
}

/**
 * The machine state between instructions, for the runner above and for a debugger that steps: `pc`
 * is the next instruction; `banks` and `ddr` are live.
 */
export class FunctionalMachine {
  readonly banks: BankMemory;
  pc = 0;
  executed = 0;
  macs = 0;
  readonly problems: SimProblem[] = [];
  private errors = 0;
  private readonly maxProblems: number;
  private readonly races?: RaceChecker;
  /** Told before every bank and DDR write (a debugger's undo log and data breakpoints). */
  observer: WriteObserver | undefined;
  private readonly deps: DepAnalysis;
  private convInit?: readonly number[];
  private poolInit?: readonly number[];
  private dwInit?: readonly number[];
  private readonly elewQueue: ElewInput[] = [];
  /** Uninitialized reads already reported for the current instruction (one per instruction). */
  private uninitReported = -1;
  private readonly emptyRegionsReported = new Set<DdrRegionImage>();
  private readonly pp: number;
  private readonly icp: number;
  private readonly maxTile: number;
  private readonly ocp: number;
  private readonly convW: { baseId: number; count: number };
  private readonly dwW: number;
  private readonly bias: number;
  // Grow-only scratch buffers, always Int8Array so that the MAC loops stay monomorphic.
  private tile = new Int8Array(4096);
  private wbuf = new Int8Array(4096);
  private obuf = new Int8Array(4096);
  private bbuf = new Int8Array(256);
  private pix = new Int8Array(256);
  private acc = new Float64Array(4096);
  // CONV's packed weight pairs and its tile as doubles (conv-macs.ts).
  private packedW = new Float64Array(4096);
  private tileF = new Float64Array(4096);

  constructor(
    readonly program: SimProgram,
    readonly ddr: DdrImage,
    private readonly options: FunctionalOptions = {},
  ) {
    const { arch } = program;
    this.banks = new BankMemory(arch);
    this.pp = arch.dpu.pp;
    this.icp = arch.dpu.icp;
    this.ocp = arch.dpu.ocp;
    this.maxTile = MAX_TILE_GROUPS * arch.derived.imageGroupBytes;
    this.maxProblems = options.maxProblems ?? 50;
    const group = (role: BankRole) => arch.bankGroups.find((g) => g.role === role);
    const cw = group('convWeights');
    this.convW = { baseId: cw?.baseId ?? -1, count: cw?.count ?? 0 };
    this.dwW = group('dwWeights')?.baseId ?? -1;
    this.bias = group('bias')?.baseId ?? -1;
    this.deps = analyzeDependencies(program, { vectorClocks: options.checkRaces !== false });
    for (const pr of this.deps.problems) this.add(pr);
    if (options.checkRaces !== false && this.deps.complete) this.races = new RaceChecker(program, this.deps, this.banks, ddr, this.savedRegions());
  }

  /** Execute the instruction at pc. Returns false when the program is over (or stopped). */
  step(): boolean {
    const p = this.program;
    if (this.pc >= p.count || this.errors >= this.maxProblems) return false;
    if (this.options.isCancelled && (this.pc & 63) === 0 && this.options.isCancelled()) throw new CancelledError();
    this.execute(this.pc++);
    return this.pc < p.count && this.errors < this.maxProblems;
  }

  /**
   * Execute instruction `i` now, whatever pc is (pc does not move): a debugger runs the instructions in
   * the order the timing simulation starts them. The caller keeps each engine's instructions in program
   * order (INIT state and the ELEWINIT queue belong to their engine) and every token taker after its
   * giver. (A machine that executes an instruction twice, as a debugger replaying from a checkpoint
   * does, runs without the race checker: it would take the replay for races.)
   */
  execute(i: number): void {
    const p = this.program;
    if (i < 0 || i >= p.count) throw new RangeError(`instruction ${i} is outside the program (0..${p.count - 1})`);
    const ins = p.instrs[i]!;
    const v = ins.values;
    try {
      switch (ins.spec.mnemonic) {
        case 'LOAD':
          this.load(i, v);
          break;
        case 'SAVE':
          this.save(i, v);
          break;
        case 'CONVINIT':
          this.convInit = v;
          break;
        case 'CONV':
          this.conv(i, v);
          break;
        case 'POOLINIT':
          this.poolInit = v;
          break;
        case 'POOL':
          this.pool(i, v);
          break;
        case 'DWINIT':
          this.dwInit = v;
          break;
        case 'DPTWISE':
          this.dptwise(i, v);
          break;
        case 'ELEWINIT':
          this.elewQueue.push({ instr: i, v });
          break;
        case 'ELEW':
          this.elew(i, v);
          break;
        case 'END':
          break;
      }
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
    }
    this.executed++;
  }

  /** The state besides the memories, to restore with restoreRegisters (the arrays are not copied:
   * the machine never changes an INIT's values in place). */
  saveRegisters(): MachineRegisters {
    return {
      pc: this.pc,
      executed: this.executed,
      macs: this.macs,
      problems: this.problems.length,
      errors: this.errors,
      convInit: this.convInit,
      poolInit: this.poolInit,
      dwInit: this.dwInit,
      elewQueue: [...this.elewQueue],
      uninitReported: this.uninitReported,
      emptyRegionsReported: [...this.emptyRegionsReported],
    };
  }

  /** Back to saved registers; problems found since are dropped. The caller restores the memories. */
  restoreRegisters(r: MachineRegisters): void {
    this.pc = r.pc;
    this.executed = r.executed;
    this.macs = r.macs;
    this.problems.length = Math.min(this.problems.length, r.problems);
    this.errors = r.errors;
    this.convInit = r.convInit;
    this.poolInit = r.poolInit;
    this.dwInit = r.dwInit;
    this.elewQueue.length = 0;
    this.elewQueue.push(...r.elewQueue);
    this.uninitReported = r.uninitReported;
    this.emptyRegionsReported.clear();
    for (const x of r.emptyRegionsReported) this.emptyRegionsReported.add(x);
  }

  result(): FunctionalResult {
    const problems = [...this.problems];
    if (this.races) problems.push(...this.races.problems());
    if (this.errors >= this.maxProblems && this.pc < this.program.count)
      problems.push({ severity: 'warning', code: 'limit', instr: this.pc - 1, message: `stopped after ${this.errors} errors; fix these and run again for the rest` });
    problems.sort((a, b) => (a.instr < 0 ? -1 : b.instr < 0 ? 1 : a.instr - b.instr));
    return { ok: !problems.some((x) => x.severity === 'error'), problems, executed: this.executed, macs: this.macs, banks: this.banks, ddr: this.ddr };
  }

  // ---- Problems ---------------------------------------------------------------------------------

  private add(pr: SimProblem): void {
    this.problems.push(pr);
    if (pr.severity === 'error') this.errors++;
  }

  private fail(i: number, code: ProblemCode, message: string): never {
    this.add({ severity: 'error', code, instr: i, message: `${described(this.program, i)}: ${message}` });
    throw new Abort();
  }

  private uninitialized(i: number, bank: number, addr: number): void {
    if (this.uninitReported === i) return;
    this.uninitReported = i;
    this.add({
      severity: 'error',
      code: 'uninitialized',
      instr: i,
      message:
        `${described(this.program, i)} reads ${this.bankText(bank)} address ${addr}, which no instruction before it in program order wrote: ` +
        'load the data first, or fix the addresses (a read of an unwritten address would compute garbage on the DPU)',
    });
  }

  private bankText(id: number): string {
    return bankName(this.program.arch, id) ?? `bank ${id}`;
  }

  /** Check that `id` is a bank of the architecture with a role in `roles`. */
  private bankOf(i: number, field: string, id: number, roles: readonly BankRole[]): void {
    const g = this.program.arch.bankGroupOf[id];
    if (!g) this.fail(i, 'bank', `${field}=${id} is not a bank of ${this.program.arch.name}: use one of ${this.program.arch.bankGroups.map((b) => `${b.name} (${b.baseId}..${b.baseId + b.count - 1})`).join(', ')}`);
    else if (!roles.includes(g.role)) this.fail(i, 'bank', `${field}=${bankName(this.program.arch, id)} is a ${g.role} bank; this engine needs ${roles.join(' or ')} here`);
  }

  // ---- Bank access --------------------------------------------------------------------------------

  /**
   * Copy n bytes of bank `id` from address `addr` on (wrapping, N9) into dst[off..]. The addresses that
   * hold the first `need` bytes must have been written.
   */
  private readBytes(i: number, id: number, addr: number, n: number, dst: Int8Array, off: number, need: number): void {
    const b = this.banks;
    const w = b.width[id]!;
    const depth = b.depth[id]!;
    const bb = b.byteBase[id]!;
    const ab = b.addrBase[id]!;
    const data = b.data;
    const init = b.init;
    const races = this.races;
    const a0 = addr % depth;
    let a = a0;
    for (let k = 0; k < n; k += w) {
      const g = ab + a;
      if (k < need && init[g] === 0) this.uninitialized(i, id, a);
      if (races) races.read(i, g);
      a = a + 1 === depth ? 0 : a + 1;
    }
    // The bytes: consecutive addresses are consecutive in the bank's data, up to the last address.
    const first = Math.min(n, (depth - a0) * w);
    dst.set(data.subarray(bb + a0 * w, bb + a0 * w + first), off);
    if (first < n) dst.set(data.subarray(bb, bb + n - first), off + first);
  }

  /** Write n bytes from src[off..] to bank `id` at `addr` on, zero-filling the rest of the last address (N9). */
  private writeBytes(i: number, id: number, addr: number, src: Int8Array, off: number, n: number): void {
    const b = this.banks;
    const w = b.width[id]!;
    const depth = b.depth[id]!;
    const bb = b.byteBase[id]!;
    const ab = b.addrBase[id]!;
    const data = b.data;
    const races = this.races;
    const observer = this.observer;
    const a0 = addr % depth;
    let a = a0;
    let addrs = 0;
    for (let k = 0; k < n; k += w) {
      const g = ab + a;
      if (observer) observer.bank(i, g);
      if (races) races.write(i, g);
      b.init[g] = 1;
      addrs++;
      a = a + 1 === depth ? 0 : a + 1;
    }
    // The bytes, then zeros to the end of the last address; consecutive addresses are consecutive in
    // the bank's data up to its last address.
    const bytes = addrs * w;
    const first = Math.min(bytes, (depth - a0) * w);
    const copy1 = Math.min(n, first);
    data.set(src.subarray(off, off + copy1), bb + a0 * w);
    data.fill(0, bb + a0 * w + copy1, bb + a0 * w + first);
    if (first < bytes) {
      const copy2 = n - copy1;
      data.set(src.subarray(off + copy1, off + copy1 + copy2), bb);
      data.fill(0, bb + copy2, bb + bytes - first);
    }
  }

  private checkFits(i: number, id: number, bytes: number, what: string): void {
    const size = this.banks.width[id]! * this.banks.depth[id]!;
    if (bytes > size) this.fail(i, 'bank', `${what} of ${bytes} bytes is larger than ${this.bankText(id)} (${size} bytes) and would overwrite itself`);
  }

  // ---- DDR access ---------------------------------------------------------------------------------

  private ddrRegion(i: number, reg: number, addr: number, span: number, verb: string): DdrRegionImage {
    const r = this.ddr.find(reg, addr, span);
    if (r) return r;
    const inReg = this.ddr.regionsOf(reg);
    const have = inReg.length ? `reg ${reg} has ${inReg.map((x) => `${x.name} [0x${x.offset.toString(16)}, 0x${(x.offset + x.size).toString(16)})`).join(', ')}` : `reg ${reg} has no region`;
    this.add({
      severity: 'error',
      code: 'ddr-region',
      instr: i,
      message:
        `${described(this.program, i)} ${verb} DDR reg ${reg} bytes [0x${addr.toString(16)}, 0x${(addr + span).toString(16)}), which is not inside one region (${have}): ` +
        'fix ddr_addr, length, the jump or channel, or declare the region',
    });
    throw new Abort();
  }

  private savedRegions(): DdrRegionImage[] {
    const out = new Set<DdrRegionImage>();
    const p = this.program;
    for (let i = 0; i < p.count; i++) {
      const ins = p.instrs[i]!;
      if (ins.spec.mnemonic !== 'SAVE') continue;
      const r = this.ddr.containing(ins.values[SAVE.reg_id]!, ins.values[SAVE.ddr_addr]!);
      if (r) out.add(r);
    }
    return [...out];
  }

  // ---- LOAD and SAVE (N7) -------------------------------------------------------------------------

  private load(i: number, v: readonly number[]): void {
    const bankId = v[LOAD.bank_id]!;
    this.bankOf(i, 'bank_id', bankId, ['image', 'convWeights', 'dwWeights', 'bias']);
    if (v[LOAD.mode_avg] !== 0)
      this.fail(i, 'unsupported', `mode_avg=${v[LOAD.mode_avg]} asks for mean-value reduction, which needs a mean-value bank; ${this.program.arch.name} has none: set mode_avg=0 and subtract the mean elsewhere`);
    const len = v[LOAD.length]!;
    const ch = v[LOAD.channel]!;
    const jr = v[LOAD.jump_read]!;
    const jw = v[LOAD.jump_write]!;
    const reg = v[LOAD.reg_id]!;
    const ddrAddr = v[LOAD.ddr_addr]!;
    const region = this.ddrRegion(i, reg, ddrAddr, (len - 1) * jr + ch, 'reads');
    const w = this.banks.width[bankId]!;
    const run = Math.ceil(ch / w) * w;
    this.checkFits(i, bankId, run, 'one pixel');
    const broadcast = v[LOAD.broadcast] === 7;
    const constant = int8(v[LOAD.const_value]!);
    // Channel-augmentation padding applies only when jump_read <= channel <= 64 (N7).
    const augment = jr <= ch && ch <= 64;
    const padStart = augment ? v[LOAD.pad_start]! : 0;
    const padEnd = augment ? v[LOAD.pad_end]! : 0;
    const edge = len - v[LOAD.pad_idx]!;
    if (this.pix.length < run) this.pix = new Int8Array(run);
    const pix = this.pix;
    const data = region.data;
    const init = region.init;
    const base = ddrAddr - region.offset;
    for (let p = 0; p < len; p++) {
      const lead = Math.max(0, padStart - p * jr);
      const tail = augment && p >= edge ? padEnd + (p - edge) * jr : 0;
      const tailFrom = run - tail;
      const src = base + p * jr;
      if (!broadcast && lead === 0 && tailFrom >= ch) {
        // The common pixel: ch bytes from DDR, zeros to the end of the last address.
        if (init) {
          const z = init.subarray(src, src + ch).indexOf(0);
          if (z >= 0) this.ddrUninitialized(i, region, src + z);
        }
        pix.set(data.subarray(src, src + ch));
        pix.fill(0, ch, run);
      } else
        for (let c = 0; c < run; c++) {
          if (c >= ch || c < lead || c >= tailFrom) pix[c] = 0;
          else if (broadcast) pix[c] = constant;
          else {
            if (init && init[src + c] === 0) this.ddrUninitialized(i, region, src + c);
            pix[c] = data[src + c]!;
          }
        }
      if (!broadcast && this.races) this.races.ddrRead(i, region, src, ch);
      this.writeBytes(i, bankId, v[LOAD.bank_addr]! + p * jw, pix, 0, run);
    }
  }

  private ddrUninitialized(i: number, r: DdrRegionImage, off: number): void {
    // One report per region: a region without data fails every LOAD from it the same way.
    if (this.uninitReported === i || this.emptyRegionsReported.has(r)) return;
    this.uninitReported = i;
    this.emptyRegionsReported.add(r);
    this.add({
      severity: 'error',
      code: 'uninitialized',
      instr: i,
      message:
        `${described(this.program, i)} reads byte 0x${off.toString(16)} of DDR region ${r.name}, which holds no data there: ` +
        `give the region its contents (file=, or the caller's data) or SAVE into it before this LOAD (later reads of the region are not reported again)`,
    });
  }

  private save(i: number, v: readonly number[]): void {
    const bankId = v[SAVE.bank_id]!;
    const constEn = v[SAVE.const_en] === 1;
    if (!constEn) this.bankOf(i, 'bank_id', bankId, ['image']);
    const len = v[SAVE.length]!;
    const ch = v[SAVE.channel]!;
    const jr = v[SAVE.jump_read]!;
    const jw = v[SAVE.jump_write]!;
    const reg = v[SAVE.reg_id]!;
    const ddrAddr = v[SAVE.ddr_addr]!;
    const region = this.ddrRegion(i, reg, ddrAddr, (len - 1) * jw + ch, 'writes');
    const argmax = (v[SAVE.argmax]! & 2) !== 0;
    const wantValue = (v[SAVE.argmax]! & 1) !== 0;
    const constant = int8(v[SAVE.const_value]!);
    if (!constEn) this.checkFits(i, bankId, ch, 'one pixel');
    if (this.pix.length < ch) this.pix = new Int8Array(ch);
    const pix = this.pix;
    const base = ddrAddr - region.offset;
    for (let p = 0; p < len; p++) {
      const dst = base + p * jw;
      if (constEn) pix.fill(constant, 0, ch);
      else this.readBytes(i, bankId, v[SAVE.bank_addr]! + p * jr, ch, pix, 0, ch);
      let n = ch;
      if (argmax) {
        // The first maximum (lowest index on ties); one byte, the index (as int8) or the value.
        let best = 0;
        for (let c = 1; c < ch; c++) if (pix[c]! > pix[best]!) best = c;
        pix[0] = wantValue ? pix[best]! : int8(best);
        n = 1;
      }
      if (this.observer) this.observer.ddr(i, region, dst, n);
      region.data.set(pix.subarray(0, n), dst);
      if (region.init) region.init.fill(1, dst, dst + n);
      if (this.races) this.races.ddrWrite(i, region, dst, n);
    }
  }

  // ---- The input walk shared by CONV, DPTWISE and POOL (N3) ---------------------------------------

  /**
   * Gather `rows` x `srcW` pixels of `ic` channels into this.tile ([row][column][channel]), following
   * the bank walk: each bank holds `strideH` rows `jumpReadEndl` apart, then the next bank of the PP
   * group; past the group's last bank the address group advances (bases[0..3]). Padded rows and columns
   * get `padValue` and are not read; the last `co` channels of every read pixel become 0.
   */
  private gather(
    i: number,
    bankIdIn: number,
    bases: readonly number[],
    slot0: number,
    strideH: number,
    jumpRead: number,
    jumpReadEndl: number,
    rows: number,
    srcW: number,
    padTop: number,
    padBottomFrom: number,
    padLeft: number,
    padRightFrom: number,
    ic: number,
    co: number,
    padValue: number,
  ): Int8Array {
    const PP = this.pp;
    const size = rows * srcW * ic;
    if (size > this.maxTile)
      this.fail(
        i,
        'field',
        `its input tile is ${rows} rows x ${srcW} columns x ${ic} channels = ${size} bytes, far more than the image banks hold (the walk would re-read wrapped addresses): check length, channel_group, the kernel and the strides`,
      );
    if (this.tile.length < size) this.tile = new Int8Array(size);
    const tile = this.tile;
    const groupFirst = Math.floor(bankIdIn / PP) * PP;
    const depth = this.banks.depth[bankIdIn]!;
    let b = bankIdIn;
    let s = slot0;
    let g = 0;
    for (let r = 0; r < rows; r++) {
      if (g >= 4)
        this.fail(
          i,
          'field',
          `input row ${r} of the tile falls in address group ${g}, but only 4 (bank_addr_in, _in_1, _in_2, _in_3) exist: make the tile span fewer banks (fewer rows, or a bank_id_in earlier in its group)`,
        );
      const rowBase = r * srcW * ic;
      if (r < padTop || r >= padBottomFrom) {
        tile.fill(padValue, rowBase, rowBase + srcW * ic);
      } else {
        const rowAddr = bases[g]! + s * jumpReadEndl;
        for (let x = 0; x < srcW; x++) {
          const at = rowBase + x * ic;
          if (x < padLeft || x >= padRightFrom) tile.fill(padValue, at, at + ic);
          else {
            this.readBytes(i, b, (rowAddr + x * jumpRead) % depth, ic, tile, at, ic - co);
            if (co > 0) tile.fill(0, at + ic - co, at + ic);
          }
        }
      }
      if (++s === strideH) {
        s = 0;
        if (++b === groupFirst + PP) {
          b = groupFirst;
          g++;
        }
      }
    }
    return tile;
  }

  /**
   * Write vpp rows x `length` pixels of `bytes` bytes from this.obuf, the CONV output rule (N3): row h
   * goes to the bank (h + stride_offset_out) / stride_out after bank_id_out in its PP group, at
   * ((h + stride_offset_out) mod stride_out) x jump_write_endl, plus stride_out x jump_write_endl per
   * wrap past the group's last bank; pixel x at + x x jump_write.
   */
  private writeRows(i: number, bankIdOut: number, addrOut: number, vpp: number, length: number, offsetOut: number, strideOut: number, jumpWrite: number, jumpWriteEndl: number, bytes: number): void {
    const PP = this.pp;
    const groupFirst = Math.floor(bankIdOut / PP) * PP;
    const local = bankIdOut - groupFirst;
    const depth = this.banks.depth[bankIdOut]!;
    const out = this.obuf;
    for (let h = 0; h < vpp; h++) {
      const q = Math.floor((h + offsetOut) / strideOut);
      const bank = groupFirst + ((local + q) % PP);
      const wraps = Math.floor((local + q) / PP);
      const rowAddr = addrOut + wraps * strideOut * jumpWriteEndl + ((h + offsetOut) % strideOut) * jumpWriteEndl;
      for (let x = 0; x < length; x++) this.writeBytes(i, bank, (rowAddr + x * jumpWrite) % depth, out, (h * length + x) * bytes, bytes);
    }
  }

  private needInit(i: number, init: readonly number[] | undefined, name: string): readonly number[] {
    if (!init) this.fail(i, 'no-init', `no ${name} comes before it in the program, so its kernel, strides and shifts are unset: add a ${name} earlier`);
    return init;
  }

  // ---- CONV (N2, N3) ------------------------------------------------------------------------------

  private conv(i: number, v: readonly number[]): void {
    const ci = this.needInit(i, this.convInit, 'CONVINIT');
    const PP = this.pp;
    const ICP = this.icp;
    const OCP = this.ocp;
    const kh = ci[CONVINIT.kernel_h]!;
    const kw = ci[CONVINIT.kernel_w]!;
    const sh = ci[CONVINIT.stride_h]!;
    const sw = ci[CONVINIT.stride_w]!;
    const vpp = ci[CONVINIT.valid_pixel_parallel]!;
    const act = ci[CONVINIT.act_type]!;
    const shiftBias = ci[CONVINIT.shift_bias]!;
    const shiftCut = ci[CONVINIT.shift_cut]!;
    this.checkCommon(i, act, shiftBias, vpp, PP, 'PP', ci[CONVINIT.stride_offset_in]!, sh, ci[CONVINIT.stride_offset_out]!, ci[CONVINIT.stride_out]!);
    const bankIn = v[CONV.bank_id_in]!;
    const bankOut = v[CONV.bank_id_out]!;
    this.bankOf(i, 'bank_id_in', bankIn, ['image']);
    this.bankOf(i, 'bank_id_out', bankOut, ['image']);
    if (this.convW.count < OCP || this.bias < 0) this.fail(i, 'bank', `${this.program.arch.name} lacks the ${OCP} CONVW banks and the BIAS bank a CONV reads`);
    const cg = v[CONV.channel_group]!;
    const len = v[CONV.length]!;
    const co = v[CONV.channel_offset]!;
    const ic = cg * ICP;
    if (co >= ic) this.fail(i, 'field', `channel_offset=${co} zeroes all ${ic} input channels (channel_group x ICP): lower it`);
    this.checkWeightsFit(i, this.convW.baseId, kh * kw * cg, kh, kw, cg);
    const srcW = (len - 1) * sw + kw;
    const rows = (vpp - 1) * sh + kh;
    const bases = [v[CONV.bank_addr_in]!, v[CONV.bank_addr_in_1]!, v[CONV.bank_addr_in_2]!, v[CONV.bank_addr_in_3]!];
    // pad_right/pad_bottom are the last valid kernel index of the last window, not counts (N3).
    const tile = this.gather(
      i,
      bankIn,
      bases,
      ci[CONVINIT.stride_offset_in]!,
      sh,
      ci[CONVINIT.jump_read]!,
      ci[CONVINIT.jump_read_endl]!,
      rows,
      srcW,
      v[CONV.pad_top]!,
      rows - kh + v[CONV.pad_bottom]! + 1,
      v[CONV.pad_left]!,
      srcW - kw + v[CONV.pad_right]! + 1,
      ic,
      co,
      0,
    );
    // Weights: output channel o from CONVW[o], kernel element (r, s) at bank_addr_weights + (r kw + s) cg.
    const khkwic = kh * kw * ic;
    if (this.wbuf.length < OCP * khkwic) this.wbuf = new Int8Array(OCP * khkwic);
    const wbuf = this.wbuf;
    const baw = v[CONV.bank_addr_weights]!;
    for (let o = 0; o < OCP; o++) {
      const bank = this.convW.baseId + o;
      const depth = this.banks.depth[bank]!;
      for (let e = 0; e < kh * kw; e++) this.readBytes(i, bank, (baw + e * cg) % depth, ic, wbuf, o * khkwic + e * ic, ic - co);
    }
    const bbuf = this.bbuf.length >= OCP ? this.bbuf : (this.bbuf = new Int8Array(OCP));
    this.readBytes(i, this.bias, v[CONV.bank_addr_bias]!, OCP, bbuf, 0, OCP);
    const outs = vpp * len * OCP;
    if (this.acc.length < outs) this.acc = new Float64Array(outs);
    if (this.obuf.length < outs) this.obuf = new Int8Array(outs);
    const run = kw * ic;
    if (run <= MAX_PACKED_TERMS) {
      const pairsSize = ((OCP + 1) >> 1) * khkwic;
      if (this.packedW.length < pairsSize) this.packedW = new Float64Array(pairsSize);
      packWeightPairs(wbuf, OCP, khkwic, this.packedW);
      const tileSize = rows * srcW * ic;
      if (this.tileF.length < tileSize) this.tileF = new Float64Array(tileSize);
      widenTile(tile, tileSize, this.tileF);
      // As many kernel rows per part as keep the packed sums in their lanes (all of them, usually).
      const rowsPerPart = Math.floor(MAX_PACKED_TERMS / run);
      for (let r0 = 0; r0 < kh; r0 += rowsPerPart)
        convMacsPacked(this.tileF, srcW * ic, this.packedW, khkwic, run, r0, Math.min(kh, r0 + rowsPerPart), sh, sw * ic, vpp, len, OCP, this.acc);
    } else convMacs(tile, srcW * ic, wbuf, khkwic, run, kh, sh, sw * ic, vpp, len, OCP, this.acc);
    this.macs += vpp * len * OCP * kh * kw * (ic - co);
    const acc = this.acc;
    const out = this.obuf;
    for (let k = 0; k < outs; k++) out[k] = convOut(acc[k]!, bbuf[k % OCP]!, shiftBias, shiftCut, act);
    this.writeRows(i, bankOut, v[CONV.bank_addr_out]!, vpp, len, ci[CONVINIT.stride_offset_out]!, ci[CONVINIT.stride_out]!, ci[CONVINIT.jump_write]!, ci[CONVINIT.jump_write_endl]!, OCP);
  }

  /** A filter whose addresses exceed its bank's depth would overlap itself (its wrapped addresses hold
   * other kernel elements): no real program does that, and it would be a runaway amount of work. */
  private checkWeightsFit(i: number, bank: number, addresses: number, kh: number, kw: number, cg: number): void {
    const depth = this.banks.depth[bank]!;
    if (addresses > depth)
      this.fail(i, 'field', `one filter takes kernel_h x kernel_w x channel_group = ${kh} x ${kw} x ${cg} = ${addresses} addresses, more than the ${depth} of ${this.bankText(bank)}: split the input channels over several instructions`);
  }

  private checkCommon(i: number, act: number, shiftBias: number, vpp: number, maxVpp: number, ppName: string, offIn: number, strideH: number, offOut: number, strideOut: number): void {
    if (!ACTIVATIONS.has(act)) this.fail(i, 'unsupported', `act_type=${act} is not executable on DPUV2: use none (0), relu (1), leaky_relu (3) or relu6 (4)`);
    if (shiftBias > 20) this.fail(i, 'field', `shift_bias=${shiftBias}: DPUV2 rejects shift_bias above 20`);
    this.checkShape(i, vpp, maxVpp, ppName, offIn, strideH, offOut, strideOut);
  }

  private checkShape(i: number, vpp: number, maxVpp: number, ppName: string, offIn: number, strideH: number, offOut: number, strideOut: number): void {
    if (vpp > maxVpp) this.fail(i, 'field', `valid_pixel_parallel=${vpp} exceeds the engine's pixel parallelism ${ppName}=${maxVpp}`);
    if (offIn >= strideH) this.fail(i, 'field', `stride_offset_in=${offIn} must be below stride_h=${strideH}`);
    if (offOut >= strideOut) this.fail(i, 'field', `stride_offset_out=${offOut} must be below stride_out=${strideOut}`);
  }

  // ---- DPTWISE (N4) -------------------------------------------------------------------------------

  private dptwise(i: number, v: readonly number[]): void {
    const di = this.needInit(i, this.dwInit, 'DWINIT');
    const ICP = this.icp;
    const kh = di[DWINIT.kernel_h]!;
    const kw = di[DWINIT.kernel_w]!;
    const sh = di[DWINIT.stride_h]!;
    const sw = di[DWINIT.stride_w]!;
    const vpp = di[DWINIT.valid_pixel_parallel]!;
    const act = v[DPTWISE.act_type]!;
    const shiftBias = di[DWINIT.shift_bias]!;
    const shiftCut = di[DWINIT.shift_cut]!;
    this.checkCommon(i, act, shiftBias, vpp, this.program.arch.dpu.dwPP, 'dwPP', di[DWINIT.stride_offset_in]!, sh, di[DWINIT.stride_offset_out]!, di[DWINIT.stride_out]!);
    const bankIn = v[DPTWISE.bank_id_in]!;
    const bankOut = v[DPTWISE.bank_id_out]!;
    this.bankOf(i, 'bank_id_in', bankIn, ['image']);
    this.bankOf(i, 'bank_id_out', bankOut, ['image']);
    if (this.dwW < 0 || this.bias < 0) this.fail(i, 'bank', `${this.program.arch.name} lacks the DWCONVW and BIAS banks a DPTWISE reads`);
    const cg = v[DPTWISE.channel_group]!;
    const len = v[DPTWISE.length]!;
    const co = v[DPTWISE.channel_offset]!;
    const ic = cg * ICP;
    if (co >= ic) this.fail(i, 'field', `channel_offset=${co} zeroes all ${ic} channels (channel_group x ICP): lower it`);
    this.checkWeightsFit(i, this.dwW, kh * kw * cg, kh, kw, cg);
    const srcW = (len - 1) * sw + kw;
    const rows = (vpp - 1) * sh + kh;
    const bases = [v[DPTWISE.bank_addr_in]!, v[DPTWISE.bank_addr_in_1]!, v[DPTWISE.bank_addr_in_2]!, v[DPTWISE.bank_addr_in_3]!];
    const tile = this.gather(
      i,
      bankIn,
      bases,
      di[DWINIT.stride_offset_in]!,
      sh,
      di[DWINIT.jump_read]!,
      di[DWINIT.jump_read_endl]!,
      rows,
      srcW,
      v[DPTWISE.pad_top]!,
      rows - kh + v[DPTWISE.pad_bottom]! + 1,
      v[DPTWISE.pad_left]!,
      srcW - kw + v[DPTWISE.pad_right]! + 1,
      ic,
      co,
      0,
    );
    // Weights from DWCONVW: kernel element (r, s) at bank_addr_weights + (r kw + s) cg (CP / width = 1).
    const kk = kh * kw;
    if (this.wbuf.length < kk * ic) this.wbuf = new Int8Array(kk * ic);
    const wbuf = this.wbuf;
    const depth = this.banks.depth[this.dwW]!;
    const addrsPerElement = cg * Math.ceil(ICP / this.banks.width[this.dwW]!);
    for (let e = 0; e < kk; e++) this.readBytes(i, this.dwW, (v[DPTWISE.bank_addr_weights]! + e * addrsPerElement) % depth, ic, wbuf, e * ic, ic - co);
    if (this.bbuf.length < ic) this.bbuf = new Int8Array(ic);
    const bbuf = this.bbuf;
    this.readBytes(i, this.bias, v[DPTWISE.bank_addr_bias]!, ic, bbuf, 0, ic - co);
    const outs = vpp * len * ic;
    if (this.obuf.length < outs) this.obuf = new Int8Array(outs);
    if (this.acc.length < ic) this.acc = new Float64Array(ic);
    const out = this.obuf;
    const acc = this.acc;
    const rowStride = srcW * ic;
    for (let h = 0; h < vpp; h++)
      for (let x = 0; x < len; x++) {
        acc.fill(0, 0, ic);
        for (let r = 0; r < kh; r++)
          for (let s = 0; s < kw; s++) {
            const tb = (h * sh + r) * rowStride + (x * sw + s) * ic;
            const wb = (r * kw + s) * ic;
            for (let c = 0; c < ic; c++) acc[c] = acc[c]! + tile[tb + c]! * wbuf[wb + c]!;
          }
        const ob = (h * len + x) * ic;
        for (let c = 0; c < ic; c++) out[ob + c] = convOut(acc[c]!, bbuf[c]!, shiftBias, shiftCut, act);
      }
    this.macs += vpp * len * kk * (ic - co);
    this.writeRows(i, bankOut, v[DPTWISE.bank_addr_out]!, vpp, len, di[DWINIT.stride_offset_out]!, di[DWINIT.stride_out]!, di[DWINIT.jump_write]!, di[DWINIT.jump_write_endl]!, ic);
  }

  // ---- POOL (N5) ----------------------------------------------------------------------------------

  private pool(i: number, v: readonly number[]): void {
    const pi = this.needInit(i, this.poolInit, 'POOLINIT');
    const ICP = this.icp;
    const type = pi[POOLINIT.pool_type]!;
    if (type > 2) this.fail(i, 'unsupported', `pool_type=${type} is not a pooling kind: use max (0), avg (1) or max_reduce (2)`);
    const reduce = type === 2;
    const kh = reduce ? v[POOL.downsample_kernel_h]! : pi[POOLINIT.kernel_h]!;
    const kw = reduce ? v[POOL.downsample_kernel_w]! : pi[POOLINIT.kernel_w]!;
    const sh = reduce ? kh : pi[POOLINIT.stride_h]!;
    const sw = reduce ? kw : pi[POOLINIT.stride_w]!;
    const vpp = pi[POOLINIT.valid_pixel_parallel]!;
    this.checkShape(i, vpp, this.program.arch.dpu.poolPP, 'poolPP', pi[POOLINIT.stride_offset_in]!, sh, pi[POOLINIT.stride_offset_out]!, pi[POOLINIT.stride_out]!);
    const bankIn = v[POOL.bank_id_in]!;
    const bankOut = v[POOL.bank_id_out]!;
    this.bankOf(i, 'bank_id_in', bankIn, ['image']);
    this.bankOf(i, 'bank_id_out', bankOut, ['image']);
    const avg = type === 1;
    const factor = avg ? avgFactor(kw, kh) : ([1, 1] as [number, number]);
    if (!factor) this.fail(i, 'unsupported', `average pooling has no factor for kernel_w=${kw}: use a width of 1 to 8`);
    const cg = v[POOL.channel_group]!;
    const len = v[POOL.length]!;
    const ic = cg * ICP;
    const srcW = (len - 1) * sw + kw;
    const rows = (vpp - 1) * sh + kh;
    const bases = [v[POOL.bank_addr_in]!, v[POOL.bank_addr_in_1]!, v[POOL.bank_addr_in_2]!, v[POOL.bank_addr_in_3]!];
    // max_reduce pads nothing; padding is -128 for max and 0 for average (N5).
    const padValue = avg ? 0 : -128;
    const tile = this.gather(
      i,
      bankIn,
      bases,
      pi[POOLINIT.stride_offset_in]!,
      sh,
      pi[POOLINIT.jump_read]!,
      v[POOL.jump_read_endl]!,
      rows,
      srcW,
      reduce ? 0 : v[POOL.pad_top]!,
      reduce ? rows : rows - kh + v[POOL.pad_bottom]! + 1,
      reduce ? 0 : v[POOL.pad_left]!,
      reduce ? srcW : srcW - kw + v[POOL.pad_right]! + 1,
      ic,
      0,
      padValue,
    );
    const outs = vpp * len * ic;
    if (this.obuf.length < outs) this.obuf = new Int8Array(outs);
    const out = this.obuf;
    const [fn, fd] = factor;
    const shiftCut = pi[POOLINIT.shift_cut]!;
    const rowStride = srcW * ic;
    for (let h = 0; h < vpp; h++)
      for (let x = 0; x < len; x++)
        for (let c = 0; c < ic; c++) {
          let value = avg ? 0 : -128;
          for (let r = 0; r < kh; r++) {
            const rb = (h * sh + r) * rowStride + x * sw * ic + c;
            for (let s = 0; s < kw; s++) {
              const t = tile[rb + s * ic]!;
              if (avg) value += t;
              else if (t > value) value = t;
            }
          }
          out[(h * len + x) * ic + c] = poolOut(value, fn, fd, shiftCut);
        }
    this.writeRows(i, bankOut, v[POOL.bank_addr_out]!, vpp, len, pi[POOLINIT.stride_offset_out]!, pi[POOLINIT.stride_out]!, pi[POOLINIT.jump_write]!, v[POOL.jump_write_endl]!, ic);
  }

  // ---- ELEW (N6) ----------------------------------------------------------------------------------

  private elew(i: number, v: readonly number[]): void {
    const PP = this.pp;
    const ICP = this.icp;
    const num = v[ELEW.num]!;
    const mult = v[ELEW.elew_type] === 1;
    if (v[ELEW.elew_type]! > 1) this.fail(i, 'unsupported', `elew_type=${v[ELEW.elew_type]} is not an eltwise kind: use add (0) or mult (1)`);
    if (mult && num !== 2) this.fail(i, 'field', `elew_type=mult needs num=2, not ${num}`);
    const vpp = v[ELEW.valid_pixel_parallel]!;
    this.checkShape(i, vpp, this.program.arch.dpu.elewPP, 'elewPP', 0, 1, 0, 1);
    if (this.elewQueue.length < num)
      this.fail(i, 'no-init', `num=${num} inputs are needed but only ${this.elewQueue.length} ELEWINIT${this.elewQueue.length === 1 ? ' is' : 's are'} queued: add an ELEWINIT (id=0..${num - 1}) per input before it`);
    const inputs = this.elewQueue.splice(0, num);
    inputs.forEach((inp, k) => {
      if (inp.v[ELEWINIT.id] !== k)
        this.fail(i, 'field', `its input ${k} comes from the ELEWINIT at ${where(this.program, inp.instr)}, whose id is ${inp.v[ELEWINIT.id]}: ELEWINITs queue in order and the k-th one an ELEW takes must have id=k`);
      this.bankOf(inp.instr, 'bank_id_in', inp.v[ELEWINIT.bank_id_in]!, ['image']);
      if (inp.v[ELEWINIT.jump_bank]! * vpp > PP)
        this.fail(i, 'field', `the ELEWINIT at ${where(this.program, inp.instr)} has jump_bank=${inp.v[ELEWINIT.jump_bank]}, and jump_bank x valid_pixel_parallel (${vpp}) exceeds PP=${PP}`);
    });
    const bankOut = v[ELEW.bank_id_out]!;
    this.bankOf(i, 'bank_id_out', bankOut, ['image']);
    const len = v[ELEW.length]!;
    const ic = v[ELEW.channel_group]! * ICP;
    const outs = vpp * len * ic;
    if (outs > this.maxTile) this.fail(i, 'field', `it computes ${vpp} rows x ${len} pixels x ${ic} channels = ${outs} bytes, far more than the image banks hold: check length and channel_group`);
    if (this.acc.length < outs) this.acc = new Float64Array(outs);
    if (this.obuf.length < outs) this.obuf = new Int8Array(outs);
    if (this.pix.length < ic) this.pix = new Int8Array(ic);
    const acc = this.acc;
    const pix = this.pix;
    acc.fill(mult ? 1 : 0, 0, outs);
    for (const inp of inputs) {
      const iv = inp.v;
      const bankIn = iv[ELEWINIT.bank_id_in]!;
      const groupFirst = Math.floor(bankIn / PP) * PP;
      const local = bankIn - groupFirst;
      const depth = this.banks.depth[bankIn]!;
      const share = iv[ELEWINIT.share_pp] === 1;
      const shiftRead = iv[ELEWINIT.shift_read]!;
      for (let k = 0; k < vpp; k++) {
        // share_pp: every row reads bank_id_in itself, with no wrap term (N6).
        const step = share ? local : local + k * iv[ELEWINIT.jump_bank]!;
        const bank = groupFirst + (step % PP);
        const wraps = share ? 0 : Math.floor(step / PP);
        for (let j = 0; j < len; j++) {
          const addr = (iv[ELEWINIT.bank_addr_in]! + wraps * iv[ELEWINIT.jump_read_endl]! + j * iv[ELEWINIT.jump_read]!) % depth;
          this.readBytes(i, bank, addr, ic, pix, 0, ic);
          const ob = (k * len + j) * ic;
          if (mult) for (let c = 0; c < ic; c++) acc[ob + c] = acc[ob + c]! * elewIn(pix[c]!, shiftRead);
          else for (let c = 0; c < ic; c++) acc[ob + c] = acc[ob + c]! + elewIn(pix[c]!, shiftRead);
        }
      }
    }
    const shiftWrite = v[ELEW.shift_write]!;
    const relu = v[ELEW.act_type] === 1;
    const out = this.obuf;
    for (let k = 0; k < outs; k++) out[k] = elewOut(acc[k]!, shiftWrite, mult, relu);
    // Row k to bank bank_id_out + k in its PP group; each wrap past the group adds jump_write_endl.
    const groupFirst = Math.floor(bankOut / PP) * PP;
    const local = bankOut - groupFirst;
    const depth = this.banks.depth[bankOut]!;
    for (let k = 0; k < vpp; k++) {
      const bank = groupFirst + ((local + k) % PP);
      const wraps = Math.floor((local + k) / PP);
      for (let j = 0; j < len; j++)
        this.writeBytes(i, bank, (v[ELEW.bank_addr_out]! + j * v[ELEW.jump_write]! + wraps * v[ELEW.jump_write_endl]!) % depth, out, (k * len + j) * ic, ic);
    }
  }
}
