// The object users hold: one loaded model with its kernels, tokenizer and preprocessor.

import { EdgeClipError } from "../errors.ts";
import { type Source, SOURCE_OPTIONS, type SourceOptions } from "../io/source.ts";
import { checkOptionNames } from "./options.ts";
import type { ClipConfig } from "../model/config.ts";
import { type ForwardInputs, type ForwardOutputs, runForward } from "./forward.ts";
import type { LoadedModel } from "../checkpoint/open.ts";
import { AdapterHost } from "../adapters/host.ts";
import { linearPath } from "../model/names.ts";
import type { AdapterSetup } from "./setup.ts";
import { type Call, Calls } from "./calls.ts";
import { type EmbedTextOptions, embedTexts, textList } from "./text.ts";
import type { ClipTokenizer, TokenizeOptions } from "../tokenizer/mod.ts";
import { type Tensor, tensor } from "../tensor.ts";
import type { PreprocessConfig } from "../image/preprocess_config.ts";
import { type ImageInput, imageList, type ImageOptions, pixelValues } from "./images.ts";
import {
  type ClassifyOptions,
  EmbeddingCache,
  labelEmbeddings,
  type LabelScore,
  prompts,
  scoreLabels,
  storedLabelSet,
} from "./classify.ts";
import { l2Normalize, noTower } from "./forward.ts";
import type { Tower } from "../model/hooks.ts";

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

  /** What the linear layers run in: "f32", "int8" or "int4". */
  get dtype(): "f32" | "int8" | "int4" {
    return this.#loaded().dtype;
  }

  /**
   * A classifier package's labels (embedded at conversion; `classify(image)` scores them), in
   * order; undefined for any other model.
   */
  get labels(): string[] | undefined {
    return this.#loaded().labelHead?.labels.slice();
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
    if (!vision) throw noTower("vision");
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
   * the image and each label's prompt (the mean over templates when several are given). On a
   * classifier package `labels` may be omitted (undefined or null): its stored labels are scored,
   * with the templates and adapters they were embedded with (`template` is then refused).
   *
   * @example
   * ```ts
   * const top = await clip.classify(bytes, ["cat", "dog"], { template: "a photo of a {}." });
   * // [{ label: "cat", score: 0.93 }, { label: "dog", score: 0.07 }]
   * const best = await classifier.classify(bytes, null, { topK: 5 }); // a classifier package
   * ```
   */
  classify(
    image: ImageInput,
    labels?: readonly string[] | null,
    opts: ClassifyOptions & ImageOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<LabelScore[]> {
    const key = this.#setupKey(opts.adapters);
    return this.#calls.run(opts.adapters, async (c) => {
      const logitScale = c.m.model.logitScale;
      if (logitScale === undefined) {
        throw new EdgeClipError("invalid_input", "classify needs a two-tower CLIPModel checkpoint");
      }
      const set = this.#labelSet(c, labels, opts, key);
      const [img] = await this.#images(c, image, { ...opts, normalize: true });
      return scoreLabels(img, set.embeddings, set.labels, logitScale, opts.topK);
    });
  }

  /**
   * The label embeddings classify scores against, one L2-normalised Float32Array per label: the
   * mean of the label's prompt embeddings over the templates, renormalised (labels omitted on a
   * classifier package: its stored ones). The converter stores these in a classifier package.
   */
  embedLabels(
    labels?: readonly string[] | null,
    opts: Pick<ClassifyOptions, "template"> & { adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    const key = this.#setupKey(opts.adapters);
    return this.#calls.run(
      opts.adapters,
      (c) => this.#labelSet(c, labels, opts, key).embeddings.map((e) => e.slice()),
    );
  }

  /** The prompt-cache key of the setup a call runs (the active one is fixed at its start). */
  #setupKey(adapters: AdapterSetup | null | undefined): string {
    return adapters === undefined ? this.#activeKey : JSON.stringify(adapters);
  }

  #labelSet(
    c: Call,
    labels: readonly string[] | null | undefined,
    opts: ClassifyOptions,
    key: string,
  ): { labels: readonly string[]; embeddings: readonly Float32Array[] } {
    if (labels === undefined || labels === null) return storedLabelSet(c.m.labelHead, opts);
    const embeddings = labelEmbeddings(prompts(labels, opts), {
      cache: this.#prompts,
      key,
      embed: (part) => this.#texts(c, part, {}),
    });
    return { labels, embeddings };
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

  /**
   * The towers where a loaded adapter acts at run time: where it has modules other than LoRA
   * weights already merged (a classifier package can hold only merged vision weights).
   */
  adapterTowers(name: string): Tower[] {
    return this.#host().actingTowers(name);
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
