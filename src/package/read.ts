// Reading an edgeclip package: its header and embedded files (openPackage), and the loaders that
// copy its packed int8 tensors into linear memory as stored, nothing converted.

import { EdgeClipError } from "../errors.ts";
import { withFiles } from "../io/memory_files.ts";
import type { FileSet } from "../io/source.ts";
import { type OpenedSafetensors, openSafetensors, type WeightFile } from "../io/weight_file.ts";
import { type ClipConfig, parseClipConfig, type Towers } from "../model/config.ts";
import type { EmbeddingLoader } from "../model/embedding.ts";
import { EmbeddingQ8 } from "../model/embedding_q8.ts";
import { type LinearLoader, loadLinearF32 } from "../model/linear.ts";
import { loadLinearQ8 } from "../model/linear_q8.ts";
import { DEFAULT_Q8_POLICY, type Q8Policy } from "../model/q8_policy.ts";
import { packedShape, paddedN, Q4_WEIGHTS } from "../wasm/formats.ts";
import {
  checkPackage,
  isFileTensor,
  isPackage,
  META,
  metaFile,
  packageFiles,
  PACKED,
  PACKED_Q4_WEIGHT,
} from "./format.ts";

/** An opened package: its weight file (open: close it when done) and what it carries. */
export interface OpenedPackage {
  readonly weights: OpenedSafetensors;
  /** The embedded files (tokenizer, preprocessor config), as a folder would provide them. */
  readonly files: FileSet;
  readonly configText: string;
  /** The config of the towers the package holds. */
  readonly cfg: ClipConfig;
  readonly towers: Towers;
}

/** Opens `name` in `files` as an edgeclip package: checks its format and parses its config. */
export async function openPackage(files: FileSet, name: string): Promise<OpenedPackage> {
  const weights = await openSafetensors(files, name);
  try {
    const meta = weights.header.metadata;
    if (!isPackage(meta)) {
      throw new EdgeClipError(
        "model_format",
        `${weights.label}: a single safetensors file must be an edgeclip package; for a Hugging ` +
          `Face checkpoint pass its folder (config.json beside model.safetensors)`,
      );
    }
    const towers = checkPackage(meta, weights.label);
    const entries = weights.header.entries;
    const configText = meta[metaFile("config.json")];
    const cfg = parseClipConfig(
      configText,
      (key) =>
        entries.has(key) ||
        entries.has(key.replace(/\.weight$/, `.${PACKED.weight}`)) ||
        entries.has(key.replace(/\.weight$/, `.${PACKED_Q4_WEIGHT}`)),
    );
    return { weights, files: packageFiles(meta, weights.label), configText, cfg, towers };
  } catch (e) {
    weights.close();
    throw e;
  }
}

/**
 * `files` (the package's metadata files) with its file tensors read in front (format.ts): what a
 * load of the text tower needs. Call before the weights are read: the tensors lead the file.
 */
export async function readPackageFiles(weights: WeightFile, files: FileSet): Promise<FileSet> {
  const read: Record<string, Uint8Array> = Object.create(null); // a file may be "__proto__"
  for (const [name, e] of weights.header.entries) {
    if (!isFileTensor(name)) continue;
    if (e.dtype !== "U8" || e.shape.length !== 1) {
      throw new EdgeClipError(
        "model_format",
        `${weights.label}: embedded file ${name} must be a U8 vector, not ${e.dtype} ` +
          JSON.stringify(e.shape),
        { file: weights.label, key: name },
      );
    }
    const bytes = new Uint8Array(e.end - e.begin);
    await weights.read(e, bytes);
    read[name.slice(META.filePrefix.length)] = bytes;
  }
  return withFiles(files, read);
}

/**
 * Loader for a package's linears: `<scope>.qweight` I8 (packed, formats.ts), `.qscale` F32 and
 * `.qsum` I32 (padded to whole panels) are copied into memory unchanged, and so is a 4-bit
 * `<scope>.q4weight` with its scale and sum; a linear stored as `<scope>.weight` (kept f32 by the
 * converter's policy) loads as f32. The policy still picks each int8 linear's activation format
 * (it is not stored).
 */
export function packagedLinearLoader(policy: Q8Policy = DEFAULT_Q8_POLICY): LinearLoader {
  return async (scope, spec) => {
    const q4 = scope.has(PACKED_Q4_WEIGHT);
    if (!q4 && !scope.has(PACKED.weight)) return await loadLinearF32(scope, spec);
    const { inFeatures: inF, outFeatures: outF } = spec;
    return await loadLinearQ8(scope, spec, {
      policy,
      bits: q4 ? 4 : 8,
      async fill(w) {
        if (q4) {
          await scope.readRaw(PACKED_Q4_WEIGHT, "I8", packedShape(outF, inF, Q4_WEIGHTS), w.data);
        } else await scope.readRaw(PACKED.weight, "I8", packedShape(outF, inF), w.data);
        await scope.readRaw(PACKED.scale, "F32", [paddedN(outF)], w.scales);
        await scope.readRaw(PACKED.sum, "I32", [paddedN(outF)], w.sums);
      },
    });
  };
}

/** Copies a package's `<scope>.qweight` I8 [vocab × dim] and `.qscale` F32 [vocab]. */
export const packagedEmbeddingLoader: EmbeddingLoader = async (scope, vocab, dim) => {
  const { k, owner } = scope.store;
  const table = owner.buf("i8", vocab * dim);
  const scales = owner.vec(vocab);
  await scope.readRaw(PACKED.weight, "I8", [vocab, dim], table);
  await scope.readRaw(PACKED.scale, "F32", [vocab], scales);
  return new EmbeddingQ8(k, table, scales, vocab, dim);
};
