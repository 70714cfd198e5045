// The DPUV2 instruction set: the one source of truth for every field layout.
//
// The assembler, disassembler, parser, hover docs, TextMate grammar, simulators and code generator all
// read this table; none of them restates a bit range. The layout is the one published in Xilinx's
// Apache-2.0 DPU instruction simulator (Vitis AI / VART `sim-runner`, `dpuv2.xml`), transcribed in
// ../shared/design/isa-fields.md. Bit ranges are [hi:lo] within a 32-bit word; `minusOne` fields store
// value-1 in the word and are written, read and documented by their decoded value.

/** The four engines of a DPU core, in the bit order of the dependency masks (bit0 LOAD ... bit3 MISC). */
export const ENGINES = ['LOAD', 'SAVE', 'CONV', 'MISC'] as const;
export type Engine = (typeof ENGINES)[number];
export const ENGINE_COUNT = ENGINES.length;

/**
 * How a field's value is read and written in assembly and checked against the architecture.
 * - `uint`: a plain unsigned number.
 * - `addr`: an address inside an on-chip bank (checked against the bank depth of the architecture).
 * - `bank`: a global bank id, written symbolically (`VB0[3]`, `CONVW[0]`, `BIAS`).
 * - `ddr`: a byte offset inside a DDR register region (`.ddr` regions give symbolic names).
 * - `reg`: a DDR base register (a `.ddr` region name stands for its register).
 * - `mask`: a dependency mask over ENGINES, written `LOAD|CONV` or `none`.
 * - `enum`: a code with names (activation, pool type, eltwise type).
 */
export type FieldKind = 'uint' | 'addr' | 'bank' | 'ddr' | 'reg' | 'mask' | 'enum';

/** Which bank groups a `bank` field may name, by the role the architecture gives each group. */
export type BankRole = 'image' | 'convWeights' | 'dwWeights' | 'bias';

export interface FieldSpec {
  readonly name: string;
  /** Word index within the instruction (0-based). */
  readonly word: number;
  readonly hi: number;
  readonly lo: number;
  /** The word stores value-1 (the "(-1)" convention of the published layout). */
  readonly minusOne: boolean;
  /** (2^(hi-lo+1) - 1): the field's bits aligned at bit 0. */
  readonly mask: number;
  /** Smallest and largest legal decoded value. Defaults to the range the bits can hold. */
  readonly min: number;
  readonly max: number;
  readonly kind: FieldKind;
  /** Value used when the assembly omits the field; fields without a default are required. */
  readonly default?: number;
  /** For `enum` fields: the legal codes and their assembly names. */
  readonly values?: Readonly<Record<string, number>>;
  /** For `enum` fields: the name of each legal code (the inverse of `values`). */
  readonly codeNames?: ReadonlyMap<number, string>;
  /** For `bank` fields: the bank roles the engine may address through this field. */
  readonly banks?: readonly BankRole[];
  /** One line for hover and docs. */
  readonly doc: string;
}

export type Mnemonic =
  | 'LOAD'
  | 'SAVE'
  | 'CONVINIT'
  | 'CONV'
  | 'POOLINIT'
  | 'POOL'
  | 'DWINIT'
  | 'DPTWISE'
  | 'ELEWINIT'
  | 'ELEW'
  | 'END';

/** END is dispatched to no compute engine: it retires when every engine has drained. */
export type InstrEngine = Engine | 'CTRL';

export interface InstrSpec {
  readonly mnemonic: Mnemonic;
  readonly opcode: number;
  readonly words: number;
  readonly engine: InstrEngine;
  /** Sets engine state for later instructions of its kind instead of doing work. */
  readonly isInit: boolean;
  /** The INIT whose state it reads: the latest one of that mnemonic before it in program order. (ELEW
   * reads ELEWINITs as a queue, `num` of them, so it has none here.) */
  readonly readsInit?: Mnemonic;
  readonly doc: string;
  /** All fields, the common header (dpdon, dpdby) first, then the instruction's own in word order. */
  readonly fields: readonly FieldSpec[];
  /** Index of each field in `fields`, by name. */
  readonly fieldIndex: Readonly<Record<string, number>>;
}

// Word 0 of every instruction: opcode [31:28], dpdon [27:24], dpdby [23:20].
export const OPCODE_HI = 31;
export const OPCODE_LO = 28;

/** Activation codes of CONVINIT and DPTWISE. PReLU (2), hard-sigmoid (5) and hard-swish (6) exist in the
 * enumeration but their parameters are never set on DPUV2, so they are not legal here. */
export const CONV_ACTIVATIONS = { none: 0, relu: 1, leaky_relu: 3, relu6: 4 } as const;
export const POOL_TYPES = { max: 0, avg: 1, max_reduce: 2 } as const;
export const ELEW_TYPES = { add: 0, mult: 1 } as const;
export const ELEW_ACTIVATIONS = { none: 0, relu: 1 } as const;

/** Codes that exist in the published enumeration but cannot be used on DPUV2, with the reason. */
export const UNUSABLE_ACTIVATIONS: Readonly<Record<number, string>> = {
  2: 'PReLU (act_type 2) has no slope parameters on DPUV2',
  5: 'hard-sigmoid (act_type 5) is not implemented for DPUV2',
  6: 'hard-swish (act_type 6) is not implemented for DPUV2',
  7: 'BN (act_type 7) is rejected by the CONV engine',
  8: 'BN+ReLU (act_type 8) is rejected by the CONV engine',
};

interface FieldDef {
  name: string;
  word: number;
  hi: number;
  lo: number;
  minusOne?: boolean;
  min?: number;
  max?: number;
  kind?: FieldKind;
  default?: number;
  values?: Record<string, number>;
  banks?: BankRole[];
  doc: string;
}

const IMAGE: BankRole[] = ['image'];

function f(
  name: string,
  word: number,
  hi: number,
  lo: number,
  doc: string,
  extra: Omit<FieldDef, 'name' | 'word' | 'hi' | 'lo' | 'doc'> = {},
): FieldDef {
  return { name, word, hi, lo, doc, ...extra };
}
/** A field stored as value-1. */
function m1(
  name: string,
  word: number,
  hi: number,
  lo: number,
  doc: string,
  extra: Omit<FieldDef, 'name' | 'word' | 'hi' | 'lo' | 'doc' | 'minusOne'> = {},
): FieldDef {
  return { name, word, hi, lo, doc, minusOne: true, ...extra };
}

const HEADER: FieldDef[] = [
  f('dpdon', 0, 27, 24, 'Wait, before starting, for one token from each engine in the mask (bit0 LOAD, bit1 SAVE, bit2 CONV, bit3 MISC).', {
    kind: 'mask',
    default: 0,
  }),
  f('dpdby', 0, 23, 20, 'Give, on completion, one token to each engine in the mask, for its instructions that wait on this engine.', {
    kind: 'mask',
    default: 0,
  }),
];

const DEFS: { mnemonic: Mnemonic; opcode: number; words: number; engine: InstrEngine; isInit: boolean; readsInit?: Mnemonic; doc: string; fields: FieldDef[] }[] = [
  {
    mnemonic: 'LOAD',
    opcode: 0x0,
    words: 5,
    engine: 'LOAD',
    isInit: false,
    doc: 'Copy `length` pixels of `channel` bytes each from DDR into an on-chip bank.',
    fields: [
      f('bank_addr', 0, 11, 0, 'First bank address written.', { kind: 'addr' }),
      f('bank_id', 0, 19, 14, 'Destination bank (image, weight or bias bank).', { kind: 'bank', banks: ['image', 'convWeights', 'dwWeights', 'bias'] }),
      m1('jump_write', 1, 9, 0, 'Bank address step between consecutive pixels.'),
      m1('jump_read', 1, 25, 10, 'DDR byte step between consecutive pixels.'),
      m1('length', 2, 9, 0, 'Number of pixels copied.'),
      m1('channel', 2, 23, 10, 'Bytes copied per pixel; the last bank address of a pixel is zero-filled to the bank width.'),
      m1('pad_idx', 2, 31, 27, 'Channel-augmentation padding: pixels from length-pad_idx on get their tail bytes zeroed.', { default: 1 }),
      f('reg_id', 3, 2, 0, 'DDR base register of the source region (a `.ddr` region name stands for its register).', { kind: 'reg' }),
      f('const_value', 3, 15, 8, 'Byte loaded into every position when broadcast = 7.', { default: 0 }),
      f('broadcast', 3, 19, 16, 'Load mode: 7 loads const_value instead of reading DDR; 0 reads DDR.', { default: 0 }),
      f('mode_avg', 3, 21, 20, 'Mean-value reduction shift (0 = off); needs a mean-value bank, which the ISA1 targets lack.', { default: 0 }),
      f('pad_end', 3, 26, 22, 'Channel-augmentation padding: bytes zeroed at the end of the pixels at the right border.', { default: 0 }),
      f('pad_start', 3, 31, 27, 'Channel-augmentation padding: bytes zeroed at the start of the pixels at the left border.', { default: 0 }),
      f('ddr_addr', 4, 28, 0, 'Byte offset of the first pixel inside the register\'s DDR space (a `.ddr` region name stands for its offset).', { kind: 'ddr' }),
    ],
  },
  {
    mnemonic: 'SAVE',
    opcode: 0x4,
    words: 5,
    engine: 'SAVE',
    isInit: false,
    doc: 'Copy `length` pixels of `channel` bytes each from an on-chip image bank to DDR.',
    fields: [
      f('bank_addr', 0, 11, 0, 'First bank address read.', { kind: 'addr' }),
      f('bank_id', 0, 19, 14, 'Source image bank.', { kind: 'bank', banks: IMAGE }),
      m1('jump_read', 1, 9, 0, 'Bank address step between consecutive pixels.'),
      m1('jump_write', 1, 25, 10, 'DDR byte step between consecutive pixels.'),
      f('argmax', 1, 28, 27, 'Argmax mode: bit1 enables it; bit0 selects the maximum value (1) or its index (0); one byte per pixel.', { default: 0 }),
      f('hp_id', 1, 30, 29, 'AXI port selector (inferred from the name); no effect on results.', { default: 0 }),
      m1('length', 2, 9, 0, 'Number of pixels copied.'),
      m1('channel', 2, 21, 10, 'Bytes written per pixel.'),
      f('reg_id', 3, 2, 0, 'DDR base register of the destination region.', { kind: 'reg' }),
      f('const_value', 3, 15, 8, 'Byte written to every position when const_en = 1.', { default: 0 }),
      f('const_en', 3, 16, 16, 'Write const_value instead of the bank contents.', { default: 0 }),
      f('ddr_addr', 4, 28, 0, 'Byte offset of the first pixel inside the register\'s DDR space.', { kind: 'ddr' }),
    ],
  },
  {
    mnemonic: 'CONVINIT',
    opcode: 0x9,
    words: 4,
    engine: 'CONV',
    isInit: true,
    doc: 'Set the CONV engine state (kernel, strides, shifts, activation, address steps) for the CONVs that follow.',
    fields: [
      m1('jump_read', 0, 9, 0, 'Input bank address step between consecutive pixels of a row.'),
      f('shift_cut', 0, 15, 10, 'Right shift of the biased accumulator (relative to the raw accumulator) before rounding.'),
      f('act_type', 0, 19, 16, 'Activation applied after scaling, before rounding.', { kind: 'enum', values: CONV_ACTIVATIONS }),
      m1('jump_read_endl', 1, 9, 0, 'Input bank address step between the rows held by one bank.'),
      f('shift_bias', 1, 15, 10, 'Left shift of the bias added to the doubled accumulator (bias weighs 2^(shift_bias-1)).', { max: 20 }),
      m1('stride_out', 1, 31, 28, 'Output rows held by each output bank.'),
      m1('jump_write', 2, 9, 0, 'Output bank address step between consecutive pixels of a row.'),
      f('stride_offset_in', 2, 12, 10, 'Slot of the first input row inside its bank (< stride_h).', { default: 0 }),
      m1('valid_pixel_parallel', 2, 15, 13, 'Output rows actually written (<= PP).'),
      m1('kernel_h', 2, 27, 24, 'Kernel height.'),
      m1('stride_h', 2, 31, 28, 'Vertical stride; also the input rows held by each input bank.'),
      m1('jump_write_endl', 3, 9, 0, 'Output bank address step between the rows held by one bank.'),
      f('stride_offset_out', 3, 12, 10, 'Slot of the first output row inside its bank (< stride_out).', { default: 0 }),
      m1('kernel_w', 3, 27, 24, 'Kernel width.'),
      m1('stride_w', 3, 31, 28, 'Horizontal stride.'),
    ],
  },
  {
    mnemonic: 'CONV',
    opcode: 0x8,
    words: 5,
    engine: 'CONV',
    isInit: false,
    readsInit: 'CONVINIT',
    doc: 'Convolve a tile: PP output rows x `length` output columns x OCP output channels over channel_group x ICP input channels.',
    fields: [
      f('bank_addr_in', 0, 11, 0, 'Base address of input address group 0.', { kind: 'addr' }),
      f('pad_top', 0, 15, 12, 'Input rows zeroed at the top of the tile.', { default: 0 }),
      f('pad_left', 0, 19, 16, 'Input columns zeroed at the left of the tile.', { default: 0 }),
      f('bank_addr_out', 1, 11, 0, 'First output bank address.', { kind: 'addr' }),
      f('pad_bottom', 1, 15, 12, 'Last valid kernel row index of the bottom window: rows past it are zeroed (kernel_h-1 = no padding).'),
      f('pad_right', 1, 19, 16, 'Last valid kernel column index of the right window: columns past it are zeroed (kernel_w-1 = no padding).'),
      m1('channel_group', 1, 31, 24, 'Input channels in units of ICP.'),
      f('bank_addr_weights', 2, 11, 0, 'First weight address in each CONVW bank.', { kind: 'addr' }),
      f('bank_id_in', 2, 17, 12, 'First input image bank.', { kind: 'bank', banks: IMAGE }),
      m1('length', 2, 31, 22, 'Output columns computed.'),
      f('bank_addr_bias', 3, 11, 0, 'Address of the OCP biases in the BIAS bank.', { kind: 'addr' }),
      f('bank_id_out', 3, 17, 12, 'First output image bank.', { kind: 'bank', banks: IMAGE }),
      f('bank_addr_in_1', 3, 29, 18, 'Base address of input address group 1.', { kind: 'addr', default: 0 }),
      f('bank_addr_in_2', 4, 11, 0, 'Base address of input address group 2.', { kind: 'addr', default: 0 }),
      f('bank_addr_in_3', 4, 23, 12, 'Base address of input address group 3.', { kind: 'addr', default: 0 }),
      f('channel_offset', 4, 28, 24, 'Trailing input channels forced to zero (input channels that are not a multiple of ICP).', { default: 0 }),
    ],
  },
  {
    mnemonic: 'POOLINIT',
    opcode: 0x6,
    words: 2,
    engine: 'MISC',
    isInit: true,
    doc: 'Set the pooling state (type, kernel, strides, shift, address steps) for the POOLs that follow.',
    fields: [
      m1('jump_read', 0, 9, 0, 'Input bank address step between consecutive pixels of a row.'),
      m1('kernel_h', 0, 12, 10, 'Pooling window height.'),
      m1('kernel_w', 0, 15, 13, 'Pooling window width (selects the average factor).'),
      f('shift_cut', 0, 19, 16, 'Output scale: 0..7 multiply by 2^shift_cut, 8..15 divide by 2^(shift_cut-8).', { default: 0 }),
      f('pool_type', 1, 1, 0, 'Pooling kind.', { kind: 'enum', values: POOL_TYPES }),
      m1('stride_h', 1, 4, 2, 'Vertical stride; also the input rows held by each input bank.'),
      m1('stride_w', 1, 7, 5, 'Horizontal stride.'),
      f('stride_offset_in', 1, 10, 8, 'Slot of the first input row inside its bank (< stride_h).', { default: 0 }),
      m1('valid_pixel_parallel', 1, 13, 11, 'Output rows actually written (<= the pool engine\'s pixel parallelism).'),
      f('stride_offset_out', 1, 16, 14, 'Slot of the first output row inside its bank (< stride_out).', { default: 0 }),
      m1('stride_out', 1, 20, 17, 'Output rows held by each output bank.'),
      m1('jump_write', 1, 30, 21, 'Output bank address step between consecutive pixels of a row.'),
    ],
  },
  {
    mnemonic: 'POOL',
    opcode: 0xc,
    words: 5,
    engine: 'MISC',
    isInit: false,
    readsInit: 'POOLINIT',
    doc: 'Pool a tile: valid_pixel_parallel output rows x `length` columns x channel_group x ICP channels.',
    fields: [
      f('bank_addr_in', 0, 11, 0, 'Base address of input address group 0.', { kind: 'addr' }),
      m1('channel_group', 0, 19, 12, 'Channels in units of ICP.'),
      f('bank_id_in', 1, 5, 0, 'First input image bank.', { kind: 'bank', banks: IMAGE }),
      f('pad_bottom', 1, 8, 6, 'Last valid kernel row index of the bottom window (kernel_h-1 = no padding).'),
      f('pad_right', 1, 11, 9, 'Last valid kernel column index of the right window (kernel_w-1 = no padding).'),
      f('pad_top', 1, 14, 12, 'Input rows padded at the top (-128 for max, 0 for average).', { default: 0 }),
      f('pad_left', 1, 17, 15, 'Input columns padded at the left.', { default: 0 }),
      m1('jump_write_endl', 1, 29, 18, 'Output bank address step between the rows held by one bank.'),
      f('bank_id_out', 2, 5, 0, 'First output image bank.', { kind: 'bank', banks: IMAGE }),
      m1('length', 2, 15, 6, 'Output columns computed.'),
      m1('jump_read_endl', 2, 27, 16, 'Input bank address step between the rows held by one bank.'),
      f('bank_addr_out', 3, 11, 0, 'First output bank address.', { kind: 'addr' }),
      f('bank_addr_in_1', 3, 23, 12, 'Base address of input address group 1.', { kind: 'addr', default: 0 }),
      m1('downsample_kernel_w', 3, 31, 24, 'Window width and stride of max_reduce.', { default: 1 }),
      f('bank_addr_in_2', 4, 11, 0, 'Base address of input address group 2.', { kind: 'addr', default: 0 }),
      f('bank_addr_in_3', 4, 23, 12, 'Base address of input address group 3.', { kind: 'addr', default: 0 }),
      m1('downsample_kernel_h', 4, 31, 24, 'Window height and stride of max_reduce.', { default: 1 }),
    ],
  },
  {
    mnemonic: 'DWINIT',
    opcode: 0xb,
    words: 3,
    engine: 'MISC',
    isInit: true,
    doc: 'Set the depthwise-conv state (kernel, strides, shifts, address steps) for the DPTWISEs that follow.',
    fields: [
      m1('jump_read_endl', 0, 9, 0, 'Input bank address step between the rows held by one bank.'),
      m1('jump_read', 0, 19, 10, 'Input bank address step between consecutive pixels of a row.'),
      m1('jump_write_endl', 1, 9, 0, 'Output bank address step between the rows held by one bank.'),
      m1('kernel_h', 1, 13, 10, 'Kernel height.'),
      m1('kernel_w', 1, 17, 14, 'Kernel width.'),
      m1('stride_h', 1, 21, 18, 'Vertical stride; also the input rows held by each input bank.'),
      m1('stride_w', 1, 25, 22, 'Horizontal stride.'),
      m1('valid_pixel_parallel', 1, 28, 26, 'Output rows actually written (<= the depthwise engine\'s pixel parallelism).'),
      f('stride_offset_in', 1, 31, 29, 'Slot of the first input row inside its bank (< stride_h).', { default: 0 }),
      f('shift_cut', 2, 5, 0, 'Right shift of the biased accumulator (relative to the raw accumulator) before rounding.'),
      f('shift_bias', 2, 11, 6, 'Left shift of the bias added to the doubled accumulator.', { max: 20 }),
      f('stride_offset_out', 2, 14, 12, 'Slot of the first output row inside its bank (< stride_out).', { default: 0 }),
      m1('stride_out', 2, 18, 15, 'Output rows held by each output bank.'),
      m1('jump_write', 2, 28, 19, 'Output bank address step between consecutive pixels of a row.'),
    ],
  },
  {
    mnemonic: 'DPTWISE',
    opcode: 0xa,
    words: 5,
    engine: 'MISC',
    isInit: false,
    readsInit: 'DWINIT',
    doc: 'Depthwise-convolve a tile: valid_pixel_parallel output rows x `length` columns x channel_group x ICP channels.',
    fields: [
      f('bank_addr_in', 0, 11, 0, 'Base address of input address group 0.', { kind: 'addr' }),
      m1('channel_group', 0, 19, 12, 'Channels in units of ICP.'),
      f('bank_addr_out', 1, 11, 0, 'First output bank address.', { kind: 'addr' }),
      f('pad_bottom', 1, 19, 16, 'Last valid kernel row index of the bottom window (kernel_h-1 = no padding).'),
      f('pad_top', 1, 23, 20, 'Input rows zeroed at the top of the tile.', { default: 0 }),
      f('pad_right', 1, 27, 24, 'Last valid kernel column index of the right window (kernel_w-1 = no padding).'),
      f('pad_left', 1, 31, 28, 'Input columns zeroed at the left of the tile.', { default: 0 }),
      f('bank_addr_weights', 2, 11, 0, 'First weight address in the DWCONVW bank.', { kind: 'addr' }),
      f('bank_id_in', 2, 17, 12, 'First input image bank.', { kind: 'bank', banks: IMAGE }),
      m1('length', 2, 27, 18, 'Output columns computed.'),
      f('act_type', 2, 31, 28, 'Activation applied after scaling, before rounding.', { kind: 'enum', values: CONV_ACTIVATIONS }),
      f('bank_addr_bias', 3, 11, 0, 'Address of the biases in the BIAS bank.', { kind: 'addr' }),
      f('bank_id_out', 3, 17, 12, 'First output image bank.', { kind: 'bank', banks: IMAGE }),
      f('bank_addr_in_1', 3, 29, 18, 'Base address of input address group 1.', { kind: 'addr', default: 0 }),
      f('bank_addr_in_2', 4, 11, 0, 'Base address of input address group 2.', { kind: 'addr', default: 0 }),
      f('bank_addr_in_3', 4, 23, 12, 'Base address of input address group 3.', { kind: 'addr', default: 0 }),
      f('channel_offset', 4, 28, 24, 'Trailing channels forced to zero.', { default: 0 }),
    ],
  },
  {
    mnemonic: 'ELEWINIT',
    opcode: 0xd,
    words: 3,
    engine: 'MISC',
    isInit: true,
    doc: 'Queue one eltwise input (bank, addressing, pre-shift); the next ELEW consumes `num` of them in order.',
    fields: [
      f('share_pp', 0, 13, 13, 'Broadcast one row of this input to every output row.', { default: 0 }),
      f('bank_id_in', 0, 19, 14, 'First bank of this input.', { kind: 'bank', banks: IMAGE }),
      f('bank_addr_in', 1, 13, 0, 'First address of this input.', { kind: 'addr' }),
      m1('jump_read_endl', 1, 26, 14, 'Address step each time the row walk wraps past the last bank of the group.'),
      f('id', 1, 28, 27, 'Position of this input in the ELEW that consumes it (0 first).'),
      m1('jump_bank', 1, 31, 29, 'Bank step between consecutive rows.', { default: 1 }),
      f('jump_read', 2, 11, 0, 'Address step between consecutive pixels (stored as is; 0 re-reads one pixel).'),
      f('shift_read', 2, 15, 12, 'Right shift of this input (after a left shift by 2) before combining.', { default: 0 }),
    ],
  },
  {
    mnemonic: 'ELEW',
    opcode: 0xe,
    words: 3,
    engine: 'MISC',
    isInit: false,
    doc: 'Combine `num` queued inputs element by element (add, or multiply two), scale, optionally ReLU, and write.',
    fields: [
      m1('length', 0, 10, 0, 'Pixels per row.'),
      f('act_type', 0, 11, 11, 'Activation after scaling.', { kind: 'enum', values: ELEW_ACTIVATIONS }),
      f('elew_type', 0, 13, 12, 'Combination.', { kind: 'enum', values: ELEW_TYPES }),
      f('bank_id_out', 0, 19, 14, 'First output bank.', { kind: 'bank', banks: IMAGE }),
      f('bank_addr_out', 1, 13, 0, 'First output address.', { kind: 'addr' }),
      m1('jump_write_endl', 1, 26, 14, 'Output address step each time the row walk wraps past the last bank of the group.'),
      m1('num', 1, 28, 27, 'Inputs consumed from the ELEWINIT queue (mult needs 2).'),
      m1('valid_pixel_parallel', 1, 31, 29, 'Rows processed (<= the eltwise engine\'s pixel parallelism).'),
      m1('jump_write', 2, 11, 0, 'Output address step between consecutive pixels.'),
      f('shift_write', 2, 16, 12, 'Output scale: below 16 multiply by 2^shift_write, from 16 divide by 2^(shift_write-16).'),
      m1('channel_group', 2, 24, 17, 'Channels in units of ICP.'),
    ],
  },
  {
    mnemonic: 'END',
    opcode: 0x7,
    words: 1,
    engine: 'CTRL',
    isInit: false,
    doc: 'End of program: retires once every engine has drained and its dependency tokens have arrived.',
    fields: [],
  },
];

function build(def: (typeof DEFS)[number]): InstrSpec {
  const fields: FieldSpec[] = [...HEADER, ...def.fields].map((d) => {
    const width = d.hi - d.lo + 1;
    const bitsMin = d.minusOne ? 1 : 0;
    const bitsMax = d.minusOne ? 2 ** width : 2 ** width - 1;
    let min = d.min ?? bitsMin;
    let max = d.max ?? bitsMax;
    if (d.values) {
      const codes = Object.values(d.values);
      min = Math.min(...codes);
      max = Math.max(...codes);
    }
    const spec: FieldSpec = {
      name: d.name,
      word: d.word,
      hi: d.hi,
      lo: d.lo,
      minusOne: d.minusOne ?? false,
      mask: fieldMask(d),
      min,
      max,
      kind: d.kind ?? 'uint',
      doc: d.doc,
      ...(d.default !== undefined ? { default: d.default } : {}),
      ...(d.values ? { values: Object.freeze(Object.assign(Object.create(null) as Record<string, number>, d.values)), codeNames: new Map(Object.entries(d.values).map(([k, v]) => [v, k])) } : {}),
      ...(d.banks ? { banks: Object.freeze([...d.banks]) } : {}),
    };
    return Object.freeze(spec);
  });
  // No prototype: a name in a program ('toString', 'constructor') must not find Object's members.
  const fieldIndex: Record<string, number> = Object.create(null) as Record<string, number>;
  fields.forEach((fs, i) => (fieldIndex[fs.name] = i));
  return Object.freeze({
    mnemonic: def.mnemonic,
    opcode: def.opcode,
    words: def.words,
    engine: def.engine,
    isInit: def.isInit,
    ...(def.readsInit ? { readsInit: def.readsInit } : {}),
    doc: def.doc,
    fields: Object.freeze(fields),
    fieldIndex: Object.freeze(fieldIndex),
  });
}

/** Every instruction of the ISA, in the order of the published opcode list. */
export const INSTRUCTIONS: readonly InstrSpec[] = Object.freeze(DEFS.map(build));

const byMnemonic = new Map<string, InstrSpec>(INSTRUCTIONS.map((s) => [s.mnemonic, s]));
const byOpcode: (InstrSpec | undefined)[] = new Array(16).fill(undefined);
for (const s of INSTRUCTIONS) byOpcode[s.opcode] = s;

/** Opcodes that belong to other ISA generations; named so that a binary holding them gets a clear error. */
export const FOREIGN_OPCODES: Readonly<Record<number, string>> = {
  0x1: 'ALUINIT (ISA1 ALU engine; its numerics are not published, so it is not supported)',
  0x2: 'ALU (ISA1 ALU engine; its numerics are not published, so it is not supported)',
};

export function specByMnemonic(mnemonic: string): InstrSpec | undefined {
  return byMnemonic.get(mnemonic) ?? byMnemonic.get(mnemonic.toUpperCase());
}

export function specByOpcode(opcode: number): InstrSpec | undefined {
  return byOpcode[opcode];
}

export function spec(mnemonic: Mnemonic): InstrSpec {
  return byMnemonic.get(mnemonic)!;
}

/** Index of a field in an instruction's value array; throws on a name that is not in the table (a bug). */
export function fieldIndex(mnemonic: Mnemonic, field: string): number {
  const i = spec(mnemonic).fieldIndex[field];
  if (i === undefined) throw new Error(`ISA table: ${mnemonic} has no field ${field}`);
  return i;
}

/** Name of the enum code `value` of field `fs`, if it has one. */
export function enumName(fs: FieldSpec, value: number): string | undefined {
  return fs.codeNames?.get(value);
}

/** Bits [hi:lo] as a mask aligned at bit 0. */
export function fieldMask(fs: { hi: number; lo: number }): number {
  const width = fs.hi - fs.lo + 1;
  return width >= 32 ? 0xffffffff : (2 ** width - 1) >>> 0;
}

/** Human-readable bit range, e.g. "W2[23:10]". */
export function fieldBits(fs: FieldSpec): string {
  return fs.hi === fs.lo ? `W${fs.word}[${fs.hi}]` : `W${fs.word}[${fs.hi}:${fs.lo}]`;
}

export function engineBit(engine: Engine): number {
  return 1 << ENGINES.indexOf(engine);
}

/** Mask text: `none` or engine names joined by `|`, lowest bit first. */
export function maskText(mask: number): string {
  if (mask === 0) return 'none';
  const parts: string[] = [];
  for (let b = 0; b < ENGINE_COUNT; b++) if (mask & (1 << b)) parts.push(ENGINES[b]!);
  return parts.join('|');
}
