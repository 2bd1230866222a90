// The object users hold: one loaded model with its kernels, tokenizer and preprocessor.

import { EdgeClipError } from "../errors.ts";
import { memoryFileSet, type Source, SOURCE_OPTIONS, type SourceOptions } from "../io/source.ts";
import { checkOptionNames } from "./options.ts";
import type { ClipConfig } from "../model/config.ts";
import { type ForwardInputs, type ForwardOutputs, runForward } from "./forward.ts";
import type { LoadedModel } from "../checkpoint/open.ts";
import { openModelCached } from "../convert/cached.ts";
import { type Int8Precision, Q8_POLICIES } from "../model/q8_policy.ts";
import { AdapterHost } from "../adapters/host.ts";
import { linearPath } from "../model/names.ts";
import type { AdapterSetup } from "./setup.ts";
import { type Call, Calls } from "./calls.ts";
import { type EmbedTextOptions, embedTexts, loadTokenizer, textList } from "./text.ts";
import type { ClipTokenizer, TokenizeOptions } from "../tokenizer/mod.ts";
import { type Tensor, tensor } from "../tensor.ts";
import type { PreprocessConfig } from "../image/preprocess_config.ts";
import {
  checkPreprocessFitsModel,
  type ImageInput,
  imageList,
  type ImageOptions,
  loadPreprocessConfig,
  pixelValues,
} from "./images.ts";
import {
  type ClassifyOptions,
  EmbeddingCache,
  labelEmbeddings,
  type LabelScore,
  prompts,
  scoreLabels,
} from "./classify.ts";
import { l2Normalize } from "./forward.ts";

/**
 * Options of loadClip. Those of SourceOptions concern where files come from: for a Hub id,
 * `revision`, `hubEndpoint`, `token`, `cacheDir`, `offline` and `subfolder`; `onProgress` for
 * every source.
 */
export interface LoadClipOptions extends SourceOptions {
  /**
   * What to run: "f32" (default) or "int8". An f32 Hugging Face folder with "int8" is quantized at
   * load; an edgeclip package (one .safetensors file from `convert`) always runs int8.
   */
  dtype?: "f32" | "int8";
  /** Keep one tower only ("text" or "vision"), e.g. to fit a 128 MB isolate; default both. */
  towers?: "both" | "text" | "vision";
  /**
   * int8 only: how finely activations are quantized at run time (per row).
   * - "balanced" (default): 7 bits in the vision tower where relaxed SIMD exists, 12 bits in the
   *   text tower (cosine to f32 on ViT-B/32: text ~0.9996, image ~0.9999);
   * - "fast": also 7 bits on the text linears fed by a LayerNorm — text ~1.25× faster, cosine
   *   ~0.9993 (down to ~0.9988 on some prompts);
   * - "high": 12 bits everywhere — image cosine 0.99999 instead of 0.99987 at ~1.5× the image
   *   time; text as "balanced".
   */
  int8Precision?: Int8Precision;
  /**
   * Bytes of linear memory all loaded adapters and fusions may hold together (default: no cap).
   * A load that would pass it fails with `input_too_large` and gives back what it took.
   */
  maxAdapterBytes?: number;
}

const LOAD_OPTIONS = [
  "dtype",
  "towers",
  "int8Precision",
  "maxAdapterBytes",
  ...SOURCE_OPTIONS,
];

/** Options of loadAdapter: the adapter's name and config overrides, and where its files come from. */
export interface LoadAdapterOptions extends SourceOptions {
  /** The name to load it under; default the name it was saved with. */
  name?: string;
  /** Config fields merged over adapter_config.json's. */
  overrides?: Record<string, unknown>;
}

/** Images per vision batch: bounds the scratch memory (the per-image cost does not depend on it). */
const IMAGES_PER_BATCH = 16;

/** A loaded CLIP model. Create with {@link loadClip}. */
export class Clip {
  #m: LoadedModel | null;
  #adapters: AdapterHost | null;
  #tokenizer: (() => ClipTokenizer) | Error;
  #preprocess: PreprocessConfig | Error;
  /** Prompt embeddings of classify calls, keyed by adapter setup and prompt. */
  readonly #prompts = new EmbeddingCache();
  #activeKey = "null";
  /** Calls run side by side; loads queue; a merge waits for the calls started before it. */
  readonly #calls = new Calls(() => ({ m: this.#loaded(), host: this.#adapters! }));

  /** @internal use loadClip */
  constructor(
    loaded: LoadedModel,
    tokenizer: (() => ClipTokenizer) | Error,
    preprocess: PreprocessConfig | Error,
    opts: { maxAdapterBytes?: number } = {},
  ) {
    this.#m = loaded;
    const open = loaded.openSource;
    this.#adapters = new AdapterHost(loaded.model, {
      maxBytes: opts.maxAdapterBytes,
      // merge before quantization: the checkpoint's f32 weight of a linear, by its HF name
      openSourceWeights: open && (async () => {
        const src = await open();
        return { weight: (p) => src.weight(`${linearPath(p)}.weight`), close: () => src.close() };
      }),
    });
    this.#tokenizer = tokenizer;
    this.#preprocess = preprocess;
  }

  #pre(): PreprocessConfig {
    this.#loaded();
    if (this.#preprocess instanceof Error) throw this.#preprocess;
    return this.#preprocess;
  }

  #tok(): ClipTokenizer {
    this.#loaded();
    if (this.#tokenizer instanceof Error) throw this.#tokenizer;
    return this.#tokenizer();
  }

  #loaded(): LoadedModel {
    if (!this.#m) {
      throw new EdgeClipError("disposed", "this Clip was disposed; load the model again");
    }
    return this.#m;
  }

  #host(): AdapterHost {
    this.#loaded();
    return this.#adapters!;
  }

  /** The model's configuration (frozen). */
  get config(): ClipConfig {
    return this.#loaded().model.cfg;
  }

  /** What the linear layers run in: "f32" or "int8". */
  get dtype(): "f32" | "int8" {
    return this.#loaded().dtype;
  }

  /** Names of the loaded adapters, in load order. */
  get adapterNames(): string[] {
    return this.#host().names;
  }

  /**
   * Text embeddings, one Float32Array per text (projected, L2-normalised unless
   * `normalize: false`). Each text runs only to its own length.
   *
   * @example
   * ```ts
   * const [a, b] = await clip.embedText(["a photo of a cat", "a photo of a dog"]);
   * ```
   */
  embedText(
    texts: string | readonly string[],
    opts: EmbedTextOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    return this.#calls.run(opts.adapters, (c) => this.#texts(c, textList(texts), opts));
  }

  #texts(c: Call, list: readonly string[], opts: EmbedTextOptions): Float32Array[] {
    return embedTexts(c.m.model, this.#tok(), list, c.host.hooksFor(c.setup, {}), opts);
  }

  /**
   * Image embeddings, one Float32Array per image (projected, L2-normalised unless
   * `normalize: false`). Images may be encoded bytes (PNG, JPEG, GIF, BMP, WebP), Blobs, URLs,
   * file paths or raw RGB/RGBA pixels `{ data, width, height }`.
   *
   * @example
   * ```ts
   * const [e] = await clip.embedImage(await Deno.readFile("cat.jpg"));
   * ```
   */
  embedImage(
    images: ImageInput | readonly ImageInput[],
    opts: ImageOptions & { normalize?: boolean; adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    return this.#calls.run(opts.adapters, (c) => this.#images(c, images, opts));
  }

  async #images(
    c: Call,
    images: ImageInput | readonly ImageInput[],
    opts: ImageOptions & { normalize?: boolean },
  ): Promise<Float32Array[]> {
    const vision = c.m.model.vision;
    if (!vision) throw new EdgeClipError("invalid_input", "this checkpoint has no vision tower");
    const list = imageList(images);
    const out: Float32Array[] = [];
    for (let i = 0; i < list.length; i += IMAGES_PER_BATCH) {
      const chunk = list.slice(i, i + IMAGES_PER_BATCH);
      const S = vision.cfg.imageSize;
      const px = await pixelValues(chunk, this.#pre(), c.m.kernels, S, opts);
      const enc = c.m.model.encodeImage(px, chunk.length, c.host.hooksFor(c.setup, {}));
      const feats = enc.embeds ?? enc.pooled;
      const dim = feats.length / chunk.length;
      const norm = opts.normalize === false ? feats : l2Normalize(feats, chunk.length, dim);
      for (let j = 0; j < chunk.length; j++) out.push(norm.slice(j * dim, (j + 1) * dim));
    }
    return out;
  }

  /**
   * CLIP's image preprocessing: float32 `[B, 3, S, S]` pixel_values exactly as OpenAI's pipeline
   * (or Hugging Face's with `variant: "hf"`) computes them.
   */
  async preprocess(
    images: ImageInput | readonly ImageInput[],
    opts: ImageOptions = {},
  ): Promise<Tensor<Float32Array>> {
    const m = this.#loaded();
    const list = imageList(images);
    const S = m.model.vision?.cfg.imageSize ?? this.#pre().cropSize.height;
    const px = await pixelValues(list, this.#pre(), m.kernels, S, opts);
    return tensor(px, [list.length, 3, S, S]);
  }

  /**
   * Zero-shot classification: scores are the softmax over labels of exp(logit_scale)·cos between
   * the image and each label's prompt (the mean over templates when several are given).
   *
   * @example
   * ```ts
   * const top = await clip.classify(bytes, ["cat", "dog"], { template: "a photo of a {}." });
   * // [{ label: "cat", score: 0.93 }, { label: "dog", score: 0.07 }]
   * ```
   */
  classify(
    image: ImageInput,
    labels: readonly string[],
    opts: ClassifyOptions & ImageOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<LabelScore[]> {
    // the cache key of the setup the call runs (the active one is fixed at the start, too)
    const key = opts.adapters === undefined ? this.#activeKey : JSON.stringify(opts.adapters);
    return this.#calls.run(opts.adapters, async (c) => {
      const logitScale = c.m.model.logitScale;
      if (logitScale === undefined) {
        throw new EdgeClipError("invalid_input", "classify needs a two-tower CLIPModel checkpoint");
      }
      const labelEmbeds = labelEmbeddings(prompts(labels, opts), {
        cache: this.#prompts,
        key,
        embed: (part) => this.#texts(c, part, {}),
      });
      const [img] = await this.#images(c, image, { ...opts, normalize: true });
      return scoreLabels(img, labelEmbeds, labels, logitScale, opts.topK);
    });
  }

  /**
   * OpenAI's `clip.tokenize`: int32 `[B, L]` ids `[SOT, ids…, EOT, 0…]` and the attention mask.
   * `truncate` (default true) cuts long texts as OpenAI does; false throws `input_too_long`.
   */
  tokenize(
    texts: string | readonly string[],
    opts: TokenizeOptions = {},
  ): { inputIds: Tensor<Int32Array>; attentionMask: Tensor<Int32Array> } {
    return this.#tok().tokenize(texts, opts);
  }

  /**
   * Hugging Face CLIPModel.forward: returns textEmbeds, imageEmbeds (L2-normalised),
   * logitsPerImage, logitsPerText, textLastHiddenState [B, S, H] and visionPoolerOutput, each
   * present when its inputs were given.
   */
  forward(
    inputs: ForwardInputs,
    opts: { adapters?: AdapterSetup | null } = {},
  ): Promise<ForwardOutputs> {
    return this.#calls.run(opts.adapters, (c) => {
      const mask = inputs.attentionMask;
      // ReFT takes its positions from the text mask rows
      const textMask = mask
        ? Array.from(
          { length: mask.shape[0] },
          (_, b) => mask.data.subarray(b * mask.shape[1], (b + 1) * mask.shape[1]),
        )
        : undefined;
      return runForward(c.m.model, inputs, c.host.hooksFor(c.setup, { textMask }));
    });
  }

  // ---- adapters ------------------------------------------------------------------------------

  /** Loads an adapter folder saved by the adapters library; returns its name. */
  async loadAdapter(source: Source, opts: LoadAdapterOptions = {}): Promise<string> {
    checkOptionNames(opts, ["name", "overrides", ...SOURCE_OPTIONS], "loadAdapter");
    return await this.#calls.op((host) => host.load(source, opts));
  }

  /** Loads an AdapterFusion folder for already-loaded adapters; returns the fusion name. */
  async loadFusion(
    source: Source,
    adapterNames: readonly string[],
    opts: SourceOptions = {},
  ): Promise<string> {
    checkOptionNames(opts, SOURCE_OPTIONS, "loadFusion");
    return await this.#calls.op((host) => host.loadFusion(source, adapterNames, opts), {
      uses: adapterNames,
      what: "a fusion being loaded over it",
    });
  }

  /**
   * Deletes an adapter and gives its memory back for reuse. Refused (`adapter_in_use`) while the
   * active setup, a loaded fusion or a call still running uses it, and once it is merged.
   */
  deleteAdapter(name: string): void {
    this.#host().delete(name);
    this.#prompts.clear(); // a later adapter of the same name must not find these
  }

  /** Deletes the fusion loaded for `adapterNames`; refused while a setup uses it. */
  deleteFusion(adapterNames: readonly string[]): void {
    this.#host().deleteFusion(adapterNames);
    this.#prompts.clear();
  }

  /** Sets the adapter setup used by calls that do not pass `{ adapters }` (null = none). */
  setActiveAdapters(setup: AdapterSetup | null): void {
    this.#host().setActive(setup);
    this.#activeKey = JSON.stringify(setup);
  }

  /**
   * Folds a LoRA or IA3 adapter into the base weights (on a model quantized at load: into the
   * checkpoint's f32 weights, then quantized). Calls already started finish on the weights they
   * started with; calls started after this one see the merged weights, awaited or not.
   */
  mergeAdapter(name: string): Promise<void> {
    const merge = async (host: AdapterHost) => {
      try {
        await host.merge(name);
      } finally {
        this.#prompts.clear(); // merged weights change every embedding
      }
    };
    return this.#calls.op(merge, { uses: [name], what: "a merge in progress", exclusive: true });
  }

  /**
   * Releases the model's and the adapters' memory: the Clip keeps no reference to them (calls
   * still running hold theirs until they end). Further calls throw `disposed`.
   */
  dispose(): void {
    this.#adapters?.dispose();
    this.#adapters = null;
    this.#m = null;
    this.#prompts.clear();
    const gone = new EdgeClipError("disposed", "this Clip was disposed; load the model again");
    this.#tokenizer = gone;
    this.#preprocess = gone;
  }
}

/**
 * Loads a CLIP checkpoint in the Hugging Face layout (folder path, URL, or in-memory files).
 *
 * @example
 * ```ts
 * const clip = await loadClip("./clip-vit-base-patch32");
 * const out = await clip.forward({ inputIds, attentionMask, pixelValues });
 * ```
 */
export async function loadClip(source: Source, options: LoadClipOptions = {}): Promise<Clip> {
  checkOptionNames(options, LOAD_OPTIONS, "loadClip");
  const budget = options.maxAdapterBytes;
  if (budget !== undefined && !(typeof budget === "number" && budget >= 0)) {
    throw new EdgeClipError(
      "invalid_input",
      `maxAdapterBytes must be a number of bytes ≥ 0, got ${JSON.stringify(budget)}`,
    );
  }
  const precision = options.int8Precision ?? "balanced";
  if (!Object.hasOwn(Q8_POLICIES, precision)) {
    throw new EdgeClipError(
      "invalid_input",
      `int8Precision must be "balanced", "fast" or "high", got ${JSON.stringify(precision)}`,
    );
  }
  const { dtype, towers, int8Precision: _, maxAdapterBytes: __, ...sourceOptions } = options;
  let loaded = await openModelCached(source, {
    ...sourceOptions,
    dtype,
    towers,
    q8Policy: Q8_POLICIES[precision],
    precision,
  });
  // tokenize() is synchronous: the tokenizer files are read here, parsed on first use; a model
  // without text tower skips them
  const tokenizer = loaded.model.text
    ? await loadTokenizer(loaded.files).catch((e: Error) => {
      // a folder without tokenizer files still serves images
      if (e instanceof EdgeClipError && e.code === "source_unavailable") return e;
      throw e;
    })
    : new EdgeClipError("invalid_input", "this checkpoint has no text tower");
  // a preprocessor that does not fit the vision tower fails image calls, not the load
  // (forward with ready pixel_values still works)
  const vision = loaded.model.vision;
  const preprocess = vision
    ? await loadPreprocessConfig(loaded.files, vision.cfg).then((cfg) => {
      try {
        checkPreprocessFitsModel(cfg, vision.cfg);
        return cfg;
      } catch (e) {
        return e as Error;
      }
    })
    : new EdgeClipError("invalid_input", "this checkpoint has no vision tower");
  // the caller's in-memory files stay the caller's: read above, not kept
  if (loaded.files.transient) loaded = { ...loaded, files: memoryFileSet({}, loaded.files.label) };
  return new Clip(loaded, tokenizer, preprocess, { maxAdapterBytes: options.maxAdapterBytes });
}
