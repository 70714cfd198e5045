// Reading ONNX TensorProtos into typed arrays: raw_data (little-endian), the typed repeated fields,
// float16, and external data files. Sizes are checked against the declared dims before anything is
// allocated, and external files are read only from inside the model's folder.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../util/errors';
import { resolveInside } from '../../util/paths';
import { maxElements, shapeText } from '../../xgraph/shapes';
import { limitHint } from '../../util/limits';
import { ONNX_DTYPE, ONNX_DTYPE_NAME, type Int64, type PbTensor } from './schema';

export function int64(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  if (!Number.isSafeInteger(n)) throw new UserError(`integer ${n} is outside the range this importer handles`);
  return n;
}

export interface OnnxTensorValue {
  readonly shape: number[];
  /** float32 for FLOAT/FLOAT16/DOUBLE, int64 (held as float64) for the integer types. */
  readonly dtype: 'float32' | 'int64';
  readonly data: Float32Array | Float64Array;
}

/** IEEE half to float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const ELEM_BYTES: Readonly<Record<number, number>> = {
  [ONNX_DTYPE.FLOAT]: 4,
  [ONNX_DTYPE.FLOAT16]: 2,
  [ONNX_DTYPE.DOUBLE]: 8,
  [ONNX_DTYPE.INT64]: 8,
  [ONNX_DTYPE.INT32]: 4,
  [ONNX_DTYPE.UINT8]: 1,
  [ONNX_DTYPE.INT8]: 1,
  [ONNX_DTYPE.BOOL]: 1,
};

/** Read external data, confined to the model's folder. */
function externalBytes(t: PbTensor, modelFile: string, expected: number): Uint8Array {
  const kv = new Map(t.external_data.map((e) => [e.key, e.value]));
  const loc = kv.get('location');
  if (!loc) throw new UserError(`tensor '${t.name}' has external data without a location`, { file: modelFile });
  const real = resolveInside(path.dirname(path.resolve(modelFile)), loc, `tensor '${t.name}': external data file`, { file: modelFile });
  const offset = Number(kv.get('offset') ?? '0');
  const length = kv.has('length') ? Number(kv.get('length')) : expected;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
    throw new UserError(`tensor '${t.name}': invalid external data offset/length`, { file: modelFile });
  if (length !== expected) throw new UserError(`tensor '${t.name}': external data length ${length} does not match ${expected} bytes for its dims`, { file: modelFile });
  const size = fs.statSync(real).size;
  if (offset + length > size) throw new UserError(`tensor '${t.name}': external data ${offset}+${length} runs past the end of '${loc}' (${size} bytes)`, { file: modelFile });
  const buf = new Uint8Array(length);
  const fd = fs.openSync(real, 'r');
  try {
    fs.readSync(fd, buf, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

/** Decode a TensorProto. `what` names it in errors. */
export function readTensor(t: PbTensor, modelFile: string, what = `tensor '${t.name}'`): OnnxTensorValue {
  const shape = t.dims.map(int64);
  if (shape.some((d) => d < 0)) throw new UserError(`${what} has negative dims ${shapeText(shape)}`, { file: modelFile });
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > maxElements()) throw new UserError(`${what} declares ${n} elements ${shapeText(shape)}, more than the limit of ${maxElements()}; ${limitHint('tensorElements')}`, { file: modelFile });
  const dt = t.data_type;
  const bytes = ELEM_BYTES[dt];
  if (bytes === undefined || dt === ONNX_DTYPE.BOOL || dt === ONNX_DTYPE.UINT8 || dt === ONNX_DTYPE.INT8)
    throw new UserError(`${what} has data type ${ONNX_DTYPE_NAME[dt] ?? dt}; supported are float, float16, double, int32 and int64`, { file: modelFile });
  const isFloat = dt === ONNX_DTYPE.FLOAT || dt === ONNX_DTYPE.FLOAT16 || dt === ONNX_DTYPE.DOUBLE;
  let raw: Uint8Array | undefined;
  if (t.data_location === 1) raw = externalBytes(t, modelFile, n * bytes);
  else if (t.raw_data && t.raw_data.length > 0) raw = t.raw_data;
  const mismatch = (have: number) => new UserError(`${what} has ${have} values but its dims ${shapeText(shape)} need ${n}`, { file: modelFile });
  if (raw) {
    if (raw.length !== n * bytes) throw new UserError(`${what} has ${raw.length} bytes of raw data but its dims ${shapeText(shape)} need ${n * bytes}`, { file: modelFile });
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const d = isFloat ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      switch (dt) {
        case ONNX_DTYPE.FLOAT:
          d[i] = dv.getFloat32(4 * i, true);
          break;
        case ONNX_DTYPE.FLOAT16:
          d[i] = halfToFloat(dv.getUint16(2 * i, true));
          break;
        case ONNX_DTYPE.DOUBLE:
          d[i] = dv.getFloat64(8 * i, true);
          break;
        case ONNX_DTYPE.INT64: {
          const v = dv.getBigInt64(8 * i, true);
          d[i] = Number(v);
          break;
        }
        case ONNX_DTYPE.INT32:
          d[i] = dv.getInt32(4 * i, true);
          break;
      }
    }
    return { shape, dtype: isFloat ? 'float32' : 'int64', data: d };
  }
  switch (dt) {
    case ONNX_DTYPE.FLOAT: {
      if (t.float_data.length !== n) throw mismatch(t.float_data.length);
      return { shape, dtype: 'float32', data: Float32Array.from(t.float_data) };
    }
    case ONNX_DTYPE.DOUBLE: {
      if (t.double_data.length !== n) throw mismatch(t.double_data.length);
      return { shape, dtype: 'float32', data: Float32Array.from(t.double_data) };
    }
    case ONNX_DTYPE.FLOAT16: {
      // float16 values travel in int32_data, one per element (low 16 bits).
      if (t.int32_data.length !== n) throw mismatch(t.int32_data.length);
      return { shape, dtype: 'float32', data: Float32Array.from(t.int32_data, (v) => halfToFloat(v & 0xffff)) };
    }
    case ONNX_DTYPE.INT32: {
      if (t.int32_data.length !== n) throw mismatch(t.int32_data.length);
      return { shape, dtype: 'int64', data: Float64Array.from(t.int32_data) };
    }
    case ONNX_DTYPE.INT64: {
      if (t.int64_data.length !== n) throw mismatch(t.int64_data.length);
      return { shape, dtype: 'int64', data: Float64Array.from(t.int64_data, int64) };
    }
  }
  throw new UserError(`${what}: unsupported data type ${dt}`, { file: modelFile });
}
