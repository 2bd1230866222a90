// Step 2 of conversion: which tensors the package holds, in the order the model loads them. A weight the model
// loaded as int8 becomes its packed triple (qweight, qscale, qsum) or, for the token table, its
// rows and scales; a linear kept f32 is written from memory (so a transform before quantization is
// kept); everything else is copied as F32. Buffers (position_ids) and the left-out tower are dropped.

import type { TensorEntry } from "../io/safetensors.ts";
import { toF32 } from "../io/safetensors.ts";
import type { TensorOut } from "../io/safetensors_write.ts";
import { EmbeddingQ8 } from "../model/embedding_q8.ts";
import { LinearQ8 } from "../model/linear_q8.ts";
import { isIgnoredKey } from "../model/names.ts";
import { packedShape, paddedN } from "../wasm/formats.ts";
import type { Buf } from "../wasm/kernels.ts";
import { droppedByTowers } from "./package.ts";
import type { Quantized } from "./quantize.ts";

/** What became of one source tensor. */
export interface PlanRow {
  readonly source: string;
  readonly action: "int8" | "f32 from memory" | "copy" | "dropped";
  readonly outputs: readonly string[];
}

/** The package's tensors (bytes produced lazily, in order) and a row per source tensor. */
export function planPackage(q: Quantized): { tensors: TensorOut[]; rows: PlanRow[] } {
  const k = q.kernels;
  const tensors: TensorOut[] = [];
  const rows: PlanRow[] = [];
  // copied out of linear memory when the writer asks for them, one tensor at a time
  const mem = (b: Buf) => () => k.withBytes(b, (bytes) => bytes.slice());
  // in the order the loader reads (a package loads front to back: sequential disk reads on a
  // cold page cache); tensors it never read (dropped ones) keep their place after those
  const rank = new Map(q.readOrder.map((name, i) => [name, i]));
  const entries = [...q.source.header.entries].sort(
    ([a], [b]) => (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size),
  );
  for (const [fileKey, e] of entries) {
    const key = fileKey.slice(q.keyPrefix.length);
    if (isIgnoredKey(key) || droppedByTowers(key, q.towers)) {
      rows.push({ source: fileKey, action: "dropped", outputs: [] });
      continue;
    }
    const prefix = key.endsWith(".weight") ? key.slice(0, -".weight".length) : "";
    const lin = q.linears.get(prefix);
    const emb = q.embeddings.get(prefix);
    const start = tensors.length;
    if (lin instanceof LinearQ8) {
      const w = lin.weight, np = paddedN(w.n);
      tensors.push(
        {
          name: `${prefix}.qweight`,
          dtype: "I8",
          shape: packedShape(w.n, w.k),
          data: mem(w.data),
        },
        { name: `${prefix}.qscale`, dtype: "F32", shape: [np], data: mem(w.scales) },
        { name: `${prefix}.qsum`, dtype: "I32", shape: [np], data: mem(w.sums) },
      );
    } else if (emb instanceof EmbeddingQ8) {
      tensors.push(
        {
          name: `${prefix}.qweight`,
          dtype: "I8",
          shape: [emb.vocab, emb.dim],
          data: mem(emb.table),
        },
        {
          name: `${prefix}.qscale`,
          dtype: "F32",
          shape: [emb.vocab],
          data: mem(emb.scales),
        },
      );
    } else if (lin) {
      tensors.push({
        name: key,
        dtype: "F32",
        shape: [lin.outFeatures, lin.inFeatures],
        data: () => bytesOf(lin.readWeight()),
      });
    } else {
      tensors.push({ name: key, dtype: "F32", shape: e.shape, data: () => copyF32(q, e) });
    }
    rows.push({
      source: fileKey,
      action: lin instanceof LinearQ8 || emb ? "int8" : lin ? "f32 from memory" : "copy",
      outputs: tensors.slice(start).map((t) => t.name),
    });
  }
  return { tensors, rows };
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A source tensor's values as F32 bytes (F16/BF16/F64 widened or narrowed). */
async function copyF32(q: Quantized, e: TensorEntry): Promise<Uint8Array> {
  const raw = new Uint8Array(e.end - e.begin);
  await q.source.read(e, raw);
  if (e.dtype === "F32") return raw;
  const out = new Float32Array(e.shape.reduce((a, d) => a * d, 1));
  toF32(raw, e.dtype, out, e.name);
  return bytesOf(out);
}
