// Writing an edgeclip package: the tensors of an int8 linear or token table, copied out of linear
// memory under the format's names, and the metadata (format, version, layout, towers, source
// checksum, embedded files). Which tensors go in, and in what order, is the converter's plan.

import { EdgeClipError } from "../errors.ts";
import type { TensorOut } from "../io/safetensors_write.ts";
import type { FileSet } from "../io/source.ts";
import type { ClipConfig, Towers } from "../model/config.ts";
import type { Embedding } from "../model/embedding.ts";
import { EmbeddingQ8 } from "../model/embedding_q8.ts";
import type { Linear } from "../model/linear.ts";
import { LinearQ8 } from "../model/linear_q8.ts";
import { RESOLVED_FILE, resolveMergesFile } from "../tokenizer/mod.ts";
import { packedShape, paddedN, Q4_WEIGHTS, Q8_WEIGHTS } from "../wasm/formats.ts";
import { isQ4 } from "../wasm/q8.ts";
import type { Buf, Kernels } from "../wasm/kernels.ts";
import {
  EMBEDDED_FILES,
  FORMAT_NAME,
  META,
  METADATA_FILES,
  metaFile,
  PACKAGE_LAYOUT,
  PACKAGE_Q4_LAYOUT,
  PACKAGE_VERSION,
  PACKED,
  PACKED_Q4_WEIGHT,
} from "./format.ts";

/** Bytes of linear memory copied to JS per piece when a package is written. */
const PIECE = 1 << 20;

/**
 * One buffer that tensor bytes are copied into, a piece at a time, on their way to a writer: a
 * package's ~150 MB pass through JS as one 1 MiB buffer, not as ~100 tensor copies left for the
 * garbage collector (measured: ~95 MB less peak RSS for a ViT-B/32 written at load).
 */
export class CopyBuffer {
  readonly #buf = new Uint8Array(PIECE);

  /** The bytes of `b`, a piece at a time (each valid until the next is asked for). */
  *pieces(k: Kernels, b: Buf): Generator<Uint8Array> {
    const n = k.withBytes(b, (bytes) => bytes.length);
    for (let at = 0; at < n; at += PIECE) {
      // linear memory may move between pieces: a fresh view each time
      yield k.withBytes(b, (bytes) => {
        const piece = this.#buf.subarray(0, Math.min(PIECE, n - at));
        piece.set(bytes.subarray(at, at + piece.length));
        return piece;
      });
    }
  }
}

/**
 * The package tensors of module `prefix` when the model holds it as int8 (a linear's packed
 * triple, the token table's rows and scales); undefined for anything stored as F32. Bytes are
 * copied out of linear memory when the writer asks for them, one tensor at a time, through
 * `copy` when given (else each into a buffer of its own).
 */
export function packedTensors(
  k: Kernels,
  made: Linear | Embedding | undefined,
  opts: { prefix: string; copy?: CopyBuffer },
): TensorOut[] | undefined {
  const { prefix, copy } = opts;
  const mem = (b: Buf) => () => k.withBytes(b, (bytes) => bytes.slice());
  const pieces = (b: Buf) => copy ? { chunks: () => copy.pieces(k, b) } : {};
  const name = (part: keyof typeof PACKED) => `${prefix}.${PACKED[part]}`;
  if (made instanceof LinearQ8) {
    const w = made.weight, np = paddedN(w.n);
    const q4 = isQ4(w);
    const weight: TensorOut = {
      name: q4 ? `${prefix}.${PACKED_Q4_WEIGHT}` : name("weight"),
      dtype: "I8",
      shape: packedShape(w.n, w.k, q4 ? Q4_WEIGHTS : Q8_WEIGHTS),
      data: mem(w.data),
      ...pieces(w.data),
    };
    return [
      weight,
      { name: name("scale"), dtype: "F32", shape: [np], data: mem(w.scales) },
      { name: name("sum"), dtype: "I32", shape: [np], data: mem(w.sums) },
    ];
  }
  if (made instanceof EmbeddingQ8) {
    return [
      {
        name: name("weight"),
        dtype: "I8",
        shape: [made.vocab, made.dim],
        data: mem(made.table),
        ...pieces(made.table),
      },
      { name: name("scale"), dtype: "F32", shape: [made.vocab], data: mem(made.scales) },
    ];
  }
  return undefined;
}

/** What the metadata records about the conversion. */
export interface PackageInfo {
  readonly towers: Towers;
  /** The config of the towers kept (decides which small files are embedded). */
  readonly cfg: ClipConfig;
  /** Where the checkpoint came from, and the SHA-256 of its weight file. */
  readonly source: string;
  readonly sourceSha256: string;
  /** "int4" when the package holds 4-bit linears (default "int8"). */
  readonly dtype?: "int8" | "int4";
}

/** The package's `__metadata__`, and the files it carries as tensors, for the kept towers. */
export interface PackageHead {
  readonly metadata: Record<string, string>;
  /** The files written as U8 tensors (fileTensors), by name: the resolved merges among them. */
  readonly embedded: ReadonlyMap<string, Uint8Array>;
}

/**
 * The package's `__metadata__` and embedded files: of `files`, the small files the kept towers
 * use (configs in the metadata, the text tower's files as U8 tensors, format.ts).
 */
export async function packageHead(files: FileSet, info: PackageInfo): Promise<PackageHead> {
  const metadata: Record<string, string> = {
    [META.format]: FORMAT_NAME,
    [META.version]: PACKAGE_VERSION,
    [META.dtype]: info.dtype ?? "int8",
    [META.layout]: PACKAGE_LAYOUT,
    ...(info.dtype === "int4" ? { [META.q4Layout]: PACKAGE_Q4_LAYOUT } : {}),
    [META.towers]: info.towers,
    [META.source]: info.source,
    [META.sourceSha256]: info.sourceSha256,
  };
  const embedded = new Map<string, Uint8Array>();
  for (const name of EMBEDDED_FILES) {
    const inMetadata = METADATA_FILES.includes(name);
    if (name === "preprocessor_config.json" && !info.cfg.vision) continue;
    if (!inMetadata && !info.cfg.text) continue;
    if (!(await files.exists(name))) continue;
    if (inMetadata) metadata[metaFile(name)] = await files.text(name);
    else embedded.set(name, await files.bytes(name));
  }
  const vocab = embedded.get("vocab.json"), merges = embedded.get("merges.txt");
  if (vocab !== undefined && merges !== undefined) {
    // resolved from the embedded files themselves, so the loader's hash of them matches
    // (a cache only: files the tokenizer cannot read get none, and fail at text use as before)
    try {
      embedded.set(RESOLVED_FILE, new TextEncoder().encode(await resolveMergesFile(vocab, merges)));
    } catch (e) {
      if (!(e instanceof EdgeClipError)) throw e;
    }
  }
  return { metadata, embedded };
}

/** Embedded files as the U8 tensors `edgeclip.file.<name>` (written first: format.ts). */
export function fileTensors(files: ReadonlyMap<string, Uint8Array>): TensorOut[] {
  return [...files].map(([name, bytes]) => ({
    name: metaFile(name),
    dtype: "U8",
    shape: [bytes.length],
    data: () => bytes,
  }));
}
