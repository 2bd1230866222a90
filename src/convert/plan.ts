// The package's tensors, in the order the model loads them. A weight the model loaded as int8 or
// 4-bit becomes its packed tensors (package/write.ts; from a package source, all of its packed
// parts map to them); a linear kept f32 is written from memory (so a
// transform before quantization is kept); everything else is copied as F32. Buffers
// (position_ids) and the left-out tower are dropped.

import type { LoadObserver } from "../checkpoint/open.ts";
import type { Checkpoint } from "../checkpoint/resolve.ts";
import type { TensorEntry } from "../io/safetensors.ts";
import type { TensorOut } from "../io/safetensors_write.ts";
import { droppedByTowers, type Towers } from "../model/config.ts";
import type { Embedding } from "../model/embedding.ts";
import type { Linear } from "../model/linear.ts";
import { isIgnoredKey } from "../model/names.ts";
import { keyPrefixOf, readF32 } from "../model/weights.ts";
import { isPackageExtra, PACKED, PACKED_Q4_WEIGHT } from "../package/format.ts";
import { CopyBuffer, packedTensors } from "../package/write.ts";
import type { Kernels } from "../wasm/kernels.ts";

/** What the converter records of a load: each module the model built, and the read order. */
export class LoadRecord implements LoadObserver {
  /** Linears and token tables by module key path. */
  readonly modules = new Map<string, Linear | Embedding>();
  /** Source tensor names in the order the model first read them. */
  readonly readOrder: string[] = [];
  readonly #seen = new Set<string>();

  made(prefix: string, module: Linear | Embedding): void {
    this.modules.set(prefix, module);
  }

  read(e: TensorEntry): void {
    if (this.#seen.has(e.name)) return;
    this.#seen.add(e.name);
    this.readOrder.push(e.name);
  }
}

/** What became of one source tensor. */
export interface PlanRow {
  readonly source: string;
  readonly action: "int8" | "int4" | "f32 from memory" | "copy" | "dropped";
  readonly outputs: readonly string[];
}

/** The model a plan writes: its kernels, the towers kept and what its load recorded. */
export interface Loaded {
  readonly kernels: Kernels;
  readonly towers: Towers;
  readonly record: LoadRecord;
}

/** The package's tensors (bytes produced lazily, in order) and a row per source tensor. */
export function planPackage(ckpt: Checkpoint, loaded: Loaded): {
  tensors: TensorOut[];
  rows: PlanRow[];
} {
  const { kernels, towers, record } = loaded;
  const source = ckpt.weights;
  const keyPrefix = keyPrefixOf(source.header.entries);
  const tensors: TensorOut[] = [];
  const rows: PlanRow[] = [];
  const written = new Map<string, PlanRow["action"]>();
  // in the order the loader reads (a package loads front to back: sequential disk reads on a
  // cold page cache); tensors it never read (dropped ones) keep their place after those
  const rank = new Map(record.readOrder.map((name, i) => [name, i]));
  const copy = new CopyBuffer(); // the writer takes one tensor at a time

  const entries = [...source.header.entries].sort(
    ([a], [b]) => (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size),
  );
  for (const [fileKey, e] of entries) {
    const key = fileKey.slice(keyPrefix.length);
    // a source package's embedded files and label head are written again from the load
    if (isIgnoredKey(key) || isPackageExtra(fileKey) || droppedByTowers(key, towers)) {
      rows.push({ source: fileKey, action: "dropped", outputs: [] });
      continue;
    }
    const prefix = modulePrefix(key);
    const made = record.modules.get(prefix);
    if (made && written.has(prefix)) {
      // another part (scale, sum) of a package's packed tensor, written with its first part
      rows.push({ source: fileKey, action: written.get(prefix)!, outputs: [] });
      continue;
    }
    const packed = packedTensors(kernels, made, { prefix, copy });
    const f32 = !packed && made && "readWeight" in made ? made : undefined;
    const out: TensorOut[] = packed ?? [
      f32
        ? {
          name: key,
          dtype: "F32",
          shape: [f32.outFeatures, f32.inFeatures],
          data: () => bytesOf(f32.readWeight()),
        }
        : { name: key, dtype: "F32", shape: e.shape, data: () => copyF32(source, e) },
    ];
    tensors.push(...out);
    if (made) written.set(prefix, packed ? packedAction(made) : "f32 from memory");
    rows.push({
      source: fileKey,
      action: packed ? packedAction(made!) : f32 ? "f32 from memory" : "copy",
      outputs: out.map((t) => t.name),
    });
  }
  return { tensors, rows };
}

/**
 * The module a weight tensor belongs to: `<p>.weight` (a Hugging Face folder, or a linear a
 * package keeps f32) or a package's packed parts `<p>.qweight` / `.q4weight` / `.qscale` /
 * `.qsum`; "" for anything else.
 */
function modulePrefix(key: string): string {
  for (const part of ["weight", PACKED.weight, PACKED_Q4_WEIGHT, PACKED.scale, PACKED.sum]) {
    if (key.endsWith(`.${part}`)) return key.slice(0, -part.length - 1);
  }
  return "";
}

function packedAction(made: Linear | Embedding): "int8" | "int4" {
  return "dtype" in made && made.dtype === "int4" ? "int4" : "int8";
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A source tensor's values as F32 bytes (F16/BF16/F64 widened or narrowed). */
async function copyF32(source: Checkpoint["weights"], e: TensorEntry): Promise<Uint8Array> {
  if (e.dtype !== "F32") return bytesOf(await readF32(source, e));
  const raw = new Uint8Array(e.end - e.begin);
  await source.read(e, raw);
  return raw;
}
