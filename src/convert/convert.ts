// Conversion of a Hugging Face CLIP folder into an edgeclip int8 package: open the checkpoint once
// with the quantize-at-load loaders (the code `loadClip(dir, { dtype: "int8" })` runs), merging
// adapters into the f32 weights on the way when asked, recording what the load built; then plan
// the package's tensors and write them with the package metadata. Entry point: convertClip.

import { openModel } from "../checkpoint/open.ts";
import { type Checkpoint, resolveCheckpoint } from "../checkpoint/resolve.ts";
import { configShape, type MergeTransform, mergeTransform } from "../adapters/merge.ts";
import { EdgeClipError } from "../errors.ts";
import { type ByteSink, memorySink, writeSafetensors } from "../io/safetensors_write.ts";
import type { FileSet, Source } from "../io/source.ts";
import type { ClipConfig, Towers } from "../model/config.ts";
import type { WeightTransform } from "../model/linear.ts";
import type { Q8Policy } from "../model/q8_policy.ts";
import { META } from "../package/format.ts";
import { packageMetadata } from "../package/write.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";
import { LoadRecord, planPackage, type PlanRow } from "./plan.ts";
import { Sha256 } from "./sha256.ts";

export interface ConvertOptions {
  towers?: Towers;
  policy?: Q8Policy;
  /** Adapter folders (LoRA, IA3, DoRA, VeRA) merged into the f32 weights before quantization. */
  adapters?: readonly Source[];
  /** Adjusts each dense f32 weight before it is quantized (after any adapter merge). */
  transform?: WeightTransform;
  variant?: KernelVariant;
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
  readonly record: LoadRecord;
}

/**
 * Writes the package of a model just loaded from `ckpt` (which must still be open): the plan's
 * tensors, copied out of linear memory one at a time, and the package metadata. `sourceSha256`
 * is computed from the weight file when not given.
 */
export async function writePackage(
  ckpt: Checkpoint,
  loaded: RecordedLoad,
  sink: ByteSink,
  sourceSha256?: string,
): Promise<{ bytes: number; tensors: number; rows: PlanRow[]; sourceSha256: string }> {
  const metadata = await packageMetadata(ckpt.files, {
    towers: loaded.towers,
    cfg: loaded.model.cfg,
    source: ckpt.files.label,
    sourceSha256: sourceSha256 ?? await sha256Of(ckpt.weightFiles, ckpt.weightName),
  });
  const { tensors, rows } = planPackage(ckpt, loaded);
  const bytes = await writeSafetensors(sink, tensors, metadata);
  return { bytes, tensors: tensors.length, rows, sourceSha256: metadata[META.sourceSha256] };
}

/**
 * Converts a Hugging Face CLIP folder (path, URL or in-memory files) into an edgeclip int8 package
 * written to `sink`: packed int8 weights, their scales, f32 norms/biases, the int8 token table and
 * the config/tokenizer/preprocessor files in `__metadata__`.
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
    if (ckpt.isPackage) {
      throw new EdgeClipError(
        "invalid_input",
        `${ckpt.label}: convert takes a Hugging Face folder (config.json beside model.safetensors)`,
      );
    }
    // read against every tower, as a loaded model would (layer ids count text then vision)
    merge = opts.adapters?.length
      ? await mergeTransform(Kernels.create(opts.variant), opts.adapters, configShape(ckpt.cfg))
      : undefined;
    const record = new LoadRecord();
    const loaded = await openModel(ckpt, {
      dtype: "int8",
      towers: opts.towers,
      q8Policy: opts.policy,
      transform: composed(merge, opts.transform),
      observer: record,
      variant: opts.variant,
    });
    const written = await writePackage(ckpt, { ...loaded, record }, sink);
    return {
      ...written,
      towers: loaded.towers,
      merged: merge?.names ?? [],
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
