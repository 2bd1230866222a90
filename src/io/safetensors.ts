// safetensors: an 8-byte little-endian header length, a JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { … } }, then the data.
// Parsing is bounds-checked: every failure is an EdgeClipError naming the file and the problem.

import { EdgeClipError } from "../errors.ts";

/** Data types we read, with their sizes in bytes. */
export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type Dtype = keyof typeof DTYPE_BYTES;

export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section (8 + JSON length). */
  readonly dataStart: number;
  readonly entries: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A header larger than this is not a model header (safetensors' own reader caps it at 100 MB). */
const MAX_HEADER = 100 * 2 ** 20;

function fail(file: string, msg: string, context: Record<string, unknown> = {}): never {
  throw new EdgeClipError("model_format", `${file}: ${msg}`, { file, ...context });
}

/** Length of the JSON header, from the first 8 bytes; checks it fits a file of `fileSize` bytes. */
export function headerLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (first8.length < 8 || fileSize < 8) fail(file, "too short to be a safetensors file");
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER || 8 + n > fileSize) {
    fail(
      file,
      `header length ${n} does not fit the file (${fileSize} bytes); truncated or not safetensors`,
    );
  }
  return n;
}

/**
 * Parses the JSON header. `fileSize` bounds the data offsets; data ranges must lie inside the file.
 */
export function parseHeader(json: Uint8Array, fileSize: number, file: string): SafetensorsHeader {
  const dataStart = 8 + json.length;
  let obj: unknown;
  try {
    obj = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (e) {
    fail(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) fail(file, "header is not an object");
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  const dataSize = fileSize - dataStart;
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (!v || typeof v !== "object" || Array.isArray(v)) {
        fail(file, "__metadata__ is not an object");
      }
      metadata = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]),
      );
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== "object") fail(file, `entry ${name} is not an object`);
    const dtype = e.dtype as Dtype;
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      fail(file, `tensor ${name} has unsupported dtype ${JSON.stringify(e.dtype)}`, { key: name });
    }
    const shape = e.shape;
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) fail(file, `tensor ${name} has an invalid shape ${JSON.stringify(shape)}`, { key: name });
    const off = e.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 ||
      !off.every((x) => Number.isSafeInteger(x) && x >= 0)
    ) fail(file, `tensor ${name} has invalid data_offsets`, { key: name });
    const [b, en] = off as number[];
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    if (en < b || en - b !== numel * DTYPE_BYTES[dtype]) {
      fail(
        file,
        `tensor ${name}: ${en - b} data bytes for ${dtype} ${JSON.stringify(shape)} (want ${
          numel * DTYPE_BYTES[dtype]
        })`,
        { key: name },
      );
    }
    if (en > dataSize) {
      fail(
        file,
        `tensor ${name} ends at byte ${en} past the data section (${dataSize}); truncated`,
        {
          key: name,
        },
      );
    }
    entries.set(name, {
      name,
      dtype,
      shape: shape as number[],
      begin: dataStart + b,
      end: dataStart + en,
    });
  }
  // Overlapping tensors would alias storage: the format forbids it.
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(file, `tensors ${sorted[i - 1].name} and ${sorted[i].name} overlap`);
    }
  }
  return { dataStart, entries, metadata };
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, file = "safetensors"): SafetensorsHeader {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, file);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.length, file);
}

// ---- element conversion ---------------------------------------------------------------------

const f16Table = () => {
  // all 65536 half values as f32, so conversion is one lookup per element
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
    t[h] = e === 0
      ? s * m * 2 ** -24
      : e === 31
      ? (m ? NaN : s * Infinity)
      : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
};
let f16Cache: Float32Array | null = null;

/**
 * Converts raw little-endian tensor bytes of a float dtype into `out` (f32). F32 is a copy
 * (an unaligned source is handled), F16/BF16/F64 are widened or narrowed.
 */
export function toF32(raw: Uint8Array, dtype: Dtype, out: Float32Array, key: string): void {
  const n = out.length;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case "F32":
      if (raw.byteOffset % 4 === 0) out.set(new Float32Array(raw.buffer, raw.byteOffset, n));
      else for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return;
    case "F16": {
      const t = (f16Cache ??= f16Table());
      for (let i = 0; i < n; i++) out[i] = t[raw[2 * i] | (raw[2 * i + 1] << 8)];
      return;
    }
    case "BF16": {
      const u = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) u[i] = ((raw[2 * i] | (raw[2 * i + 1] << 8)) << 16) >>> 0;
      return;
    }
    case "F64":
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return;
    default:
      throw new EdgeClipError("model_format", `tensor ${key} is ${dtype}, expected a float dtype`, {
        key,
        dtype,
      });
  }
}

/** Integer tensor bytes (I64/I32/I16/I8/U8/BOOL) as Int32Array; I64 values must fit in i32. */
export function toI32(raw: Uint8Array, dtype: Dtype, key: string): Int32Array {
  const size = DTYPE_BYTES[dtype];
  const n = raw.length / size;
  const out = new Int32Array(n);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case "I64": {
        const lo = dv.getUint32(8 * i, true), hi = dv.getInt32(8 * i + 4, true);
        const v = hi * 2 ** 32 + lo;
        if (v < -(2 ** 31) || v >= 2 ** 31) {
          throw new EdgeClipError("model_format", `tensor ${key}: value ${v} does not fit int32`, {
            key,
          });
        }
        out[i] = v;
        break;
      }
      case "I32":
        out[i] = dv.getInt32(4 * i, true);
        break;
      case "I16":
        out[i] = dv.getInt16(2 * i, true);
        break;
      case "I8":
        out[i] = dv.getInt8(i);
        break;
      case "U8":
      case "BOOL":
        out[i] = raw[i];
        break;
      default:
        throw new EdgeClipError(
          "model_format",
          `tensor ${key} is ${dtype}, expected an integer dtype`,
          {
            key,
            dtype,
          },
        );
    }
  }
  return out;
}
