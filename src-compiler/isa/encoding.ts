// Binary encoding of instructions, driven entirely by the ISA table.
//
// A `.dnnbin` is the raw instruction stream: 32-bit little-endian words in program order, no header.

import {
  FOREIGN_OPCODES,
  INSTRUCTIONS,
  OPCODE_HI,
  OPCODE_LO,
  UNUSABLE_ACTIVATIONS,
  enumName,
  fieldMask,
  specByOpcode,
  type FieldSpec,
  type InstrSpec,
} from './table';
import { limitHint, limits } from '../util/limits';

/** A decoded instruction: its spec and one value per field of `spec.fields`, decoded (not value-1). */
export interface Instr {
  readonly spec: InstrSpec;
  readonly values: number[];
}

/** Bits of each word that no field (nor the opcode) covers, per instruction: must be zero. */
const reservedMasks = new Map<InstrSpec, number[]>();
for (const s of INSTRUCTIONS) {
  const used = new Array<number>(s.words).fill(0);
  used[0] = (fieldMask({ hi: OPCODE_HI, lo: OPCODE_LO }) << OPCODE_LO) >>> 0;
  for (const fs of s.fields) used[fs.word] = (used[fs.word]! | (fs.mask << fs.lo)) >>> 0;
  reservedMasks.set(
    s,
    used.map((u) => ~u >>> 0),
  );
}

/** The value the word stores for decoded value `v` of field `fs`. */
export function rawOf(fs: FieldSpec, v: number): number {
  return fs.minusOne ? v - 1 : v;
}

/** Check one decoded value against its field's legal range and codes. Returns a reason, or undefined. */
export function checkValue(fs: FieldSpec, v: number): string | undefined {
  if (!Number.isInteger(v)) return `${fs.name} must be an integer, got ${v}`;
  if (fs.values) {
    if (enumName(fs, v) !== undefined) return undefined;
    const why = UNUSABLE_ACTIVATIONS[v];
    const legal = Object.entries(fs.values)
      .map(([n, c]) => `${n} (${c})`)
      .join(', ');
    return `${fs.name}=${v} is not legal${why && fs.name === 'act_type' ? `: ${why}` : ''}; use one of ${legal}`;
  }
  if (v < fs.min || v > fs.max) return `${fs.name}=${v} is out of range ${fs.min}..${fs.max}`;
  return undefined;
}

/** Encode into `out` at word offset `at`. Values must already be legal (the assembler checks them). */
export function encodeInto(instr: Instr, out: Uint32Array, at: number): void {
  const { spec, values } = instr;
  for (let w = 0; w < spec.words; w++) out[at + w] = 0;
  out[at] = (spec.opcode << OPCODE_LO) >>> 0;
  const fields = spec.fields;
  for (let i = 0; i < fields.length; i++) {
    const fs = fields[i]!;
    const raw = rawOf(fs, values[i]!) & fs.mask;
    out[at + fs.word] = (out[at + fs.word]! | (raw << fs.lo)) >>> 0;
  }
}

export function encodeProgram(instrs: readonly Instr[]): Uint32Array {
  let words = 0;
  for (const i of instrs) words += i.spec.words;
  const out = new Uint32Array(words);
  let at = 0;
  for (const i of instrs) {
    encodeInto(i, out, at);
    at += i.spec.words;
  }
  return out;
}

/** A problem in a binary, located by the word offset where the instruction starts (and the word at fault). */
export interface BinaryError {
  /** Word offset of the instruction's first word. */
  readonly instrWord: number;
  /** Word offset of the word at fault. */
  readonly word: number;
  readonly message: string;
}

export interface DecodeResult {
  readonly instrs: Instr[];
  /** Word offset where each decoded instruction starts. */
  readonly offsets: number[];
  readonly errors: BinaryError[];
}

/**
 * Decode a whole stream. Unknown opcodes, truncated instructions, nonzero reserved bits and illegal
 * codes are reported with their word offset; decoding stops at the first error that loses the
 * instruction boundary (unknown opcode, truncation).
 */
export function decodeProgram(words: Uint32Array): DecodeResult {
  const instrs: Instr[] = [];
  const offsets: number[] = [];
  const errors: BinaryError[] = [];
  let at = 0;
  while (at < words.length) {
    const w0 = words[at]!;
    const opcode = w0 >>> OPCODE_LO;
    const spec = specByOpcode(opcode);
    if (!spec) {
      const foreign = FOREIGN_OPCODES[opcode];
      errors.push({
        instrWord: at,
        word: at,
        message: `word ${at}: opcode 0x${opcode.toString(16)} is ${foreign ?? 'not a DPUV2 instruction'} (word 0x${hex8(w0)}); decoding stops here`,
      });
      break;
    }
    if (at + spec.words > words.length) {
      errors.push({
        instrWord: at,
        word: words.length - 1,
        message: `word ${at}: ${spec.mnemonic} needs ${spec.words} words but the stream ends after ${words.length - at}`,
      });
      break;
    }
    const reserved = reservedMasks.get(spec)!;
    for (let w = 0; w < spec.words; w++) {
      const bad = (words[at + w]! & reserved[w]!) >>> 0;
      if (bad !== 0)
        errors.push({
          instrWord: at,
          word: at + w,
          message: `word ${at + w} (${spec.mnemonic} at word ${at}, W${w}): reserved bits 0x${hex8(bad)} are set; they must be 0`,
        });
    }
    const values = new Array<number>(spec.fields.length);
    for (let i = 0; i < spec.fields.length; i++) {
      const fs = spec.fields[i]!;
      const raw = (words[at + fs.word]! >>> fs.lo) & fs.mask;
      const v = fs.minusOne ? raw + 1 : raw;
      values[i] = v;
      const why = checkValue(fs, v);
      if (why) errors.push({ instrWord: at, word: at + fs.word, message: `word ${at + fs.word} (${spec.mnemonic} at word ${at}): ${why}` });
    }
    instrs.push({ spec, values });
    offsets.push(at);
    at += spec.words;
  }
  return { instrs, offsets, errors };
}

/** Read a `.dnnbin` byte buffer as little-endian words; a length that is not a multiple of 4 is an error. */
export function wordsFromBytes(bytes: Uint8Array): { words: Uint32Array; error?: string } {
  // Even one-word instructions could not stay under the instruction limit past this size.
  const maxWords = limits().instructions * 5;
  if (bytes.length / 4 > maxWords) return { words: new Uint32Array(0), error: `the file is ${bytes.length} bytes, more than ${maxWords * 4}, which holds more instructions than the limit of ${limits().instructions}; ${limitHint('instructions')}` };
  const n = Math.floor(bytes.length / 4);
  const words = new Uint32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) words[i] = view.getUint32(i * 4, true);
  if (bytes.length % 4 !== 0)
    return {
      words,
      error: `the file is ${bytes.length} bytes, not a multiple of 4: word ${n} is truncated (${bytes.length % 4} trailing bytes)`,
    };
  return { words };
}

export function bytesFromWords(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < words.length; i++) view.setUint32(i * 4, words[i]!, true);
  return out;
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, '0');
}
