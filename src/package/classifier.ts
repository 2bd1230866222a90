// The label head of a classifier package (format.ts CLASSIFIER): its labels, templates and
// L2-normalised label embeddings, read and checked at load, and turned into the metadata and the
// tensor the converter writes.

import { EdgeClipError } from "../errors.ts";
import type { TensorOut } from "../io/safetensors_write.ts";
import type { WeightFile } from "../io/weight_file.ts";
import { CLASSIFIER, isClassifier } from "./format.ts";

/** A fixed label set and its text-side embeddings, as a classifier package stores them. */
export interface LabelHead {
  readonly labels: readonly string[];
  /** The templates each label was embedded with (their embeddings ensembled). */
  readonly templates: readonly string[];
  /** How the embeddings were made (preset name, dtype of the text tower, adapters…). */
  readonly made: Readonly<Record<string, unknown>>;
  /** One L2-normalised row per label. */
  readonly embeddings: readonly Float32Array[];
}

/** The metadata entries and the tensor a classifier package adds for `head`. */
export function labelHeadParts(head: LabelHead): {
  metadata: Record<string, string>;
  tensor: TensorOut;
} {
  const n = head.labels.length, dim = head.embeddings[0]?.length ?? 0;
  if (n === 0 || head.embeddings.length !== n || head.embeddings.some((e) => e.length !== dim)) {
    throw new EdgeClipError(
      "invalid_input",
      `a classifier needs one embedding per label (${n} labels, ${head.embeddings.length} rows)`,
    );
  }
  const rows = new Float32Array(n * dim);
  head.embeddings.forEach((e, i) => rows.set(e, i * dim));
  return {
    metadata: {
      [CLASSIFIER.labels]: JSON.stringify(head.labels),
      [CLASSIFIER.templates]: JSON.stringify(head.templates),
      [CLASSIFIER.made]: JSON.stringify(head.made),
    },
    tensor: {
      name: CLASSIFIER.tensor,
      dtype: "F32",
      shape: [n, dim],
      data: () => new Uint8Array(rows.buffer),
    },
  };
}

/**
 * Reads the label head of a package (undefined when it is not a classifier): the labels must be
 * a non-empty JSON array of distinct strings and the tensor F32 [labels, projectionDim].
 */
export async function readLabelHead(
  file: WeightFile,
  projectionDim: number,
): Promise<LabelHead | undefined> {
  const meta = file.header.metadata;
  const entry = file.header.entries.get(CLASSIFIER.tensor);
  if (!isClassifier(meta)) {
    if (entry) bad(file, `tensor ${CLASSIFIER.tensor} without ${CLASSIFIER.labels}`);
    return undefined;
  }
  const labels = stringList(file, CLASSIFIER.labels);
  if (new Set(labels).size !== labels.length) bad(file, "the classifier labels repeat a label");
  const templates = stringList(file, CLASSIFIER.templates);
  let made: Record<string, unknown> = {};
  try {
    made = JSON.parse(meta[CLASSIFIER.made] ?? "{}");
  } catch {
    bad(file, `${CLASSIFIER.made} is not JSON`);
  }
  if (!entry) bad(file, `no ${CLASSIFIER.tensor} tensor for its ${labels.length} labels`);
  const want = [labels.length, projectionDim];
  if (entry!.dtype !== "F32" || entry!.shape.join() !== want.join()) {
    bad(
      file,
      `${CLASSIFIER.tensor} is ${entry!.dtype} [${entry!.shape}], want F32 [${want}]`,
    );
  }
  // read straight into the rows (F32 as stored, little-endian as wasm): no second copy
  const all = new Float32Array(labels.length * projectionDim);
  await file.read(entry!, new Uint8Array(all.buffer));
  const embeddings = labels.map((_, i) => all.subarray(i * projectionDim, (i + 1) * projectionDim));
  if (!allFinite(all)) bad(file, `${CLASSIFIER.tensor} holds non-finite values`);
  return { labels, templates, made, embeddings };
}

/**
 * Whether no value is NaN or ±Infinity, read from the exponent bits in each float's high 16 bits
 * (little-endian): small integers, which V8 never boxes. `every(Number.isFinite)` boxes each float
 * as a heap number before the code is optimized: ~8 MB of garbage for 1,000 labels, which grew
 * the young generation (and peak RSS) by as much at load.
 */
function allFinite(v: Float32Array): boolean {
  const high = new Uint16Array(v.buffer, v.byteOffset, v.length * 2);
  for (let i = 1; i < high.length; i += 2) if ((high[i] & 0x7f80) === 0x7f80) return false;
  return true;
}

function stringList(file: WeightFile, key: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(file.header.metadata[key] ?? "null");
  } catch {
    bad(file, `${key} is not JSON`);
  }
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== "string" || s === "")) {
    bad(file, `${key} must be a non-empty JSON array of non-empty strings`);
  }
  return v as string[];
}

function bad(file: WeightFile, msg: string): never {
  throw new EdgeClipError("model_format", `${file.label}: classifier package: ${msg}`, {
    file: file.label,
  });
}
