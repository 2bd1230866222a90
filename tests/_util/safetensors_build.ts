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
