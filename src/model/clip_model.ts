// CLIP: the two towers, their projections and logit_scale (HF CLIPModel), or a single tower
// (CLIPTextModel[WithProjection], CLIPVisionModel[WithProjection]). Encodes into plain arrays;
// every intermediate lives in scratch memory released when the call returns.

import type { Kernels, Mat, Owner } from "../wasm/kernels.ts";
import type { ClipConfig } from "./config.ts";
import { type EmbeddingLoader, loadEmbeddingF32 } from "./embedding.ts";
import type { ModelHooks, SeqLayout, Tower } from "./hooks.ts";
import { type Linear, type LinearLoader, loadLinearF32 } from "./linear.ts";
import { TextModel, type TextModel as TextTower, type TextSeq } from "./text_model.ts";
import { MODULE, PROJECTION_MODULE, TOWER_MODULE } from "./names.ts";
import { VisionModel } from "./vision_model.ts";
import type { WeightFile } from "../io/weight_file.ts";
import { WeightStore } from "./weights.ts";

export interface LoadOptions {
  /** How linear weights are stored in memory (f32 packed by default). */
  linear?: LinearLoader;
  /** How the token-embedding table is stored (f32 by default). */
  embedding?: EmbeddingLoader;
}

/** What one tower run returns, copied out of linear memory. */
export interface Encoded {
  /** Projected features [B × projectionDim], not normalised; absent without a projection. */
  embeds?: Float32Array;
  /** Pooled hidden state [B × hidden] (text: EOS token; vision: post_layernorm of the class token). */
  pooled: Float32Array;
  /** All hidden states [total × hidden] in the run's layout, when asked for. */
  hidden?: Float32Array;
  layout: SeqLayout;
}

export class ClipModel {
  constructor(
    readonly k: Kernels,
    readonly cfg: ClipConfig,
    readonly text: TextTower | undefined,
    readonly vision: VisionModel | undefined,
    readonly textProjection: Linear | undefined, // [P × Ht], no bias
    readonly visualProjection: Linear | undefined, // [P × Hv], no bias
    readonly logitScale: number | undefined, // log of the logit multiplier
    /** The linear memory of every weight (free() when the model is dropped from its kernels). */
    readonly owner: Owner,
  ) {}

  /**
   * Builds the model from a checkpoint; every tensor is checked and every key must be used. A
   * load that fails gives back all the memory it took.
   */
  static async load(
    file: WeightFile,
    cfg: ClipConfig,
    k: Kernels,
    opts: LoadOptions = {},
  ): Promise<ClipModel> {
    return await k.owned((owner) => ClipModel.#load(new WeightStore(file, k, owner), cfg, opts));
  }

  static async #load(store: WeightStore, cfg: ClipConfig, opts: LoadOptions): Promise<ClipModel> {
    const linear = opts.linear ?? loadLinearF32;
    const embedding = opts.embedding ?? loadEmbeddingF32;
    const root = store.root();
    const text = cfg.text
      ? await TextModel.load(root.pp(TOWER_MODULE.text), cfg.text, linear, embedding)
      : undefined;
    const vision = cfg.vision
      ? await VisionModel.load(root.pp(TOWER_MODULE.vision), cfg.vision, linear)
      : undefined;
    const projection = (tower: Tower, hidden: number) =>
      linear(root.pp(PROJECTION_MODULE[tower]), {
        inFeatures: hidden,
        outFeatures: cfg.projectionDim,
        bias: false,
        place: { tower, linear: "projection" },
      });
    const textProjection = cfg.hasTextProjection
      ? await projection("text", cfg.text!.hiddenSize)
      : undefined;
    const visualProjection = cfg.hasVisionProjection
      ? await projection("vision", cfg.vision!.hiddenSize)
      : undefined;
    let logitScale: number | undefined;
    if (cfg.architecture === "CLIPModel") {
      // stored as [] (a scalar) by HF; some exports keep [1]
      const key = MODULE.logitScale;
      const shape = store.file.header.entries.get(store.keyPrefix + key)?.shape;
      logitScale = (await root.f32Array(key, shape?.length === 1 ? [1] : []))[0];
    }
    store.finish();
    return new ClipModel(
      store.k,
      cfg,
      text,
      vision,
      textProjection,
      visualProjection,
      logitScale,
      store.owner,
    );
  }

  /** Runs the text tower; pooled rows are taken at each sequence's EOS position. */
  encodeText(
    seqs: readonly TextSeq[],
    hooks: ModelHooks,
    opts: { hidden?: boolean } = {},
  ): Encoded {
    return this.k.scratch(() => {
      const { hidden, pooled, layout } = this.text!.run(seqs, hooks, opts.hidden ?? false);
      return this.#finish(pooled, hidden, this.textProjection, layout, opts.hidden);
    });
  }

  /** Runs the vision tower on `count` images of pixel_values (CHW each, concatenated). */
  encodeImage(
    pixels: Float32Array,
    count: number,
    hooks: ModelHooks,
    opts: { hidden?: boolean } = {},
  ): Encoded {
    return this.k.scratch(() => {
      const { hidden, pooled, layout } = this.vision!.run(
        pixels,
        count,
        hooks,
        opts.hidden ?? false,
      );
      return this.#finish(pooled, hidden, this.visualProjection, layout, opts.hidden);
    });
  }

  #finish(
    pooled: Mat,
    hidden: Mat | undefined,
    proj: Linear | undefined,
    layout: SeqLayout,
    wantHidden?: boolean,
  ): Encoded {
    const k = this.k;
    let embeds: Float32Array | undefined;
    if (proj) {
      const e = k.mat(pooled.rows, proj.outFeatures);
      proj.forward(pooled, e);
      embeds = k.read(e);
    }
    return {
      embeds,
      pooled: k.read(pooled),
      hidden: wantHidden && hidden ? k.read(hidden) : undefined,
      layout,
    };
  }
}

export type { TextSeq };
