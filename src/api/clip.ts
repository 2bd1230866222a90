// The object users hold: one loaded model with its kernels, tokenizer and preprocessor.

import { EdgeClipError } from "../errors.ts";
import { memoryFileSet, type Source, type SourceOptions } from "../io/source.ts";
import type { ClipConfig } from "../model/config.ts";
import { type ForwardInputs, type ForwardOutputs, runForward } from "./forward.ts";
import type { LoadedModel } from "../checkpoint/open.ts";
import { openModelCached } from "../convert/cached.ts";
import { type Int8Precision, Q8_POLICIES } from "../model/q8_policy.ts";
import { AdapterHost, type AdapterSetup } from "./adapter_host.ts";
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
  ensemble,
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
}

/** Prompts per embedText call when classify embeds its prompts. */
const PROMPTS_PER_CALL = 64;

/** A loaded CLIP model. Create with {@link loadClip}. */
export class Clip {
  #m: LoadedModel | null;
  readonly #adapters: AdapterHost;
  readonly #tokenizer: (() => ClipTokenizer) | Error;
  readonly #preprocess: PreprocessConfig | Error;
  /** Prompt embeddings of classify calls, keyed by adapter setup and prompt. */
  readonly #prompts = new EmbeddingCache();
  #activeKey = "null";

  /** @internal use loadClip */
  constructor(
    loaded: LoadedModel,
    tokenizer: (() => ClipTokenizer) | Error,
    preprocess: PreprocessConfig | Error,
  ) {
    this.#m = loaded;
    this.#adapters = new AdapterHost(loaded);
    this.#tokenizer = tokenizer;
    this.#preprocess = preprocess;
  }

  #pre(): PreprocessConfig {
    this.#loaded();
    if (this.#preprocess instanceof Error) throw this.#preprocess;
    return this.#preprocess;
  }

  #setupKey(adapters: AdapterSetup | null | undefined): string {
    return adapters === undefined ? this.#activeKey : JSON.stringify(adapters);
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

  /** The model's configuration (frozen). */
  get config(): ClipConfig {
    return this.#loaded().model.cfg;
  }

  /** What the linear layers run in: "f32" or "int8". */
  get dtype(): "f32" | "int8" {
    return this.#loaded().dtype;
  }

  /** Names of the loaded adapters (and fusions), in load order. */
  get adapterNames(): string[] {
    this.#loaded();
    return this.#adapters.names;
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
  async embedText(
    texts: string | readonly string[],
    opts: EmbedTextOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    const m = this.#loaded();
    await this.#idle();
    const list = textList(texts);
    return embedTexts(
      m.model,
      this.#tok(),
      list,
      this.#adapters.hooksFor(opts.adapters, {})("text"),
      opts,
    );
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
  async embedImage(
    images: ImageInput | readonly ImageInput[],
    opts: ImageOptions & { normalize?: boolean; adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    const m = this.#loaded();
    await this.#idle();
    const vision = m.model.vision;
    if (!vision) throw new EdgeClipError("invalid_input", "this checkpoint has no vision tower");
    const list = imageList(images);
    const out: Float32Array[] = [];
    // batches of 16 bound the scratch memory; the per-image cost does not depend on the batch
    for (let i = 0; i < list.length; i += 16) {
      const chunk = list.slice(i, i + 16);
      const S = vision.cfg.imageSize;
      const px = await pixelValues(chunk, this.#pre(), m.kernels, S, opts);
      const hooks = this.#adapters.hooksFor(opts.adapters, {})("vision");
      const enc = m.model.encodeImage(px, chunk.length, hooks);
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
  async classify(
    image: ImageInput,
    labels: readonly string[],
    opts: ClassifyOptions & ImageOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<LabelScore[]> {
    const m = this.#loaded();
    if (m.model.logitScale === undefined) {
      throw new EdgeClipError("invalid_input", "classify needs a two-tower CLIPModel checkpoint");
    }
    const perTemplate = prompts(labels, opts);
    const key = this.#setupKey(opts.adapters);
    // this call's prompt embeddings, held here: the shared cache may evict some of them when a
    // call has more prompts than it holds (a preset over many labels)
    const embeds = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const p of new Set(perTemplate.flat())) {
      const hit = this.#prompts.get(`${key}\0${p}`);
      if (hit) embeds.set(p, hit);
      else missing.push(p);
    }
    // a chunk at a time bounds the activation memory (an embedding does not depend on its batch)
    for (let i = 0; i < missing.length; i += PROMPTS_PER_CALL) {
      const part = missing.slice(i, i + PROMPTS_PER_CALL);
      const embs = await this.embedText(part, { adapters: opts.adapters });
      part.forEach((p, j) => {
        embeds.set(p, embs[j]);
        this.#prompts.set(`${key}\0${p}`, embs[j]);
      });
    }
    const labelEmbeds = ensemble(
      perTemplate.map((ps) => ps.map((p) => embeds.get(p)!)),
      labels.length,
    );
    const [img] = await this.embedImage(image, { ...opts, normalize: true });
    return scoreLabels(img, labelEmbeds, labels, m.model.logitScale, opts.topK);
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
  async forward(
    inputs: ForwardInputs,
    opts: { adapters?: AdapterSetup | null } = {},
  ): Promise<ForwardOutputs> {
    const m = this.#loaded();
    await this.#idle();
    {
      const mask = inputs.attentionMask;
      const textMask = mask
        ? Array.from(
          { length: mask.shape[0] },
          (_, b) => mask.data.subarray(b * mask.shape[1], (b + 1) * mask.shape[1]),
        )
        : undefined;
      return runForward(m.model, inputs, this.#adapters.hooksFor(opts.adapters, { textMask }));
    }
  }

  // ---- adapters ------------------------------------------------------------------------------

  /** Loads an adapter folder saved by the adapters library; returns its name. */
  async loadAdapter(
    source: Source,
    opts: { name?: string; overrides?: Record<string, unknown> } = {},
  ): Promise<string> {
    this.#loaded();
    return await this.#serial(() => this.#adapters.load(source, opts));
  }

  /** Loads an AdapterFusion folder for already-loaded adapters; returns the fusion name. */
  async loadFusion(source: Source, adapterNames: readonly string[]): Promise<string> {
    this.#loaded();
    return await this.#serial(() => this.#adapters.loadFusion(source, adapterNames));
  }

  // Loads allocate long-lived linear memory around awaits: one at a time per model.
  #queue: Promise<unknown> = Promise.resolve();
  /** Resolves once every load or merge started before it has finished. */
  #idle(): Promise<unknown> {
    return this.#queue;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Sets the adapter setup used by calls that do not pass `{ adapters }` (null = none). */
  setActiveAdapters(setup: AdapterSetup | null): void {
    this.#loaded();
    this.#adapters.setActive(setup);
    this.#activeKey = JSON.stringify(setup);
  }

  /**
   * Folds a LoRA or IA3 adapter into the base weights (on a model quantized at load: into the
   * checkpoint's f32 weights, then quantized). Calls made afterwards see the merged weights,
   * awaited or not.
   */
  async mergeAdapter(name: string): Promise<void> {
    this.#loaded();
    await this.#serial(async () => {
      try {
        await this.#adapters.merge(name);
      } finally {
        this.#prompts.clear(); // merged weights change every embedding
      }
    });
  }

  /** Releases the model's memory. Further calls throw `disposed`. */
  dispose(): void {
    this.#m = null;
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
  const precision = options.int8Precision ?? "balanced";
  if (!Object.hasOwn(Q8_POLICIES, precision)) {
    throw new EdgeClipError(
      "invalid_input",
      `int8Precision must be "balanced", "fast" or "high", got ${JSON.stringify(precision)}`,
    );
  }
  const { dtype, towers, int8Precision: _, ...sourceOptions } = options;
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
  return new Clip(loaded, tokenizer, preprocess);
}
