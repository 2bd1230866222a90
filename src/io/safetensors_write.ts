// safetensors writer: header first (sizes are known up front), then each tensor's bytes in order,
// streamed to a sink so a model never has to sit in JS memory whole. The JSON header is padded
// with spaces to a multiple of 8 bytes, as the reference implementation does, so data starts aligned.

import { EdgeClipError } from "../errors.ts";
import { concatBytes } from "./bytes.ts";
import { type Dtype, DTYPE_BYTES } from "./safetensors.ts";

/** A tensor to write: its bytes are asked for once, when its turn comes. */
export interface TensorOut {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Produces exactly numel·dtype-size bytes (may reuse one buffer between calls). */
  data(): Uint8Array | Promise<Uint8Array>;
  /**
   * The same bytes in pieces, each written before the next is asked for (so one small buffer
   * can carry a large tensor); used instead of data() when present.
   */
  chunks?(): Iterable<Uint8Array>;
}

/** Where bytes go: a file, a buffer. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** Byte size of a tensor's data. */
export function tensorBytes(dtype: Dtype, shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
}

/** The 8-byte length + padded JSON header for `tensors` laid out in order. */
export function encodeHeader(
  tensors: readonly Pick<TensorOut, "name" | "dtype" | "shape">[],
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const obj: Record<string, unknown> = {};
  if (Object.keys(metadata).length) obj.__metadata__ = metadata;
  let at = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in obj) {
      throw new EdgeClipError("invalid_input", `safetensors: duplicate or reserved name ${t.name}`);
    }
    const n = tensorBytes(t.dtype, t.shape);
    obj[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [at, at + n] };
    at += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

function produced(name: string, n: number, want: number): never {
  throw new EdgeClipError(
    "runtime",
    `safetensors: tensor ${name} produced ${n} bytes, its header says ${want}`,
  );
}

/** Writes a complete safetensors file to `sink`; returns its size in bytes. */
export async function writeSafetensors(
  sink: ByteSink,
  tensors: readonly TensorOut[],
  metadata: Readonly<Record<string, string>> = {},
): Promise<number> {
  const header = encodeHeader(tensors, metadata);
  await sink.write(header);
  let size = header.length;
  for (const t of tensors) {
    const want = tensorBytes(t.dtype, t.shape);
    if (t.chunks) {
      let n = 0;
      for (const c of t.chunks()) {
        await sink.write(c);
        n += c.length;
      }
      if (n !== want) produced(t.name, n, want);
      size += want;
      continue;
    }
    const bytes = await t.data();
    if (bytes.length !== want) produced(t.name, bytes.length, want);
    await sink.write(bytes);
    size += want;
  }
  return size;
}

/** A sink collecting everything in memory; `bytes()` concatenates. */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(chunk) {
      parts.push(chunk.slice());
    },
    bytes: () => concatBytes(parts),
  };
}
