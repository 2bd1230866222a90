// Builds safetensors bytes in memory for tests (a writer small enough to trust by reading).

export interface TestTensor {
  dtype: "F32" | "F16" | "BF16" | "I64" | "I32" | "I8" | "U8";
  shape: number[];
  data: Uint8Array;
}

export function f32Tensor(shape: number[], values: ArrayLike<number>): TestTensor {
  const a = Float32Array.from(values);
  return { dtype: "F32", shape, data: new Uint8Array(a.buffer) };
}

/** Serialises tensors (in the given order) with an optional __metadata__ object. */
export function buildSafetensors(
  tensors: Record<string, TestTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.length] };
    off += t.data.length;
  }
  if (metadata) header.__metadata__ = metadata;
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(t.data, p);
    p += t.data.length;
  }
  return out;
}

/** The f16 bits nearest an f32 value (ties rounded up: close enough for test weights). */
const F1 = new Float32Array(1), U1 = new Uint32Array(F1.buffer);
export function toHalf(x: number): number {
  F1[0] = x;
  const u = U1[0];
  const s = (u >>> 16) & 0x8000, e = ((u >>> 23) & 0xff) - 127 + 15, m = u & 0x7fffff;
  if (e <= 0) return s | Math.round((m | 0x800000) / 2 ** (14 - e)) >>> 0;
  if (e >= 31) return s | 0x7c00;
  return (s | (e << 10) | Math.round(m / 8192)) >>> 0;
}
