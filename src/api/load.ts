// Opens a model source: a Hugging Face CLIP folder (config.json + model.safetensors + tokenizer
// and preprocessor files) or an edgeclip package (one .safetensors file), from disk, URL or memory.
// Builds the model in a fresh kernel instance: f32, or int8 (quantized at load, or as packaged).

import { EdgeClipError } from "../errors.ts";
import { resolveSource, type Source } from "../io/source.ts";
import { openSafetensors } from "../io/weight_file.ts";
import { toF32 } from "../io/safetensors.ts";
import { ClipModel, type LoadOptions } from "../model/clip_model.ts";
import { parseClipConfig } from "../model/config.ts";
import type { FileSet } from "../io/source.ts";
import { Kernels } from "../wasm/kernels.ts";
import type { KernelVariant } from "../wasm/module.ts";
import {
  checkPackage,
  isPackage,
  metaFile,
  packageFiles,
  readAhead,
  restrictTowers,
  type Towers,
  towerView,
} from "../convert/package.ts";
import {
  DEFAULT_Q8_POLICY,
  packagedLinearLoader,
  type Q8Policy,
  quantizingLinearLoader,
} from "../model/linear_q8.ts";
import { packagedEmbeddingLoader, quantizingEmbeddingLoader } from "../model/embedding_q8.ts";

export interface LoadedModel {
  readonly model: ClipModel;
  readonly kernels: Kernels;
  /** The folder the model came from (tokenizer and preprocessor files are read from it). */
  readonly files: FileSet;
  /** Metadata of the weight file (`__metadata__`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** What the linear layers run: "f32", or "int8" (a package, or quantized at load). */
  readonly dtype: "f32" | "int8";
  /** The towers loaded. */
  readonly towers: Towers;
  /** True when the source was an edgeclip package (one .safetensors file). */
  readonly isPackage: boolean;
  /**
   * For a model quantized at load: opens the checkpoint to re-read f32 weights by HF key, so
   * adapters can be merged before quantization. Close the reader when done.
   */
  readonly openSource?: () => Promise<SourceWeights>;
}

export interface OpenOptions extends LoadOptions {
  /** Force a kernel build (tests); default: the best the host validates. */
  variant?: KernelVariant;
  /** "int8" quantizes an f32 checkpoint at load; a package always runs int8. Default "f32". */
  dtype?: "f32" | "int8";
  /** Load one tower only ("text" / "vision"); default: every tower the source has. */
  towers?: Towers;
  /** Which linears run int8 and how their activations are quantized. */
  q8Policy?: Q8Policy;
}

/**
 * Loads a model: a Hugging Face folder (config.json + model.safetensors), or an edgeclip package
 * (one .safetensors file whose metadata carries the config and tokenizer files).
 */
export async function openModel(source: Source, opts: OpenOptions = {}): Promise<LoadedModel> {
  if (opts.dtype !== undefined && opts.dtype !== "f32" && opts.dtype !== "int8") {
    throw new EdgeClipError("invalid_input", `dtype must be "f32" or "int8", got ${opts.dtype}`);
  }
  if (opts.towers !== undefined && !["both", "text", "vision"].includes(opts.towers)) {
    throw new EdgeClipError("invalid_input", `towers must be "both", "text" or "vision"`);
  }
  const { files, single } = await resolveSource(source);
  if (single) return await openPackage(files, single, opts);
  const weightsName = "model.safetensors";
  if (!(await files.exists(weightsName))) {
    const hint = (await files.exists("pytorch_model.bin"))
      ? " (only pytorch_model.bin is present: convert it to safetensors first)"
      : "";
    throw new EdgeClipError(
      "source_unavailable",
      `${files.label}: no ${weightsName}${hint}`,
      { source: files.label, file: weightsName },
    );
  }
  const configText = await files.text("config.json");
  const weights = await openSafetensors(files, weightsName);
  try {
    const towers = opts.towers ?? "both";
    const cfg = restrictTowers(
      parseClipConfig(configText, (key) => weights.header.entries.has(key)),
      towers,
      files.label,
    );
    const int8 = opts.dtype === "int8";
    const policy = opts.q8Policy ?? DEFAULT_Q8_POLICY;
    const kernels = Kernels.create(opts.variant);
    const model = await ClipModel.load(towerView(readAhead(weights), towers), cfg, kernels, {
      linear: opts.linear ?? (int8 ? quantizingLinearLoader(policy) : undefined),
      embedding: opts.embedding ?? (int8 ? quantizingEmbeddingLoader : undefined),
    });
    return {
      model,
      kernels,
      files,
      metadata: weights.header.metadata,
      dtype: int8 ? "int8" : "f32",
      towers,
      isPackage: false,
      openSource: int8 ? () => openSourceWeights(files, weightsName) : undefined,
    };
  } finally {
    weights.close();
  }
}

/** An edgeclip package: tensors are copied into linear memory as stored, nothing is converted. */
async function openPackage(files: FileSet, name: string, opts: OpenOptions): Promise<LoadedModel> {
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
    if (opts.dtype === "f32") {
      throw new EdgeClipError(
        "invalid_input",
        `${weights.label} is an int8 edgeclip package; for dtype "f32" load the Hugging Face folder`,
      );
    }
    const stored = checkPackage(meta, weights.label);
    const towers = opts.towers ?? stored;
    if (stored !== "both" && towers !== stored) {
      throw new EdgeClipError(
        "invalid_input",
        `${weights.label} was converted with towers "${stored}" and has no ${
          towers === "both" ? (stored === "text" ? "vision" : "text") : towers
        } tower; convert again with --towers ${towers}`,
      );
    }
    const entries = weights.header.entries;
    const cfg = restrictTowers(
      parseClipConfig(
        meta[metaFile("config.json")],
        (key) => entries.has(key) || entries.has(key.replace(/\.weight$/, ".qweight")),
      ),
      towers,
      weights.label,
    );
    const policy = opts.q8Policy ?? DEFAULT_Q8_POLICY;
    const kernels = Kernels.create(opts.variant);
    const model = await ClipModel.load(towerView(readAhead(weights), towers), cfg, kernels, {
      linear: opts.linear ?? packagedLinearLoader(policy),
      embedding: opts.embedding ?? packagedEmbeddingLoader,
    });
    return {
      model,
      kernels,
      files: packageFiles(meta, weights.label),
      metadata: meta,
      dtype: "int8",
      towers,
      isPackage: true,
    };
  } finally {
    weights.close();
  }
}

/** f32 weights of a checkpoint by HF key, read from one opened file. */
export interface SourceWeights {
  weight(key: string): Promise<Float32Array>;
  close(): void;
}

/** Opens a checkpoint once (keys may carry CLIPAdapterModel's `clip.`). */
async function openSourceWeights(files: FileSet, name: string): Promise<SourceWeights> {
  const w = await openSafetensors(files, name);
  return {
    async weight(key) {
      const e = w.header.entries.get(key) ?? w.header.entries.get(`clip.${key}`);
      if (!e) {
        throw new EdgeClipError("model_weights", `${w.label}: missing weight ${key}`, { key });
      }
      const raw = new Uint8Array(e.end - e.begin);
      await w.read(e, raw);
      const out = new Float32Array(e.shape.reduce((a, d) => a * d, 1));
      toF32(raw, e.dtype, out, e.name);
      return out;
    },
    close: () => w.close(),
  };
}
