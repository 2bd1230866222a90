// Conversion of a Hugging Face CLIP folder into an edgeclip int8 package: open the checkpoint once
// with the quantize-at-load loaders (the code `loadClip(dir, { dtype: "int8" })` runs), merging
// adapters into the f32 weights on the way when asked, recording what the load built; then plan
// the package's tensors and write them with the package metadata. Entry point: convertClip.

import { type LabelHead, type LoadedModel, openModel } from "../checkpoint/open.ts";
import { type Checkpoint, resolveCheckpoint } from "../checkpoint/resolve.ts";
import { configShape, type MergeTransform, mergeTransform } from "../adapters/merge.ts";
import { EdgeClipError } from "../errors.ts";
import { type ByteSink, memorySink, writeSafetensors } from "../io/safetensors_write.ts";
import type { FileSet, Source } from "../io/source.ts";
import { type ClipConfig, restrictTowers, type Towers } from "../model/config.ts";
import type { WeightTransform } from "../model/linear.ts";
import type { Q8Policy } from "../model/q8_policy.ts";
import { META } from "../package/format.ts";
import { labelHeadParts } from "../package/classifier.ts";
import { fileTensors, packageHead } from "../package/write.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";
import { LoadRecord, planPackage, type PlanRow } from "./plan.ts";
import { Sha256 } from "./sha256.ts";

export interface ConvertOptions {
  towers?: Towers;
  policy?: Q8Policy;
  /** "int4": 4-bit weights where the Q4 rule allows (q8_policy.ts), int8 elsewhere. */
  dtype?: "int8" | "int4";
  /** Adapter folders (LoRA, IA3, DoRA, VeRA) merged into the f32 weights before quantization. */
  adapters?: readonly Source[];
  /** Adjusts each dense f32 weight before it is quantized (after any adapter merge). */
  transform?: WeightTransform;
  variant?: KernelVariant;
  /**
   * Makes a classifier package: the vision tower, its projection, logit_scale and a fixed label
   * set whose embeddings `labelHead` computes on the opened model (both towers; it may merge
   * adapters into it first). The source may then also be a package with a text tower.
   */
  classifier?: { labelHead(loaded: LoadedModel): Promise<LabelHead> };
}

/** What a conversion did. */
export interface ConvertReport {
  readonly bytes: number;
  readonly tensors: number;
  readonly sourceSha256: string;
  readonly towers: string;
  readonly rows: readonly PlanRow[];
  /** Names of the adapters merged into the weights. */
  readonly merged: readonly string[];
  /** A classifier package's label count. */
  readonly labels?: number;
  readonly ms: number;
}

/** SHA-256 of a file in a FileSet, read 8 MiB at a time. */
export async function sha256Of(files: FileSet, name: string): Promise<string> {
  const ra = await files.open(name);
  try {
    const h = new Sha256();
    const buf = new Uint8Array(8 << 20);
    for (let at = 0; at < ra.size; at += buf.length) {
      const part = buf.subarray(0, Math.min(buf.length, ra.size - at));
      await ra.read(at, part);
      h.update(part);
    }
    return h.hex();
  } finally {
    ra.close();
  }
}

/** The transform the options ask for: the adapters merged first, then `transform`. */
function composed(
  merge: MergeTransform | undefined,
  transform?: WeightTransform,
): WeightTransform | undefined {
  if (!merge || !transform) return merge?.transform ?? transform;
  return (place, w) => {
    merge.transform(place, w);
    transform(place, w);
  };
}

/** A model loaded from a checkpoint with a LoadRecord observer (what writePackage writes). */
export interface RecordedLoad {
  readonly kernels: Kernels;
  readonly towers: Towers;
  readonly model: { readonly cfg: ClipConfig };
  /** The model's small files (a package's embedded ones as read at load). */
  readonly files: FileSet;
  readonly record: LoadRecord;
}

/** What writePackage wrote. */
export interface WrittenPackage {
  readonly bytes: number;
  readonly tensors: number;
  readonly rows: PlanRow[];
  readonly sourceSha256: string;
  /** The embedded files written as tensors, by name (tokenizer files, resolved merges). */
  readonly embedded: ReadonlyMap<string, Uint8Array>;
}

/**
 * Writes the package of a model just loaded from `ckpt` (which must still be open) to `opts.sink`:
 * the plan's tensors, copied out of linear memory one at a time, and the package metadata
 * (`dtype`: what it was converted to). `sourceSha256` is computed from the weight file when not
 * given. With a classifier's `head`, the vision tower and the label embeddings.
 */
export async function writePackage(
  ckpt: Checkpoint,
  loaded: RecordedLoad,
  opts: { sink: ByteSink; sourceSha256?: string; dtype?: "int8" | "int4"; head?: LabelHead },
): Promise<WrittenPackage> {
  const { head } = opts;
  const towers = head ? "vision" : loaded.towers;
  // the loaded model's files: a package's text files are tensors, read at load (not in ckpt.files)
  const { metadata, embedded } = await packageHead(loaded.files, {
    towers,
    cfg: restrictTowers(loaded.model.cfg, towers, ckpt.label),
    source: ckpt.files.label,
    sourceSha256: opts.sourceSha256 ?? await sha256Of(ckpt.weightFiles, ckpt.weightName),
    dtype: opts.dtype,
  });
  const { tensors: weights, rows } = planPackage(ckpt, { ...loaded, towers });
  const tensors = [...fileTensors(embedded), ...weights];
  if (head) {
    const parts = labelHeadParts(head);
    Object.assign(metadata, parts.metadata);
    tensors.push(parts.tensor);
  }
  const bytes = await writeSafetensors(opts.sink, tensors, metadata);
  const sourceSha256 = metadata[META.sourceSha256];
  return { bytes, tensors: tensors.length, rows, sourceSha256, embedded };
}

/**
 * Converts a Hugging Face CLIP folder (path, URL or in-memory files) into an edgeclip int8 (or
 * int4) package written to `sink`: packed int8 / 4-bit weights, their scales, f32 norms/biases,
 * the int8 token table and the config/tokenizer/preprocessor files in `__metadata__`. An edgeclip
 * package converts too: re-quantized to `dtype` (an int8 package's image tower to 4 bits, from
 * its dequantized weights).
 */
export async function convertClip(
  source: Source,
  sink: ByteSink,
  opts: ConvertOptions = {},
): Promise<ConvertReport> {
  const t0 = performance.now();
  const ckpt = await resolveCheckpoint(source);
  let merge: MergeTransform | undefined;
  try {
    const classifier = opts.classifier;
    if (classifier && opts.towers !== undefined && opts.towers !== "vision") {
      throw new EdgeClipError("invalid_input", "a classifier package holds the vision tower only");
    }
    if (ckpt.isPackage && opts.adapters?.length) {
      throw new EdgeClipError(
        "invalid_input",
        classifier
          ? `${ckpt.label} is a package: its weights cannot be merged at load (the classifier's ` +
            "adapters are loaded on the model instead)"
          : `${ckpt.label}: adapters merge into a Hugging Face folder's f32 weights, not a package's`,
      );
    }
    // read against every tower, as a loaded model would (layer ids count text then vision)
    merge = opts.adapters?.length
      ? await mergeTransform(Kernels.create(opts.variant), opts.adapters, configShape(ckpt.cfg))
      : undefined;
    const record = new LoadRecord();
    const loaded = await openModel(ckpt, {
      dtype: opts.dtype ?? "int8",
      towers: classifier ? undefined : opts.towers,
      q8Policy: opts.policy,
      transform: composed(merge, opts.transform),
      // a package (int8) is re-quantized: its int8 linears the Q4 rule accepts become 4-bit
      requantize: ckpt.isPackage,
      observer: record,
      variant: opts.variant,
    });
    // a classifier's labels are embedded with the text tower, which the package then leaves out;
    // a classifier package converted again keeps the label head it has
    const head = classifier ? await classifier.labelHead(loaded) : loaded.labelHead;
    // the report gives counts; the embedded files' bytes stay out of it
    const { embedded: _, ...written } = await writePackage(ckpt, { ...loaded, record }, {
      sink,
      dtype: opts.dtype,
      head,
    });
    return {
      ...written,
      towers: head ? "vision" : loaded.towers,
      merged: merge?.names ?? [],
      ...(head ? { labels: head.labels.length } : {}),
      ms: performance.now() - t0,
    };
  } finally {
    merge?.free();
    ckpt.close();
  }
}

/** convertClip into memory: the package as one Uint8Array (small models, tests, edge uploads). */
export async function convertClipToBytes(
  source: Source,
  opts: ConvertOptions = {},
): Promise<{ bytes: Uint8Array; report: ConvertReport }> {
  const sink = memorySink();
  const report = await convertClip(source, sink, opts);
  return { bytes: sink.bytes(), report };
}
