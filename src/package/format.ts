// The edgeclip package: one safetensors file whose `__metadata__` says what it is and carries the
// model's small files (config, preprocessor config, tokenizer). This file names its parts; the
// reader (read.ts) and the writer (write.ts) build on them.
//
// Tensors: every int8 linear `<p>` as `<p>.qweight` I8 in gemm_q8's packed layout
// [ceil(out/12), kp/4, 12, 4] + `<p>.qscale` F32 and `<p>.qsum` I32 [ceil(out/12)·12]; a 4-bit
// linear (dtype "int4" packages) as `<p>.q4weight` I8 in gemm_q4's layout [ceil(out/12), bytes
// per panel] with the same `.qscale` / `.qsum` (so the tensor name records each linear's format,
// and the metadata the 4-bit layout, `edgeclip.q4_layout`); the token table
// as `<p>.qweight` I8 [vocab, dim] + `<p>.qscale` F32 [vocab]; all else (norms, biases, position and
// class embeddings, linears the policy keeps f32, logit_scale) F32 under its Hugging Face name, in
// the order the model loads them (a cold load reads the file front to back).
// Beside the embedded tokenizer files sits `edgeclip.file.edgeclip_bpe.json`: their tables
// already parsed (tokenizer/resolved.ts), keyed by the files' SHA-256, for a cheap cold start.
//
// Where embedded files sit: config.json and preprocessor_config.json (read before any tensor) in
// `__metadata__`; the text tower's files (vocab, merges, resolved tables: ~2.4 MB) as U8 tensors
// `edgeclip.file.<name>`, first in the file. As metadata strings (format version 1, still read)
// they made every load parse ~2.7 MB of header JSON and keep the strings in the JS heap, a vision
// load too (measured: ~5 MiB of peak RSS); as tensors only a text load reads them, as bytes.

import { EdgeClipError } from "../errors.ts";
import { type FileSet, memoryFileSet } from "../io/source.ts";
import type { Towers } from "../model/config.ts";
import { Q4_WEIGHTS, Q8_WEIGHTS } from "../wasm/formats.ts";

/** Version of the package format (metadata keys, tensor naming); bump on incompatible change. */
export const PACKAGE_VERSION = "2";
/** Versions this build reads: 1 carried every embedded file in `__metadata__`. */
const READABLE_VERSIONS = ["1", PACKAGE_VERSION];
/** The packed weight layout this build reads and writes. */
export const PACKAGE_LAYOUT = `${Q8_WEIGHTS.name}/${Q8_WEIGHTS.layout}`;
/** The 4-bit layout this build reads and writes (recorded by packages holding 4-bit linears). */
export const PACKAGE_Q4_LAYOUT = `${Q4_WEIGHTS.name}/${Q4_WEIGHTS.layout}`;

/** `__metadata__` keys. Embedded files are `edgeclip.file.<name>`. */
export const META = {
  format: "format",
  version: "edgeclip.format_version",
  dtype: "edgeclip.dtype",
  layout: "edgeclip.q8_layout",
  q4Layout: "edgeclip.q4_layout",
  towers: "edgeclip.towers",
  sourceSha256: "edgeclip.source_sha256",
  source: "edgeclip.source",
  filePrefix: "edgeclip.file.",
} as const;

/** The value of `format` in a package. */
export const FORMAT_NAME = "edgeclip";

/** Files carried in the metadata when the source folder has them. */
export const EMBEDDED_FILES = [
  "config.json",
  "preprocessor_config.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
] as const;

/** Embedded files kept in `__metadata__`; the others are U8 tensors named `metaFile(name)`. */
export const METADATA_FILES: readonly string[] = ["config.json", "preprocessor_config.json"];

/** True for a package tensor that holds an embedded file, not a weight. */
export function isFileTensor(name: string): boolean {
  return name.startsWith(META.filePrefix);
}

/**
 * True for a package tensor the model does not load: an embedded file (read with the metadata)
 * or a classifier's label embeddings (read with its label head). A converter writes both again
 * from what it loaded, never by copying them as weights.
 */
export function isPackageExtra(name: string): boolean {
  return isFileTensor(name) || name === CLASSIFIER.tensor;
}

/** Suffixes of an int8 tensor's parts: `<p>.qweight`, `<p>.qscale`, `<p>.qsum` (linears only). */
export const PACKED = { weight: "qweight", scale: "qscale", sum: "qsum" } as const;

/** Suffix of a 4-bit linear's packed weight (its scale and sum are named as PACKED's). */
export const PACKED_Q4_WEIGHT = "q4weight";

/** What a package's linears run: "int4" when it holds 4-bit linears, else "int8". */
export function packagedDtype(metadata: Readonly<Record<string, string>>): "int8" | "int4" {
  return metadata[META.dtype] === "int4" ? "int4" : "int8";
}

/** True when a safetensors file's metadata marks it as an edgeclip package. */
export function isPackage(metadata: Readonly<Record<string, string>>): boolean {
  return metadata[META.format] === FORMAT_NAME;
}

/** Checks version and layout; returns the package's towers. */
export function checkPackage(metadata: Readonly<Record<string, string>>, label: string): Towers {
  const bad = (msg: string): never => {
    throw new EdgeClipError("model_format", `${label}: ${msg}`, { file: label });
  };
  if (!READABLE_VERSIONS.includes(metadata[META.version])) {
    bad(
      `edgeclip package format version ${metadata[META.version]}; this edgeclip reads versions ` +
        `${READABLE_VERSIONS.join(" and ")} (convert the Hugging Face checkpoint again)`,
    );
  }
  if (metadata[META.layout] !== PACKAGE_LAYOUT) {
    bad(
      `int8 layout ${metadata[META.layout]}; this edgeclip's kernels read ${PACKAGE_LAYOUT} ` +
        `(convert the Hugging Face checkpoint again)`,
    );
  }
  const q4 = metadata[META.q4Layout];
  if (packagedDtype(metadata) === "int4" && q4 === undefined) {
    bad("int4 package without a 4-bit layout");
  }
  if (q4 !== undefined && q4 !== PACKAGE_Q4_LAYOUT) {
    bad(
      `4-bit layout ${q4}; this edgeclip's kernels read ${PACKAGE_Q4_LAYOUT} ` +
        `(convert the Hugging Face checkpoint again)`,
    );
  }
  const towers = metadata[META.towers] ?? "both";
  if (towers !== "both" && towers !== "text" && towers !== "vision") bad(`towers ${towers}`);
  if (metadata[metaFile("config.json")] === undefined) bad("no embedded config.json");
  return towers as Towers;
}

/** Metadata key of an embedded file. */
export function metaFile(name: string): string {
  return META.filePrefix + name;
}

/** A package's metadata without its embedded files (what a loaded model keeps of it). */
export function withoutEmbeddedFiles(
  metadata: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  const kept: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith(META.filePrefix)) kept[key] = value;
  }
  return kept;
}

/**
 * The files a package's metadata embeds, as a FileSet (what a model folder would provide; a
 * format-2 package's text files are tensors: package/read.ts readPackageFiles).
 */
export function packageFiles(metadata: Readonly<Record<string, string>>, label: string): FileSet {
  const files: Record<string, string> = Object.create(null); // a file may be named "__proto__"
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith(META.filePrefix)) files[key.slice(META.filePrefix.length)] = value;
  }
  return memoryFileSet(files, label);
}

// ---- classifier packages ----------------------------------------------------------------------
// A classifier package is a vision package (towers "vision") that also carries a fixed label set:
// the labels and how their embeddings were made in `__metadata__`, and the embeddings themselves
// (one L2-normalised row per label, computed with the text tower at conversion) as one F32 tensor.

/** `__metadata__` keys and the tensor name of a classifier package. */
export const CLASSIFIER = {
  /** JSON array of the label strings, in row order of the tensor. */
  labels: "edgeclip.classifier.labels",
  /** JSON array of the prompt templates each label was embedded with (ensembled when several). */
  templates: "edgeclip.classifier.templates",
  /** JSON object: how the embeddings were made (preset, text tower dtype, adapters). */
  made: "edgeclip.classifier.made",
  /** F32 [labels, projection_dim], each row L2-normalised. */
  tensor: "edgeclip.classifier.label_embeds",
} as const;

/** True when a package's metadata declares a classifier. */
export function isClassifier(metadata: Readonly<Record<string, string>>): boolean {
  return metadata[CLASSIFIER.labels] !== undefined;
}
