// The edgeclip package: one safetensors file whose `__metadata__` says what it is and carries the
// model's small files (config, preprocessor config, tokenizer). Shared by the writer (convert/) and
// the loader (api/load.ts).
//
// Tensors: every int8 linear `<p>` as `<p>.qweight` I8 in gemm_q8's packed layout
// [ceil(out/12), kp/4, 12, 4] + `<p>.qscale` F32 and `<p>.qsum` I32 [ceil(out/12)·12]; the token table
// as `<p>.qweight` I8 [vocab, dim] + `<p>.qscale` F32 [vocab]; all else (norms, biases, position and
// class embeddings, linears the policy keeps f32, logit_scale) F32 under its Hugging Face name.
// Beside the embedded tokenizer files sits `edgeclip.file.edgeclip_bpe.json`: their tables
// already parsed (tokenizer/resolved.ts), keyed by the files' SHA-256, for a cheap cold start.

import { EdgeClipError } from "../errors.ts";
import type { TensorEntry } from "../io/safetensors.ts";
import { type FileSet, memoryFileSet } from "../io/source.ts";
import type { ClipConfig } from "../model/config.ts";
import { towerOfKey } from "../model/names.ts";
import type { WeightFile } from "../model/weights.ts";
import { Q8_WEIGHTS } from "../wasm/formats.ts";

/** Version of the package format (metadata keys, tensor naming); bump on incompatible change. */
export const PACKAGE_VERSION = "1";
/** The packed weight layout this build reads and writes. */
export const PACKAGE_LAYOUT = `${Q8_WEIGHTS.name}/${Q8_WEIGHTS.layout}`;

/** `__metadata__` keys. Embedded files are `edgeclip.file.<name>`. */
export const META = {
  format: "format",
  version: "edgeclip.format_version",
  dtype: "edgeclip.dtype",
  layout: "edgeclip.q8_layout",
  towers: "edgeclip.towers",
  sourceSha256: "edgeclip.source_sha256",
  source: "edgeclip.source",
  filePrefix: "edgeclip.file.",
} as const;

/** The value of `format` in a package. */
export const FORMAT_NAME = "edgeclip";

/** Which towers a package (or a load) keeps. */
export type Towers = "both" | "text" | "vision";

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

/** True when a safetensors file's metadata marks it as an edgeclip package. */
export function isPackage(metadata: Readonly<Record<string, string>>): boolean {
  return metadata[META.format] === FORMAT_NAME;
}

/** Checks version and layout; returns the package's towers. */
export function checkPackage(metadata: Readonly<Record<string, string>>, label: string): Towers {
  const bad = (msg: string): never => {
    throw new EdgeClipError("model_format", `${label}: ${msg}`, { file: label });
  };
  if (metadata[META.version] !== PACKAGE_VERSION) {
    bad(
      `edgeclip package format version ${metadata[META.version]}; this edgeclip reads version ` +
        `${PACKAGE_VERSION} (convert the Hugging Face checkpoint again)`,
    );
  }
  if (metadata[META.layout] !== PACKAGE_LAYOUT) {
    bad(
      `int8 layout ${metadata[META.layout]}; this edgeclip's kernels read ${PACKAGE_LAYOUT} ` +
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

/** The embedded files of a package as a FileSet (what a model folder would provide). */
export function packageFiles(metadata: Readonly<Record<string, string>>, label: string): FileSet {
  const files: Record<string, string> = Object.create(null); // a file may be named "__proto__"
  for (const [key, value] of Object.entries(metadata)) {
    if (key.startsWith(META.filePrefix)) files[key.slice(META.filePrefix.length)] = value;
  }
  return memoryFileSet(files, label);
}

/** True when `key` (without a `clip.` prefix) belongs to a tower that `towers` leaves out. */
export function droppedByTowers(key: string, towers: Towers): boolean {
  const tower = towerOfKey(key);
  return towers !== "both" && tower !== undefined && tower !== towers;
}

/** A view of a weight file without the tensors of the tower `towers` leaves out. */
export function towerView(file: WeightFile, towers: Towers): WeightFile {
  if (towers === "both") return file;
  const keys = [...file.header.entries.keys()];
  const prefix = keys.length > 0 && keys.every((n) => n.startsWith("clip.")) ? "clip." : "";
  const entries = new Map<string, TensorEntry>();
  for (const [name, e] of file.header.entries) {
    if (!droppedByTowers(name.slice(prefix.length), towers)) entries.set(name, e);
  }
  return {
    label: file.label,
    header: { ...file.header, entries },
    read: (e, d) => file.read(e, d),
  };
}

/** The config with the tower `towers` leaves out removed (and its projection). */
export function restrictTowers(cfg: ClipConfig, towers: Towers, label: string): ClipConfig {
  if (towers === "both") return cfg;
  const keep = towers === "text" ? cfg.text : cfg.vision;
  if (!keep) {
    throw new EdgeClipError(
      "invalid_input",
      `${label}: towers "${towers}" asked for, but the model has no ${towers} tower`,
    );
  }
  return Object.freeze(
    towers === "text"
      ? { ...cfg, vision: undefined, hasVisionProjection: false }
      : { ...cfg, text: undefined, hasTextProjection: false },
  );
}

/** Tensors below this size are read together with their small neighbours (norms, biases). */
const SMALL = 256 << 10;
const WINDOW = 4 << 20;

/**
 * A view of a weight file that reads each run of adjacent small tensors with one call: a model has
 * hundreds of norms and biases between its big matrices, and one read per tensor costs more than
 * its bytes (measured: 272 single reads 21 ms). Big tensors are read directly into place.
 */
export function readAhead(file: WeightFile): WeightFile {
  const sorted = [...file.header.entries.values()].sort((a, b) => a.begin - b.begin);
  // end of the run of small tensors that starts at each small tensor
  const runEnd = new Map<string, number>();
  for (let i = sorted.length - 1, end = 0; i >= 0; i--) {
    const e = sorted[i], next = sorted[i + 1];
    const small = e.end - e.begin < SMALL;
    const joins = next && next.begin === e.end && next.end - next.begin < SMALL &&
      end - e.begin <= WINDOW;
    end = small ? (joins ? end : e.end) : 0;
    if (small) runEnd.set(e.name, end);
  }
  let start = 0, stop = 0;
  let win = new Uint8Array(0);
  return {
    label: file.label,
    header: file.header,
    async read(e, dest) {
      const end = runEnd.get(e.name);
      if (end === undefined) return await file.read(e, dest);
      if (e.begin < start || e.end > stop) {
        start = e.begin;
        stop = Math.max(end, e.end);
        if (win.length < stop - start) win = new Uint8Array(Math.max(stop - start, 1 << 16));
        await file.read({ ...e, begin: start, end: stop }, win);
      }
      dest.set(win.subarray(e.begin - start, e.end - start));
    },
  };
}
