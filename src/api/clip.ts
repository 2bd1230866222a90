// The object users hold: one loaded model with its kernels, tokenizer and preprocessor.

import { EdgeClipError } from "../errors.ts";
import type { Source } from "../io/source.ts";
import type { ClipConfig } from "../model/config.ts";
import { type ForwardInputs, type ForwardOutputs, runForward } from "./forward.ts";
import { type LoadedModel, openModel } from "./load.ts";
import { AdapterHost, type AdapterSetup } from "./adapter_host.ts";
import { type EmbedTextOptions, embedTexts, loadTokenizer, textList } from "./text.ts";
import type { ClipTokenizer, TokenizeOptions } from "../tokenizer/mod.ts";
import type { Tensor } from "../tensor.ts";

export interface LoadClipOptions {
  /**
   * What to run: "f32" (default) or "int8". An f32 Hugging Face folder with "int8" is quantized at
   * load; an edgeclip package (one .safetensors file from `convert`) always runs int8.
   */
  dtype?: "f32" | "int8";
  /** Keep one tower only ("text" or "vision"), e.g. to fit a 128 MB isolate; default both. */
  towers?: "both" | "text" | "vision";
}

/** A loaded CLIP model. Create with {@link loadClip}. */
export class Clip {
  #m: LoadedModel | null;
  readonly #adapters: AdapterHost;
  readonly #tokenizer: ClipTokenizer | Error;

  /** @internal use loadClip */
  constructor(loaded: LoadedModel, tokenizer: ClipTokenizer | Error) {
    this.#m = loaded;
    this.#adapters = new AdapterHost(loaded);
    this.#tokenizer = tokenizer;
  }

  #tok(): ClipTokenizer {
    this.#loaded();
    if (this.#tokenizer instanceof Error) throw this.#tokenizer;
    return this.#tokenizer;
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

  /**
   * Text embeddings, one Float32Array per text (projected, L2-normalised unless
   * `normalize: false`). Each text runs only to its own length.
   *
   * @example
   * ```ts
   * const [a, b] = await clip.embedText(["a photo of a cat", "a photo of a dog"]);
   * ```
   */
  // deno-lint-ignore require-await
  async embedText(
    texts: string | readonly string[],
    opts: EmbedTextOptions & { adapters?: AdapterSetup | null } = {},
  ): Promise<Float32Array[]> {
    const m = this.#loaded();
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
  // deno-lint-ignore require-await
  async forward(
    inputs: ForwardInputs,
    opts: { adapters?: AdapterSetup | null } = {},
  ): Promise<ForwardOutputs> {
    const m = this.#loaded();
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
    return await this.#adapters.load(source, opts);
  }

  /** Loads an AdapterFusion folder for already-loaded adapters; returns the fusion name. */
  async loadFusion(source: Source, adapterNames: readonly string[]): Promise<string> {
    this.#loaded();
    return await this.#adapters.loadFusion(source, adapterNames);
  }

  /** Sets the adapter setup used by calls that do not pass `{ adapters }` (null = none). */
  setActiveAdapters(setup: AdapterSetup | null): void {
    this.#loaded();
    this.#adapters.setActive(setup);
  }

  /** Folds a LoRA or IA3 adapter into the base weights. */
  mergeAdapter(name: string): void {
    this.#loaded();
    this.#adapters.merge(name);
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
  const loaded = await openModel(source, { dtype: options.dtype, towers: options.towers });
  // the tokenizer is needed synchronously by tokenize(); a model without text tower skips it
  const tokenizer = loaded.model.text
    ? await loadTokenizer(loaded.files).catch((e: Error) => {
      // a folder without tokenizer files still serves images; malformed files fail the load
      if (e instanceof EdgeClipError && e.code === "source_unavailable") return e;
      throw e;
    })
    : new EdgeClipError("invalid_input", "this checkpoint has no text tower");
  return new Clip(loaded, tokenizer);
}
