// A debugging session over a recorded trace, without any editor or protocol dependency: the debug
// adapter (server/src/debug/) translates the Debug Adapter Protocol to these calls.
//
// State model (docs/debugger.md):
//   - The timing simulation fixes when every instruction of every core starts and ends. The session's
//     position k walks through those starts in time order (trace.ts); engines, stalls and token
//     counters at k follow from the recorded times.
//   - Bank and DDR contents at k come from executing each core's started instructions in that same
//     order on the core's own functional machine (memory.ts). Each engine's instructions stay in program
//     order and every token's taker comes after its giver, so for a race-free program the contents are
//     the same as in program order (what Xilinx's simulator runs) at every point both have passed. The
//     session checks that in the background: a program-order run with the race checker reports every
//     pair of accesses no token orders (races) and every order inversion, i.e. whenever the result
//     depends on the order.
//   - An instruction's effects appear at its start (the functional simulator executes it whole); the
//     engine shows busy until its end.

import * as path from 'node:path';
import { formatValue } from '../asm/format';
import { bankName } from '../arch/model';
import { ENGINES } from '../isa/table';
import { FunctionalMachine } from '../sim/functional';
import type { DdrImage } from '../sim/memory';
import { CTRL, described, type SimProblem, type SimProgram } from '../sim/program';
import { instructionTiming } from '../sim/timing';
import { chromeTrace } from '../sim/trace';
import { evaluate, ExprError, isTrue, namesIn, parseExpression, parseHitCondition, type Expr, type HitCondition, type Value } from './expr';
import type { LoadedDebugProgram } from './launch';
import { CoreMemory, type DdrWatch, type WriteHits } from './memory';
import { ENGINE_COUNT, ENGINE_NAMES, Trace, fmtCycle, type EngineState } from './trace';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'data breakpoint' | 'exception' | 'pause' | 'end' | 'goto';

export interface Stop {
  readonly reason: StopReason;
  /** The core (thread) the stop is about. */
  readonly core: number;
  /** One line for the editor (the reason in words). */
  readonly description: string;
  /** Longer text (an exception's message). */
  readonly text?: string;
  readonly hitBreakpointIds?: readonly number[];
}

export interface LineBreakpointSpec {
  readonly line: number;
  readonly condition?: string;
  readonly hitCondition?: string;
}

export interface BreakpointResult {
  readonly id: number;
  readonly verified: boolean;
  readonly line?: number;
  readonly message?: string;
}

export interface DataBreakpointSpec {
  readonly dataId: string;
  readonly condition?: string;
  readonly hitCondition?: string;
}

/** A variable tree node: the adapter gives nodes with children a reference. */
export interface VarNode {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  readonly memoryReference?: string;
  readonly children?: () => VarNode[];
}

export interface Frame {
  readonly id: number;
  readonly core: number;
  readonly engine: number;
  readonly name: string;
  /** 1-based source line (0 when the engine has no instruction). */
  readonly line: number;
  readonly column: number;
  readonly instr: number;
  readonly state: EngineState;
}

export interface MemoryRead {
  /** Address of the first byte (a byte offset in the bank or region). */
  readonly address: number;
  readonly data: Uint8Array;
  /** Bytes past the end of the bank or region that could not be read. */
  readonly unreadable: number;
}

/** The program-order check: one functional run in program order with the race checker. */
export interface OrderCheck {
  readonly state: 'running' | 'done' | 'skipped';
  readonly problems: readonly SimProblem[];
  /** Why it was skipped (a deadlock: part of the program never runs). */
  readonly note?: string;
}

interface LineBp {
  readonly id: number;
  readonly instr: number;
  readonly cond?: Expr;
  readonly hit?: HitCondition;
}

interface DataBp {
  readonly id: number;
  /** Core, or -1 for every core. */
  readonly core: number;
  readonly kind: 'bank' | 'ddr';
  /** Bank id or region index. */
  readonly space: number;
  /** Bank addresses, or region bytes, [lo, hi). */
  readonly lo: number;
  readonly hi: number;
  readonly cond?: Expr;
  readonly hit?: HitCondition;
  hits: number;
  readonly label: string;
}

const FRAMES_PER_CORE = 8;
export const threadId = (core: number) => core + 1;
export const frameId = (core: number, engine: number) => core * FRAMES_PER_CORE + engine + 1;
export const frameOf = (id: number) => ({ core: Math.floor((id - 1) / FRAMES_PER_CORE), engine: (id - 1) % FRAMES_PER_CORE });

const hex = (n: number) => '0x' + n.toString(16);

export interface SessionOptions {
  /** Bytes for snapshots and undo logs over all cores (default 512 MiB). */
  readonly memoryBytes?: number;
  /** Work between checkpoints, in the units of CoreMemoryOptions.work (default 10 M, about 10 ms). */
  readonly checkpointSpacing?: number;
}

export class DebugEngine {
  readonly trace: Trace;
  readonly program: SimProgram;
  /** Position in the trace: events before it have started. */
  position = 0;
  private readonly memories: (CoreMemory | undefined)[];
  private lineBps: LineBp[] = [];
  /** Positions where a line breakpoint stops, ascending, and the breakpoints there. */
  private bpStops: number[] = [];
  private bpAt = new Map<number, number[]>();
  private dataBps: DataBp[] = [];
  private nextId = 1;
  private stopOnProblems = true;
  private order: OrderCheck = { state: 'running', problems: [] };
  private orderWaiters: (() => void)[] = [];
  /** Problems the time-order execution found on new ground (deduplicated by instruction and code). */
  readonly timeOrderProblems: SimProblem[] = [];
  private readonly seenProblems = new Set<string>();
  private pauseRequested = false;
  private readonly budget: number;
  private readonly spacing: number | undefined;
  private readonly lineIndex: { line: number; instr: number }[];

  constructor(
    readonly loaded: LoadedDebugProgram,
    options: SessionOptions = {},
  ) {
    this.program = loaded.program;
    this.trace = new Trace(loaded.program, loaded.cores);
    this.memories = new Array(this.trace.cores).fill(undefined);
    this.budget = options.memoryBytes ?? 512 * 1024 * 1024;
    this.spacing = options.checkpointSpacing;
    const p = this.program;
    this.lineIndex = [];
    if (p.lines) for (let i = 0; i < p.count; i++) this.lineIndex.push({ line: p.lines[i]!, instr: i });
    this.lineIndex.sort((a, b) => a.line - b.line);
  }

  get cores(): number {
    return this.trace.cores;
  }

  get cycle(): number {
    return this.trace.cycleAt(this.position);
  }

  get atEnd(): boolean {
    return this.position >= this.trace.events;
  }

  /** The deadlock report, if the program deadlocks. */
  get deadlock(): SimProblem | undefined {
    return this.trace.timing.problems.find((p) => p.code === 'deadlock');
  }

  where(i: number): string {
    return described(this.program, i);
  }

  // ---- The program-order check --------------------------------------------------------------------

  /** Run the program in program order with the race checker, a slice at a time (yielding between slices). */
  async checkProgramOrder(yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<OrderCheck> {
    if (this.order.state !== 'running' || this.orderStarted) return this.waitOrder();
    this.orderStarted = true;
    if (this.trace.status === 'deadlock') {
      this.finishOrder({ state: 'skipped', problems: [], note: 'the program deadlocks, so part of it never runs; fix the deadlock first' });
      return this.order;
    }
    const m = new FunctionalMachine(this.program, this.loaded.newDdr());
    let t = performance.now();
    while (m.step()) {
      if (performance.now() - t > 8) {
        await yieldNow();
        t = performance.now();
      }
    }
    const r = m.result();
    this.finishOrder({ state: 'done', problems: r.problems });
    return this.order;
  }

  private orderStarted = false;

  private finishOrder(o: OrderCheck): void {
    this.order = o;
    for (const w of this.orderWaiters.splice(0)) w();
  }

  private waitOrder(): Promise<OrderCheck> {
    if (this.order.state !== 'running') return Promise.resolve(this.order);
    return new Promise((r) => this.orderWaiters.push(() => r(this.order)));
  }

  get orderCheck(): OrderCheck {
    return this.order;
  }

  setStopOnProblems(on: boolean): void {
    this.stopOnProblems = on;
  }

  /** Positions where the problems of the program-order check stop the run (core 0's event of each error's instruction). */
  private problemStops(): Map<number, SimProblem> {
    const out = new Map<number, SimProblem>();
    if (!this.stopOnProblems || this.order.state !== 'done') return out;
    for (const pr of this.order.problems) {
      if (pr.severity !== 'error' || pr.instr < 0) continue;
      const k = this.trace.rank[0]![pr.instr]!;
      if (k >= 0 && !out.has(k)) out.set(k, pr);
    }
    return out;
  }

  // ---- Functional state -------------------------------------------------------------------------

  /** Core c's memory, moved to the current position. */
  memory(c: number): CoreMemory {
    const m = this.coreMemory(c);
    m.moveTo(this.trace.localCount(c, this.position));
    return m;
  }

  private coreMemory(c: number): CoreMemory {
    let m = this.memories[c];
    if (!m) {
      const costs = this.trace.timing.costs;
      m = new CoreMemory(this.program, this.loaded.newDdr(), (j) => this.trace.evInstr[this.trace.coreEvents[c]![j]!]!, {
        budgetBytes: this.budget / this.cores,
        work: (i) => costs.macs[i]! + 6 * costs.bytes[i]! + 2000,
        ...(this.spacing !== undefined ? { spacing: this.spacing } : {}),
        onProblem: (pr) => {
          const key = `${pr.instr}:${pr.code}`;
          if (this.seenProblems.has(key)) return;
          this.seenProblems.add(key);
          this.timeOrderProblems.push(pr);
        },
      });
      this.memories[c] = m;
      this.applyWatches();
    }
    return m;
  }

  // ---- Breakpoints --------------------------------------------------------------------------------

  private sameFile(file: string): boolean {
    const norm = (f: string) => path.resolve(f).replace(/\\/g, '/');
    return process.platform === 'win32' || process.platform === 'darwin' ? norm(file).toLowerCase() === norm(this.loaded.file).toLowerCase() : norm(file) === norm(this.loaded.file);
  }

  /** The instruction at or after a 1-based line, if any. */
  instrAtLine(line: number): number | undefined {
    const idx = this.lineIndex;
    let lo = 0;
    let hi = idx.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (idx[mid]!.line < line) lo = mid + 1;
      else hi = mid;
    }
    return lo < idx.length ? idx[lo]!.instr : undefined;
  }

  /** Names a condition may use at instruction i, besides the instruction's own fields. */
  static readonly CONDITION_NAMES = ['cycle', 'core', 'engine', 'line', 'instr', 'mnemonic', 'layer', 'LOAD', 'SAVE', 'CONV', 'MISC', 'END'];

  private env(core: number, i: number, cycle: number): (name: string) => Value | undefined {
    const p = this.program;
    const ins = p.instrs[i]!;
    return (name) => {
      switch (name) {
        case 'cycle':
          return cycle;
        case 'core':
          return core;
        case 'engine':
          return ENGINE_NAMES[this.trace.engineOf(i)]!;
        case 'line':
          return p.lines ? p.lines[i]! : 0;
        case 'instr':
          return i;
        case 'mnemonic':
          return ins.spec.mnemonic;
        case 'layer': {
          const l = this.trace.layerOf[i]!;
          return l >= 0 ? p.layers[l]!.name : '';
        }
      }
      const k = ins.spec.fieldIndex[name];
      if (k !== undefined) return ins.values[k]!;
      if ((ENGINE_NAMES as readonly string[]).includes(name)) return name;
      return undefined;
    };
  }

  /** Parse and check a condition against instruction i's names; the error says what to use instead. */
  private checkCondition(src: string, i: number): Expr {
    const e = parseExpression(src);
    const env = this.env(0, i, 0);
    for (const n of namesIn(e))
      if (env(n) === undefined)
        throw new ExprError(
          `unknown name '${n}': a condition can use ${DebugEngine.CONDITION_NAMES.slice(0, 7).join(', ')}, the engine names and the fields of ${this.program.instrs[i]!.spec.mnemonic} (${this.program.instrs[i]!.spec.fields.map((f) => f.name).join(', ')})`,
          0,
        );
    return e;
  }

  setBreakpoints(file: string, specs: readonly LineBreakpointSpec[]): BreakpointResult[] {
    const results: BreakpointResult[] = [];
    const bps: LineBp[] = [];
    const mine = this.sameFile(file);
    for (const s of specs) {
      const id = this.nextId++;
      if (!mine) {
        results.push({ id, verified: false, message: `not the program being debugged (${path.basename(this.loaded.file)})` });
        continue;
      }
      const other = this.loaded.otherSegmentLines.get(s.line);
      if (other !== undefined) {
        results.push({ id, verified: false, line: s.line, message: `this instruction is in segment ${other}; the session runs segment ${this.loaded.segment.name} (set "segment" in the launch configuration)` });
        continue;
      }
      const i = this.instrAtLine(s.line);
      if (i === undefined) {
        results.push({ id, verified: false, line: s.line, message: 'no instruction at or after this line' });
        continue;
      }
      const line = this.program.lines![i]!;
      try {
        const cond = s.condition && s.condition.trim() !== '' ? this.checkCondition(s.condition, i) : undefined;
        const hit = s.hitCondition && s.hitCondition.trim() !== '' ? parseHitCondition(s.hitCondition) : undefined;
        bps.push({ id, instr: i, ...(cond ? { cond } : {}), ...(hit ? { hit } : {}) });
        const starts = this.trace.rank.some((r) => r[i]! >= 0);
        results.push({ id, verified: true, line, ...(starts ? {} : { message: `${this.where(i)} never starts (the program deadlocks before it)` }) });
      } catch (e) {
        if (!(e instanceof ExprError)) throw e;
        results.push({ id, verified: false, line, message: `${s.hitCondition && e.message.startsWith('hit count') ? '' : 'condition: '}${e.message}` });
      }
    }
    this.lineBps = bps;
    this.recomputeStops();
    return results;
  }

  private recomputeStops(): void {
    const at = new Map<number, number[]>();
    for (const bp of this.lineBps) {
      const evs: number[] = [];
      for (let c = 0; c < this.cores; c++) {
        const k = this.trace.rank[c]![bp.instr]!;
        if (k >= 0) evs.push(k);
      }
      evs.sort((a, b) => a - b);
      let hits = 0;
      for (const k of evs) {
        if (bp.cond) {
          let v: Value;
          try {
            v = evaluate(bp.cond, this.env(this.trace.evCore[k]!, bp.instr, this.trace.evStart[k]!));
          } catch {
            continue;
          }
          if (!isTrue(v)) continue;
        }
        hits++;
        if (bp.hit && !bp.hit(hits)) continue;
        const list = at.get(k);
        if (list) list.push(bp.id);
        else at.set(k, [bp.id]);
      }
    }
    this.bpAt = at;
    this.bpStops = [...at.keys()].sort((a, b) => a - b);
  }

  // ---- Data breakpoints -------------------------------------------------------------------------

  /** A data breakpoint's id for a bank (addresses [lo, hi)) or a DDR region (bytes [lo, hi)); core -1 = every core. */
  dataId(core: number, kind: 'bank' | 'ddr', space: number, lo?: number, hi?: number): { dataId: string; description: string } | { error: string } {
    const arch = this.program.arch;
    if (kind === 'bank') {
      const g = arch.bankGroupOf[space];
      if (!g) return { error: `bank ${space} is not a bank of ${arch.name}` };
      const a = lo ?? 0;
      const b = hi ?? g.depth;
      if (a < 0 || b > g.depth || a >= b) return { error: `addresses [${a}, ${b}) are not inside ${bankName(arch, space)} (0..${g.depth - 1})` };
      const name = bankName(arch, space)!;
      return { dataId: `${core}|bank|${space}|${a}|${b}`, description: `${core < 0 ? '' : `core ${core}: `}writes to ${name}${a === 0 && b === g.depth ? '' : ` addresses ${a}..${b - 1}`}` };
    }
    const r = this.program.regions[space];
    if (!r) return { error: `DDR region ${space} does not exist` };
    const a = lo ?? 0;
    const b = hi ?? r.size;
    if (a < 0 || b > r.size || a >= b) return { error: `bytes [${a}, ${b}) are not inside DDR region ${r.name} (size ${r.size})` };
    return { dataId: `${core}|ddr|${space}|${a}|${b}`, description: `${core < 0 ? '' : `core ${core}: `}writes to DDR region ${r.name}${a === 0 && b === r.size ? '' : ` bytes ${hex(a)}..${hex(b - 1)}`}` };
  }

  /**
   * A data breakpoint's id from text: `VB0[3]`, `VB0[3]@16`, `VB0[3]@16+8` (8 addresses from 16),
   * `ddr:workspace`, `ddr:workspace@0x100+64` (bytes), optionally after `core1:`.
   */
  dataIdFromText(text: string): { dataId: string; description: string } | { error: string } {
    const m = /^\s*(?:core\s*(\d+)\s*[:/]\s*)?(ddr:)?([\w.]+(?:\[\d+\])?)\s*(?:@\s*(0x[0-9a-f]+|\d+)\s*(?:\+\s*(0x[0-9a-f]+|\d+))?)?\s*$/i.exec(text);
    if (!m) return { error: `'${text}' is not a bank range (VB0[3]@16+8) or a DDR range (ddr:workspace@0x100+64), optionally after core1:` };
    const core = m[1] !== undefined ? Number(m[1]) : -1;
    if (core >= this.cores) return { error: `core ${core} is not simulated (cores 0..${this.cores - 1})` };
    const lo = m[4] !== undefined ? Number(m[4]) : undefined;
    const count = m[5] !== undefined ? Number(m[5]) : 1;
    if (m[2]) {
      const idx = this.program.regions.findIndex((r) => r.name === m[3]);
      if (idx < 0) return { error: `no DDR region named '${m[3]}' (regions: ${this.program.regions.map((r) => r.name).join(', ')})` };
      return this.dataId(core, 'ddr', idx, lo, lo !== undefined ? lo + count : undefined);
    }
    const arch = this.program.arch;
    let id = -1;
    for (let b = 0; b < arch.bankGroupOf.length; b++) if (bankName(arch, b)?.toLowerCase() === m[3]!.toLowerCase() || (arch.bankGroupOf[b]?.count === 1 && arch.bankGroupOf[b]!.name.toLowerCase() === m[3]!.toLowerCase())) id = b;
    if (id < 0) return { error: `'${m[3]}' is not a bank of ${arch.name} (banks: ${arch.bankGroups.map((g) => `${g.name}[0..${g.count - 1}]`).join(', ')})` };
    return this.dataId(core, 'bank', id, lo, lo !== undefined ? lo + count : undefined);
  }

  setDataBreakpoints(specs: readonly DataBreakpointSpec[]): BreakpointResult[] {
    const out: BreakpointResult[] = [];
    const bps: DataBp[] = [];
    for (const s of specs) {
      const id = this.nextId++;
      const m = /^(-?\d+)\|(bank|ddr)\|(\d+)\|(\d+)\|(\d+)$/.exec(s.dataId);
      if (!m) {
        out.push({ id, verified: false, message: `unknown data breakpoint id '${s.dataId}'` });
        continue;
      }
      const core = Number(m[1]);
      const kind = m[2] as 'bank' | 'ddr';
      const space = Number(m[3]);
      const check = this.dataId(core, kind, space, Number(m[4]), Number(m[5]));
      if ('error' in check) {
        out.push({ id, verified: false, message: check.error });
        continue;
      }
      try {
        const cond = s.condition && s.condition.trim() !== '' ? parseExpression(s.condition) : undefined;
        if (cond)
          for (const n of namesIn(cond))
            if (!['cycle', 'core', 'engine', 'line', 'instr', 'mnemonic', 'layer', ...ENGINE_NAMES].includes(n))
              throw new ExprError(`unknown name '${n}': a data breakpoint's condition can use cycle, core, engine, line, instr, mnemonic, layer (of the writing instruction)`, 0);
        const hit = s.hitCondition && s.hitCondition.trim() !== '' ? parseHitCondition(s.hitCondition) : undefined;
        bps.push({ id, core, kind, space, lo: Number(m[4]), hi: Number(m[5]), ...(cond ? { cond } : {}), ...(hit ? { hit } : {}), hits: 0, label: check.description });
        out.push({ id, verified: true, message: check.description });
      } catch (e) {
        if (!(e instanceof ExprError)) throw e;
        out.push({ id, verified: false, message: e.message });
      }
    }
    this.dataBps = bps;
    this.applyWatches();
    return out;
  }

  private applyWatches(): void {
    for (let c = 0; c < this.cores; c++) {
      const m = this.memories[c];
      if (!m) continue;
      const mine = this.dataBps.filter((b) => b.core < 0 || b.core === c);
      let mask: Uint8Array | undefined;
      const ddr: DdrWatch[] = [];
      const banks = m.machine.banks;
      for (const b of mine) {
        if (b.kind === 'bank') {
          mask ??= new Uint8Array(banks.totalAddresses);
          mask.fill(1, banks.addrBase[b.space]! + b.lo, banks.addrBase[b.space]! + b.hi);
        } else ddr.push({ region: b.space, lo: b.lo, hi: b.hi });
      }
      m.setWatch(mask, ddr);
    }
  }

  private watchedCores(): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.cores; c++) if (this.dataBps.some((b) => b.core < 0 || b.core === c)) out.push(c);
    return out;
  }

  /** The data breakpoints event k's writes trigger (counting hits). */
  private dataHits(k: number, w: WriteHits, count: boolean): DataBp[] {
    if (w.bank.length === 0 && w.ddr.length === 0) return [];
    const c = this.trace.evCore[k]!;
    const i = this.trace.evInstr[k]!;
    const m = this.memories[c]!;
    const banks = m.machine.banks;
    const out: DataBp[] = [];
    for (const b of this.dataBps) {
      if (b.core >= 0 && b.core !== c) continue;
      const touched =
        b.kind === 'bank'
          ? w.bank.some((g) => m.bankOfAddr(g) === b.space && g - banks.addrBase[b.space]! >= b.lo && g - banks.addrBase[b.space]! < b.hi)
          : w.ddr.some((d) => d.region === b.space && d.lo < b.hi && d.hi > b.lo);
      if (!touched) continue;
      if (b.cond) {
        try {
          if (!isTrue(evaluate(b.cond, this.env(c, i, this.trace.evStart[k]!)))) continue;
        } catch {
          continue;
        }
      }
      if (count) {
        b.hits++;
        if (b.hit && !b.hit(b.hits)) continue;
      }
      out.push(b);
    }
    return out;
  }

  // ---- Moving -------------------------------------------------------------------------------------

  pause(): void {
    this.pauseRequested = true;
  }

  private endStop(core: number): Stop {
    const dl = this.deadlock;
    if (dl) return { reason: 'exception', core, description: 'Deadlock: no engine can start', text: dl.message };
    return { reason: 'end', core, description: `END retired at cycle ${fmtCycle(this.trace.timing.cycles)}: the program is over (step back or reverse-continue to go back)` };
  }

  /** Where the session stands right after launch (stop on entry) or when it has nowhere to go. */
  entryStop(): Stop {
    return { reason: 'entry', core: 0, description: `Paused before the first instruction (${this.trace.events} instruction starts on ${this.cores} core${this.cores === 1 ? '' : 's'})` };
  }

  /** The core a thread stepping command is about, checked. */
  private core(c: number): number {
    if (!Number.isInteger(c) || c < 0 || c >= this.cores) throw new Error(`thread ${c + 1} is not a simulated core (threads 1..${this.cores})`);
    return c;
  }

  /** Step: core c's next instruction starts (and whatever starts before it on other cores). */
  stepCore(c: number): Stop {
    const k = this.trace.nextEvent(this.core(c), this.position);
    if (k < 0) return this.goEnd(c);
    this.position = k + 1;
    return this.afterStep(c);
  }

  /** Step within one engine: the engine's next instruction on core c starts. */
  stepEngine(c: number, e: number): Stop {
    if (e === CTRL) return this.stepCore(c);
    const k = this.trace.nextEvent(this.core(c), this.position, e);
    if (k < 0) return { reason: 'step', core: c, description: `${ENGINES[e]} has no instruction left to start on core ${c}; the session stays at cycle ${fmtCycle(this.cycle)}` };
    this.position = k + 1;
    return this.afterStep(c);
  }

  /** Step out: run until the first instruction of a later layer is about to start on core c. */
  stepLayer(c: number): Stop {
    const next = this.trace.nextEvent(this.core(c), this.position);
    if (next < 0) return this.goEnd(c);
    const layer = this.trace.layerOf[this.trace.evInstr[next]!]!;
    const k = this.trace.nextLayerEvent(c, next + 1, layer);
    if (k < 0) return this.goEnd(c);
    this.position = k;
    const l = this.program.layers[this.trace.layerOf[this.trace.evInstr[k]!]!];
    return { reason: 'step', core: c, description: `Layer ${l?.name ?? '?'} is about to start on core ${c}` };
  }

  /** Step back: un-start core c's last started instruction. */
  stepBack(c: number): Stop {
    const k = this.trace.prevEvent(this.core(c), this.position);
    if (k < 0) {
      this.position = 0;
      return this.entryStop();
    }
    this.position = k;
    return { reason: 'step', core: c, description: `Stepped back to cycle ${fmtCycle(this.cycle)}` };
  }

  private afterStep(c: number): Stop {
    if (this.atEnd) return this.endStop(c);
    return { reason: 'step', core: c, description: `Cycle ${fmtCycle(this.cycle)}` };
  }

  private goEnd(c: number): Stop {
    this.position = this.trace.events;
    return this.endStop(c);
  }

  /** Jump to a cycle (the timeline's click): the first start at or after it. */
  gotoCycle(t: number): Stop {
    this.position = this.trace.positionAtCycle(t);
    return { reason: 'goto', core: this.atEnd ? 0 : this.trace.evCore[this.position]!, description: `Jumped to cycle ${fmtCycle(this.cycle)}` };
  }

  /** Jump to just before instruction i starts on core c. */
  gotoInstr(c: number, i: number): Stop | { error: string } {
    const k = this.trace.rank[this.core(c)]![i];
    if (k === undefined || k < 0) return { error: `${this.where(i)} never starts on core ${c}${this.trace.status === 'deadlock' ? ' (the program deadlocks before it)' : ''}` };
    this.position = k;
    return { reason: 'goto', core: c, description: `Jumped to ${this.where(i)} on core ${c}, cycle ${fmtCycle(this.cycle)}` };
  }

  /**
   * Continue forward or backward to the next breakpoint, data breakpoint, problem, the end or the
   * start. Runs a slice at a time (yielding between slices) when it has to execute instructions, so
   * that pause() can stop it.
   */
  async run(forward: boolean, core: number, yieldNow: () => Promise<void> = () => new Promise((r) => setImmediate(r)), sliceMs = 8): Promise<Stop> {
    this.pauseRequested = false;
    const k0 = this.position;
    if (forward && this.stopOnProblems && this.order.state === 'running' && this.orderStarted) await this.waitOrder();
    // The nearest line breakpoint or problem in the direction of travel.
    const problems = this.problemStops();
    let limit = forward ? this.trace.events : 0;
    let stop: Stop | undefined;
    const bpIdx = this.bpSearch(k0, forward);
    if (bpIdx !== undefined) {
      limit = bpIdx;
      const ids = this.bpAt.get(bpIdx)!;
      const c = this.trace.evCore[bpIdx]!;
      stop = { reason: 'breakpoint', core: c, description: `Breakpoint at ${this.where(this.trace.evInstr[bpIdx]!)} on core ${c}, cycle ${fmtCycle(this.trace.evStart[bpIdx]!)}`, hitBreakpointIds: ids };
    }
    for (const [k, pr] of problems) {
      if (forward ? k > k0 && k < limit : k < k0 && k > limit) {
        limit = k;
        stop = { reason: 'exception', core: this.trace.evCore[k]!, description: `Problem at ${this.where(pr.instr)} (${pr.code})`, text: pr.message };
      }
    }
    // Data breakpoints: execute the watched cores' events up to the limit.
    const watched = this.watchedCores();
    if (watched.length > 0) {
      const found = forward ? await this.dataForward(k0, limit, watched, yieldNow, sliceMs) : await this.dataBackward(k0, limit, watched, yieldNow);
      if (found) return found;
    }
    this.position = limit;
    if (stop) return stop;
    if (forward) return this.endStop(core);
    return { ...this.entryStop(), description: 'Back at the start: no breakpoint before this point' };
  }

  private bpSearch(k0: number, forward: boolean): number | undefined {
    const s = this.bpStops;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= k0) lo = mid + 1;
      else hi = mid;
    }
    // s[lo] is the first stop > k0.
    if (forward) return lo < s.length ? s[lo] : undefined;
    let j = lo - 1;
    while (j >= 0 && s[j]! >= k0) j--;
    return j >= 0 ? s[j] : undefined;
  }

  private async dataForward(k0: number, limit: number, watched: number[], yieldNow: () => Promise<void>, sliceMs: number): Promise<Stop | undefined> {
    for (const c of watched) this.memory(c);
    let t = performance.now();
    for (let k = k0; k < limit; k++) {
      const c = this.trace.evCore[k]!;
      if (!watched.includes(c)) continue;
      const m = this.memories[c]!;
      m.moveTo(this.trace.evLocal[k]!);
      const hits = this.dataHits(k, m.forward(), true);
      if (hits.length > 0) {
        this.position = k + 1;
        return this.dataStop(k, hits);
      }
      if (performance.now() - t >= sliceMs) {
        await yieldNow();
        t = performance.now();
        if (this.pauseRequested) {
          this.position = k + 1;
          return { reason: 'pause', core: c, description: `Paused at cycle ${fmtCycle(this.cycle)}` };
        }
      }
    }
    return undefined;
  }

  /** The last watched write before k0 (and after `limit`): replays windows backwards from checkpoints. */
  private async dataBackward(k0: number, limit: number, watched: number[], yieldNow: () => Promise<void>): Promise<Stop | undefined> {
    let best = -1;
    let bestHits: DataBp[] = [];
    for (const c of watched) {
      const mem = this.coreMemory(c);
      // Events of c whose write would put the stop before k0: k + 1 < k0, and k >= limit.
      let end = this.trace.localCount(c, k0 - 1);
      const floor = this.trace.localCount(c, limit);
      const WINDOW = 512;
      while (end > floor) {
        const startL = Math.max(floor, end - WINDOW);
        mem.moveTo(startL);
        let last = -1;
        let lastHits: DataBp[] = [];
        for (let j = startL; j < end; j++) {
          const k = this.trace.coreEvents[c]![j]!;
          const hits = this.dataHits(k, mem.forward(), false);
          if (hits.length > 0) {
            last = k;
            lastHits = hits;
          }
        }
        if (last >= 0) {
          if (last > best) {
            best = last;
            bestHits = lastHits;
          }
          break;
        }
        end = startL;
        await yieldNow();
        if (this.pauseRequested) {
          this.position = this.trace.coreEvents[c]![startL] ?? 0;
          return { reason: 'pause', core: c, description: `Paused at cycle ${fmtCycle(this.cycle)}` };
        }
      }
    }
    if (best < 0) return undefined;
    this.position = best + 1;
    return this.dataStop(best, bestHits);
  }

  private dataStop(k: number, hits: DataBp[]): Stop {
    const c = this.trace.evCore[k]!;
    const i = this.trace.evInstr[k]!;
    return {
      reason: 'data breakpoint',
      core: c,
      description: `${this.where(i)} on core ${c} wrote (${hits.map((h) => h.label).join('; ')}) at cycle ${fmtCycle(this.trace.evStart[k]!)}`,
      hitBreakpointIds: hits.map((h) => h.id),
    };
  }

  // ---- State --------------------------------------------------------------------------------------

  /** Core c's frames: one per engine (and END once only it is left), the next to start first. */
  frames(c: number): Frame[] {
    const states = this.trace.engineStates(this.core(c), this.position);
    const next = this.trace.nextEvent(c, this.position);
    const nextEngine = next >= 0 ? this.trace.engineOf(this.trace.evInstr[next]!) : -1;
    const p = this.program;
    const frames: Frame[] = [];
    for (const s of states) {
      // END shows once only it is left; an engine the program never uses has no instruction to show.
      if ((s.engine === CTRL && s.status === 'waiting') || s.status === 'unused') continue;
      const i = s.instr;
      frames.push({
        id: frameId(c, s.engine),
        core: c,
        engine: s.engine,
        name: `${s.name}: ${s.status}${i >= 0 ? ` — ${p.instrs[i]!.spec.mnemonic}` : ''}`,
        line: i >= 0 && p.lines ? p.lines[i]! : 0,
        column: i >= 0 && p.cols ? p.cols[i]! : 1,
        instr: i,
        state: s,
      });
    }
    // The engine whose instruction starts next on this core on top; then busy, waiting, the rest.
    const order = (f: Frame) => (f.engine === nextEngine ? 0 : f.state.status === 'busy' ? 1 : f.state.status === 'waiting' || f.state.status === 'blocked' ? 2 : f.instr >= 0 ? 3 : 4);
    return frames.sort((a, b) => order(a) - order(b) || a.engine - b.engine);
  }

  /** The variables of one frame's scopes. */
  scopes(frame: number): { name: string; expensive: boolean; children: () => VarNode[] }[] {
    const { core, engine } = frameOf(frame);
    this.core(core);
    const f = this.frames(core).find((x) => x.engine === engine);
    return [
      { name: f && f.instr >= 0 ? `Instruction (${ENGINE_NAMES[engine]})` : `${ENGINE_NAMES[engine]} (no instruction)`, expensive: false, children: () => (f && f.instr >= 0 ? this.instructionVars(core, f.instr) : []) },
      { name: `Engines (core ${core})`, expensive: false, children: () => this.engineVars(core) },
      { name: `Tokens (core ${core})`, expensive: false, children: () => this.tokenVars(core) },
      { name: 'Run', expensive: false, children: () => this.runVars() },
      { name: `Memory (core ${core})`, expensive: false, children: () => this.memoryVars(core) },
    ];
  }

  instructionVars(core: number, i: number): VarNode[] {
    const p = this.program;
    const ins = p.instrs[i]!;
    const out: VarNode[] = [
      { name: 'mnemonic', value: ins.spec.mnemonic, type: `${ENGINE_NAMES[this.trace.engineOf(i)]} engine` },
      { name: 'line', value: p.lines ? String(p.lines[i]) : `instruction ${i}` },
    ];
    const l = this.trace.layerOf[i]!;
    if (l >= 0) out.push({ name: 'layer', value: p.layers[l]!.name });
    const fields: VarNode[] = ins.spec.fields.map((fs, k) => ({ name: fs.name, value: formatValue(fs, ins.values[k]!, p.arch), type: fs.doc }));
    out.push({ name: 'fields', value: `${fields.length} decoded fields`, children: () => fields });
    const t = instructionTiming(this.trace.timing, i, core);
    if (t) {
      const rows: VarNode[] = [
        { name: 'start', value: fmtCycle(t.start) },
        { name: 'end', value: t.end >= 0 ? fmtCycle(t.end) : 'never' },
        { name: 'cycles', value: fmtCycle(t.cycles) },
        { name: 'ready', value: fmtCycle(t.ready), type: 'when its last token was given (or its engine freed)' },
        { name: 'token stall', value: t.stall.token > 0 ? `${fmtCycle(t.stall.token)} cycles (last token from ${t.stall.tokenFrom ?? '?'})` : '0' },
        { name: 'engine busy stall', value: fmtCycle(t.stall.engineBusy) },
        { name: 'DDR contention stall', value: fmtCycle(t.stall.ddrContention) },
        { name: 'DDR bytes', value: String(t.bytes) },
        { name: 'MACs', value: String(t.macs) },
      ];
      out.push({ name: 'timing', value: `cycles ${fmtCycle(t.start)}..${t.end >= 0 ? fmtCycle(t.end) : '?'}`, children: () => rows });
    } else out.push({ name: 'timing', value: `never starts on core ${core}` });
    return out;
  }

  engineVars(core: number): VarNode[] {
    return this.trace.engineStates(core, this.position).map((s) => ({ name: s.name, value: s.text, type: s.status }));
  }

  tokenVars(core: number): VarNode[] {
    const counters = this.trace.counters(core, this.position);
    const gives = this.trace.gives;
    const out: VarNode[] = [];
    for (let a = 0; a < ENGINE_COUNT; a++)
      for (let b = 0; b < ENGINE_COUNT; b++) {
        const k = a * ENGINE_COUNT + b;
        if (gives[k] === 0 && counters[k] === 0) continue;
        out.push({ name: `${ENGINES[a]}->${ENGINES[b]}`, value: String(counters[k]), type: `${gives[k]} given over the program` });
      }
    if (out.length === 0) out.push({ name: '(none)', value: 'the program moves no token' });
    return out;
  }

  runVars(): VarNode[] {
    const t = this.trace;
    const o = this.order;
    const orderText =
      o.state === 'running'
        ? 'checking (a program-order run with the race checker, in the background)'
        : o.state === 'skipped'
          ? `not checked: ${o.note}`
          : o.problems.some((p) => p.code === 'race' || p.code === 'order')
            ? `DEPENDS ON THE ORDER: ${o.problems.filter((p) => p.code === 'race' || p.code === 'order').length} race(s) or order inversion(s)`
            : 'independent of the order (no race, no order inversion)';
    const problems = [...(o.state === 'done' ? o.problems : []), ...this.timeOrderProblems];
    const vars: VarNode[] = [
      { name: 'cycle', value: fmtCycle(this.cycle) },
      { name: 'position', value: `${this.position} of ${t.events} instruction starts` },
      { name: 'status', value: this.atEnd ? (this.deadlock ? 'deadlocked' : 'ended') : 'running' },
      { name: 'program', value: `${path.basename(this.loaded.file)}${this.loaded.segment.count > 1 ? ` segment ${this.loaded.segment.name}` : ''}: ${this.program.count} instructions on ${this.program.arch.name}, ${t.cores} core${t.cores === 1 ? '' : 's'}` },
      { name: 'total cycles', value: fmtCycle(t.timing.cycles) },
      { name: 'result vs order', value: orderText },
    ];
    if (this.deadlock) vars.push({ name: 'deadlock', value: this.deadlock.message });
    vars.push({
      name: 'problems',
      value: `${problems.length}`,
      ...(problems.length > 0 ? { children: () => problems.map((pr, k) => ({ name: `${k + 1}: ${pr.severity} ${pr.code}`, value: pr.message, type: pr.instr >= 0 ? this.where(pr.instr) : 'program' })) } : {}),
    });
    return vars;
  }

  memoryVars(core: number): VarNode[] {
    const arch = this.program.arch;
    const groups: VarNode[] = arch.bankGroups.map((g) => ({
      name: g.name,
      value: `${g.count} bank${g.count === 1 ? '' : 's'} of ${g.depth} x ${g.width} bytes (${g.role})`,
      children: () =>
        Array.from({ length: g.count }, (_, k) => {
          const id = g.baseId + k;
          return { name: `${g.name}[${k}]`, value: this.bankSummary(core, id), type: `bank ${id}`, memoryReference: `core${core}/bank/${id}` };
        }),
    }));
    const regions: VarNode[] = this.program.regions.map((r, k) => ({
      name: r.name,
      value: `reg ${r.reg} at ${hex(r.offset)}, ${r.size} bytes${r.file ? ` (from ${r.file})` : ''}`,
      type: 'DDR region',
      memoryReference: `core${core}/ddr/${k}`,
    }));
    return [
      { name: 'banks', value: `${arch.bankGroups.length} groups`, children: () => groups },
      { name: 'DDR regions', value: `${regions.length}`, children: () => regions },
    ];
  }

  private bankSummary(core: number, id: number): string {
    const m = this.memory(core);
    const b = m.machine.banks;
    const init = b.init.subarray(b.addrBase[id]!, b.addrBase[id]! + b.depth[id]!);
    let n = 0;
    for (const x of init) n += x;
    return `${n} of ${b.depth[id]} addresses written`;
  }

  /** A memory reference: `core<c>/bank/<id>` or `core<c>/ddr/<region index>`. */
  parseMemoryReference(ref: string): { core: number; kind: 'bank' | 'ddr'; space: number } | { error: string } {
    const m = /^core(\d+)\/(bank|ddr)\/(\d+)$/.exec(ref);
    if (!m) return { error: `unknown memory reference '${ref}' (expected core<N>/bank/<id> or core<N>/ddr/<region>)` };
    const core = Number(m[1]);
    const space = Number(m[3]);
    if (core >= this.cores) return { error: `core ${core} is not simulated` };
    if (m[2] === 'bank' && !this.program.arch.bankGroupOf[space]) return { error: `bank ${space} is not a bank of ${this.program.arch.name}` };
    if (m[2] === 'ddr' && !this.program.regions[space]) return { error: `DDR region ${space} does not exist` };
    return { core, kind: m[2] as 'bank' | 'ddr', space };
  }

  /** Bytes of a bank (as one byte array, address a at a x width) or DDR region at the current position. */
  readMemory(ref: string, offset: number, count: number): MemoryRead | { error: string } {
    const r = this.parseMemoryReference(ref);
    if ('error' in r) return r;
    const m = this.memory(r.core);
    let src: Int8Array;
    if (r.kind === 'bank') {
      const b = m.machine.banks;
      const size = b.width[r.space]! * b.depth[r.space]!;
      src = b.data.subarray(b.byteBase[r.space]!, b.byteBase[r.space]! + size);
    } else src = (m.ddr as DdrImage).regions[r.space]!.data;
    const from = Math.max(0, Math.min(offset, src.length));
    const to = Math.max(from, Math.min(offset + count, src.length));
    const data = new Uint8Array(src.buffer, src.byteOffset + from, to - from).slice();
    return { address: from, data, unreadable: Math.max(0, count - (to - from)) };
  }

  /** Evaluate a debug-console expression at a frame's instruction (or the session's next one). */
  evaluate(text: string, frame?: number): string {
    const f = frame !== undefined ? frameOf(frame) : { core: 0, engine: -1 };
    let instr = -1;
    if (frame !== undefined) instr = this.frames(f.core).find((x) => x.engine === f.engine)?.instr ?? -1;
    if (instr < 0) {
      const k = this.trace.nextEvent(f.core, this.position);
      instr = k >= 0 ? this.trace.evInstr[k]! : Math.max(0, this.program.count - 1);
    }
    const e = parseExpression(text);
    const v = evaluate(e, this.env(f.core, instr, this.cycle));
    return typeof v === 'number' ? String(Number(v.toFixed(4))) : String(v);
  }

  // ---- Exports ----------------------------------------------------------------------------------

  /** The simulator's Chrome trace JSON (Perfetto) of this session's timing run. */
  perfettoTrace(): string {
    return JSON.stringify(chromeTrace(this.program, this.trace.timing));
  }

  /** The instruction about to start at the current position (for the timeline's cursor), if any. */
  nextStart(): { core: number; instr: number } | undefined {
    if (this.atEnd) return undefined;
    return { core: this.trace.evCore[this.position]!, instr: this.trace.evInstr[this.position]! };
  }

  get memoryBytes(): number {
    return this.memories.reduce((s, m) => s + (m?.memoryBytes ?? 0), 0);
  }
}
