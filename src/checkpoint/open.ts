// Opens any model source into a ClipModel in a fresh kernel instance: a Hugging Face folder as
// f32, or int8/int4 quantized at load (policy, optional weight transform); an edgeclip package as
// packaged. loadClip and the converter both come through here.

import { EdgeClipError } from "../errors.ts";
import { readAhead } from "../io/read_ahead.ts";
import type { TensorEntry } from "../io/safetensors.ts";
import { ProgressCounter } from "../io/progress.ts";
import type { FileSet, Source, SourceOptions } from "../io/source.ts";
import type { OpenedSafetensors, WeightFile } from "../io/weight_file.ts";
import { ClipModel, type LoadOptions } from "../model/clip_model.ts";
import { droppedByTowers, restrictTowers, type Towers } from "../model/config.ts";
import { type Embedding, loadEmbeddingF32 } from "../model/embedding.ts";
import { quantizingEmbeddingLoader } from "../model/embedding_q8.ts";
import { f32LinearLoader, type Linear, type WeightTransform } from "../model/linear.ts";
import { quantizingLinearLoader, requantizingLinearLoader } from "../model/linear_q8.ts";
import {
  DEFAULT_Q4_RULE,
  DEFAULT_Q8_POLICY,
  type Q4Rule,
  type Q8Policy,
} from "../model/q8_policy.ts";
import { keyPrefixOf, readF32 } from "../model/weights.ts";
import { type LabelHead, readLabelHead } from "../package/classifier.ts";
import { isPackageExtra, packagedDtype, withoutEmbeddedFiles } from "../package/format.ts";
import {
  packagedEmbeddingLoader,
  packagedLinearLoader,
  readPackageFiles,
} from "../package/read.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";
import { Checkpoint, resolveCheckpoint } from "./resolve.ts";

export type { LabelHead };

export interface LoadedModel {
  readonly model: ClipModel;
  readonly kernels: Kernels;
  /** The model's small files (tokenizer, preprocessor): its folder, or a package's embedded ones. */
  readonly files: FileSet;
  /** Metadata of the weight file (`__metadata__`). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * What the linear layers run: "f32", "int8" (a package, or quantized at load) or "int4" (4-bit
   * weights where the Q4 rule allows, int8 elsewhere).
   */
  readonly dtype: Dtype;
  /** The towers loaded. */
  readonly towers: Towers;
  /** True when the source was an edgeclip package (one .safetensors file). */
  readonly isPackage: boolean;
  /** A classifier package's labels and their embeddings (made at conversion). */
  readonly labelHead?: LabelHead;
  /**
   * For a model quantized at load: opens the checkpoint to re-read f32 weights by HF key, so
   * adapters can be merged before quantization. Close the reader when done.
   */
  readonly openSource?: () => Promise<SourceWeights>;
}

/** Sees what a load builds, in order (the converter lays out its package from it). */
export interface LoadObserver {
  /** Each linear and token table as it is built, under its module's key path (no `clip.`). */
  made?(prefix: string, module: Linear | Embedding): void;
  /** Each tensor read of the weight file, in the order the model reads them. */
  read?(entry: TensorEntry): void;
}

/** What a model's linears run. */
export type Dtype = "f32" | "int8" | "int4";

export interface OpenOptions extends LoadOptions, SourceOptions {
  /** Force a kernel build (tests); default: the best the host validates. */
  variant?: KernelVariant;
  /**
   * "int8" / "int4" quantize an f32 checkpoint at load; a package runs as converted (int8 or
   * int4). Default "f32".
   */
  dtype?: Dtype;
  /** Load one tower only ("text" / "vision"); default: every tower the source has. */
  towers?: Towers;
  /** Which linears run int8 and how their activations are quantized. */
  q8Policy?: Q8Policy;
  /** With dtype "int4": which int8 linears store 4-bit weights (default DEFAULT_Q4_RULE). */
  q4Rule?: Q4Rule;
  /**
   * A package's linears re-quantized to `dtype` (the converter: an int8 package to int4) instead
   * of run as converted.
   */
  requantize?: boolean;
  /** Adjusts each dense f32 weight before it is packed or quantized (not for packages). */
  transform?: WeightTransform;
  observer?: LoadObserver;
}

/**
 * Loads a model from a source (a Hugging Face folder, or an edgeclip package: one .safetensors
 * file whose metadata carries the config and tokenizer files), or from a Checkpoint already
 * resolved, which stays open for the caller.
 */
export async function openModel(
  source: Source | Checkpoint,
  opts: OpenOptions = {},
): Promise<LoadedModel> {
  if (opts.dtype !== undefined && !["f32", "int8", "int4"].includes(opts.dtype)) {
    throw new EdgeClipError(
      "invalid_input",
      `dtype must be "f32", "int8" or "int4", got ${opts.dtype}`,
    );
  }
  if (opts.towers !== undefined && !["both", "text", "vision"].includes(opts.towers)) {
    throw new EdgeClipError("invalid_input", `towers must be "both", "text" or "vision"`);
  }
  const ckpt = source instanceof Checkpoint ? source : await resolveCheckpoint(source, opts);
  try {
    return await build(ckpt, opts);
  } finally {
    if (ckpt !== source) ckpt.close();
  }
}

/** The loaders for what the checkpoint holds and what was asked for, seen by the observer. */
function loaders(ckpt: Checkpoint, opts: OpenOptions): Required<LoadOptions> {
  const policy = opts.q8Policy ?? DEFAULT_Q8_POLICY;
  const q4 = opts.dtype === "int4" ? opts.q4Rule ?? DEFAULT_Q4_RULE : undefined;
  const chosen: Required<LoadOptions> = ckpt.isPackage
    ? {
      linear: opts.requantize
        ? requantizingLinearLoader(packagedLinearLoader(policy), policy, q4)
        : packagedLinearLoader(policy),
      embedding: packagedEmbeddingLoader,
    }
    : opts.dtype === "int8" || opts.dtype === "int4"
    ? {
      linear: quantizingLinearLoader(policy, opts.transform, q4),
      embedding: quantizingEmbeddingLoader,
    }
    : { linear: f32LinearLoader(opts.transform), embedding: loadEmbeddingF32 };
  const linear = opts.linear ?? chosen.linear, embedding = opts.embedding ?? chosen.embedding;
  const obs = opts.observer;
  if (!obs?.made) return { linear, embedding };
  return {
    linear: async (scope, spec) => {
      const l = await linear(scope, spec);
      obs.made?.(scope.prefix, l);
      return l;
    },
    embedding: async (scope, vocab, dim) => {
      const e = await embedding(scope, vocab, dim);
      obs.made?.(scope.prefix, e);
      return e;
    },
  };
}

async function build(ckpt: Checkpoint, opts: OpenOptions): Promise<LoadedModel> {
  const towers = towersOf(ckpt, opts);
  const cfg = restrictTowers(ckpt.cfg, towers, ckpt.label);
  const dtype: Dtype = ckpt.isPackage ? packagedDtype(ckpt.metadata) : opts.dtype ?? "f32";
  // a package's text files first: they lead its data, so a stream reads them in order
  const files = ckpt.isPackage && towers !== "vision"
    ? await readPackageFiles(ckpt.weights, ckpt.files)
    : ckpt.files;
  const kernels = Kernels.create(opts.variant);
  const view = modelView(readAhead(ckpt.weights), towers), obs = opts.observer;
  let total = 0;
  for (const e of view.header.entries.values()) total += e.end - e.begin;
  const progress = new ProgressCounter(ckpt.weightName, total, opts.onProgress);
  const file: WeightFile = obs?.read || opts.onProgress
    ? {
      ...view,
      read: (e, dest) => {
        obs?.read?.(e);
        return view.read(e, dest).then(() => progress.add(e.end - e.begin));
      },
    }
    : view;
  const model = await ClipModel.load(file, cfg, kernels, loaders(ckpt, opts));
  progress.add(Math.max(0, total - progress.loaded)); // unread tensors (buffers) count as done
  progress.done();
  // stored last: read after the weights, front to back
  const labelHead = ckpt.isPackage
    ? await readLabelHead(ckpt.weights, cfg.projectionDim)
    : undefined;
  return {
    model,
    kernels,
    files,
    // a format-1 package's embedded files are strings in its metadata: read above, not kept here
    metadata: withoutEmbeddedFiles(ckpt.metadata),
    dtype,
    towers,
    isPackage: ckpt.isPackage,
    labelHead,
    // the caller's in-memory files are not kept: a merge then starts from the int8 weights
    openSource: dtype !== "f32" && !ckpt.isPackage && ckpt.reopenable
      ? () => f32Weights(ckpt)
      : undefined,
  };
}

/** The towers to load; a package runs as converted (f32 weights and left-out towers are gone). */
function towersOf(ckpt: Checkpoint, opts: OpenOptions): Towers {
  const stored = ckpt.packaged;
  if (stored === undefined) return opts.towers ?? "both";
  const dtype = packagedDtype(ckpt.metadata);
  if (
    opts.dtype !== undefined && opts.dtype !== dtype && !(opts.requantize && opts.dtype !== "f32")
  ) {
    throw new EdgeClipError(
      "invalid_input",
      `${ckpt.label} is an ${dtype} edgeclip package; for dtype "${opts.dtype}" load the ` +
        `Hugging Face folder (or convert it with --dtype ${opts.dtype})`,
    );
  }
  if (opts.transform) {
    throw new EdgeClipError(
      "invalid_input",
      `${ckpt.label} is an int8 edgeclip package: its weights cannot be transformed at load`,
    );
  }
  const towers = opts.towers ?? stored;
  if (stored !== "both" && towers !== stored) {
    throw new EdgeClipError(
      "invalid_input",
      `${ckpt.label} was converted with towers "${stored}" and has no ${
        towers === "both" ? (stored === "text" ? "vision" : "text") : towers
      } tower; convert again with --towers ${towers}`,
    );
  }
  return towers;
}

/**
 * A view of a weight file as the model reads it: without the tensors of the tower `towers` leaves
 * out, nor a classifier package's label embeddings (read apart).
 */
function modelView(file: WeightFile, towers: Towers): WeightFile {
  const all = file.header.entries;
  if (towers === "both" && ![...all.keys()].some(isPackageExtra)) return file;
  const weights = [...all].filter(([name]) => !isPackageExtra(name));
  const prefix = keyPrefixOf(new Map(weights));
  const entries = new Map<string, TensorEntry>();
  for (const [name, e] of weights) {
    if (!droppedByTowers(name.slice(prefix.length), towers)) entries.set(name, e);
  }
  return {
    label: file.label,
    header: { ...file.header, entries },
    read: (e, d) => file.read(e, d),
  };
}

/** f32 weights of a checkpoint by HF key, read from one opened file. */
export interface SourceWeights {
  weight(key: string): Promise<Float32Array>;
  close(): void;
}

/** The f32 weights of a Hugging Face checkpoint by HF key, from a handle of its own. */
export async function f32Weights(ckpt: Checkpoint): Promise<SourceWeights> {
  return sourceWeights(await ckpt.reopen());
}

/** Reads weights by HF key (they may carry CLIPAdapterModel's `clip.`). */
function sourceWeights(w: OpenedSafetensors): SourceWeights {
  return {
    async weight(key) {
      const e = w.header.entries.get(key) ?? w.header.entries.get(`clip.${key}`);
      if (!e) {
        throw new EdgeClipError("model_weights", `${w.label}: missing weight ${key}`, { key });
      }
      return await readF32(w, e);
    },
    close: () => w.close(),
  };
}
