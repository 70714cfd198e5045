// What the simulators take: decoded instructions on an architecture, with where each one came from
// (source line, or word offset in a binary), the layer markers and the DDR regions.
//
// Both an assembled .dnnasm (AsmProgram) and a raw .dnnbin (words) become a SimProgram; a program
// package loader can build one too, from its manifest. The simulators return plain data whose problems
// point back at instructions by index, so the CLI, the language server and the debugger can each
// place them.

import type { Arch } from '../arch/model';
import type { AsmProgram } from '../asm/assemble';
import type { LineIndex } from '../asm/ast';
import { decodeProgram, type BinaryError, type Instr } from '../isa/encoding';
import { ENGINES, INSTRUCTIONS, type Mnemonic } from '../isa/table';

export interface SimLayer {
  readonly name: string;
  /** Instructions [first, end) belong to the layer. */
  readonly first: number;
  readonly end: number;
  /** 1-based line of the `.layer` marker, when known. */
  readonly line?: number;
}

/** A DDR region: `size` bytes at byte `offset` of base register `reg`. */
export interface SimRegion {
  readonly name: string;
  readonly reg: number;
  readonly offset: number;
  readonly size: number;
  /** Initial contents: a path relative to the program file. */
  readonly file?: string;
  /** 1-based line of the `.ddr` directive, when known. */
  readonly line?: number;
}

export interface SimProgram {
  readonly arch: Arch;
  readonly instrs: readonly Instr[];
  /** 1-based source line and column of each instruction (programs from assembly text). */
  readonly lines?: Int32Array;
  readonly cols?: Int32Array;
  /** Word offset of each instruction in the binary. */
  readonly wordOffsets: Int32Array;
  readonly layers: readonly SimLayer[];
  readonly regions: readonly SimRegion[];
  /** Instructions that run: everything up to and including the first END (all, if there is none). */
  readonly count: number;
  /** Index of the first END, or -1. */
  readonly endIndex: number;
  /** Images one run computes (`.batch`): throughput counts this many per run. */
  readonly batch: number;
}

export type ProblemCode =
  | 'deadlock'
  | 'unbalanced-tokens'
  | 'end-mask'
  | 'no-end'
  | 'no-init'
  | 'race'
  | 'order'
  | 'uninitialized'
  | 'bank'
  | 'ddr-region'
  | 'unsupported'
  | 'field'
  | 'limit';

export interface SimProblem {
  readonly severity: 'error' | 'warning';
  readonly code: ProblemCode;
  /** What is wrong and what to do; names the instructions involved by their location. */
  readonly message: string;
  /** The instruction the problem is located at, or -1 for the program as a whole. */
  readonly instr: number;
  /** Other instructions involved (the other side of a race, the other blocked instructions). */
  readonly related?: readonly number[];
}

export function programFromAsm(p: AsmProgram, index?: LineIndex): SimProgram {
  const n = p.instrs.length;
  const lines = new Int32Array(n);
  const cols = new Int32Array(n);
  const wordOffsets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ins = p.instrs[i]!;
    lines[i] = ins.line + 1;
    cols[i] = index ? index.position(ins.start).character + 1 : 1;
    wordOffsets[i] = ins.word;
  }
  const layers = p.layers.map((l) => ({ name: l.name, first: l.first, end: l.end, line: l.line + 1 }));
  const regions = p.regions.map((r) => ({ name: r.name, reg: r.reg, offset: r.offset, size: r.size, line: r.line + 1, ...(r.file !== undefined ? { file: r.file } : {}) }));
  return finish({ arch: p.arch, instrs: p.instrs, lines, cols, wordOffsets, layers, regions, batch: p.batch ?? 1 });
}

/** A program from a raw instruction stream. Decoding errors come back; the program holds what decoded. */
export function programFromWords(words: Uint32Array, arch: Arch, regions: readonly SimRegion[] = [], layers: readonly SimLayer[] = []): { program: SimProgram; errors: BinaryError[] } {
  const { instrs, offsets, errors } = decodeProgram(words);
  return { program: finish({ arch, instrs, wordOffsets: Int32Array.from(offsets), layers, regions, batch: 1 }), errors };
}

/** A program from instructions built in code (tests, generators). */
export function programFromInstrs(instrs: readonly Instr[], arch: Arch, layers: readonly SimLayer[] = [], regions: readonly SimRegion[] = [], batch = 1): SimProgram {
  const wordOffsets = new Int32Array(instrs.length);
  let w = 0;
  for (let i = 0; i < instrs.length; i++) {
    wordOffsets[i] = w;
    w += instrs[i]!.spec.words;
  }
  return finish({ arch, instrs, wordOffsets, layers, regions, batch });
}

function finish(p: Omit<SimProgram, 'count' | 'endIndex'>): SimProgram {
  const endIndex = p.instrs.findIndex((i) => i.spec.mnemonic === 'END');
  return { ...p, count: endIndex < 0 ? p.instrs.length : endIndex + 1, endIndex };
}

/** Where instruction `i` is, for messages: "line 42", or "instruction 7 (word 35)" in a binary. */
export function where(p: SimProgram, i: number): string {
  if (p.lines) return `line ${p.lines[i]}`;
  return `instruction ${i} (word ${p.wordOffsets[i]})`;
}

/** "CONV at line 42". */
export function described(p: SimProgram, i: number): string {
  return `${p.instrs[i]!.spec.mnemonic} at ${where(p, i)}`;
}

/** Engine index of an instruction: 0..3 in the order of ENGINES (the mask bit order), 4 for END. */
export const CTRL = 4;
/** Engine index by opcode (hot in the simulators' set-up loops; a Map lookup by name is slower). */
const ENGINE_BY_OPCODE = new Int8Array(16).fill(CTRL);
for (const s of INSTRUCTIONS) ENGINE_BY_OPCODE[s.opcode] = s.engine === 'CTRL' ? CTRL : ENGINES.indexOf(s.engine);
export function engineOf(instr: Instr): number {
  return ENGINE_BY_OPCODE[instr.spec.opcode]!;
}

/** Opcodes by mnemonic, for switches in hot loops (a number compares faster than a string). */
export const OP = Object.freeze(Object.fromEntries(INSTRUCTIONS.map((s) => [s.mnemonic, s.opcode]))) as Readonly<Record<Mnemonic, number>>;

export function engineName(e: number): string {
  return e === CTRL ? 'END' : ENGINES[e]!;
}
