// The named hook points of an encoder layer: the places where the adapters library hooks into
// CLIP (models/clip/mixin_clip.py). The model calls them explicitly; adapter methods implement
// them. This file is the whole surface adapters see of the model.

import type { Mat } from "../wasm/kernels.ts";

/** One of the two towers of a CLIP model. */
export type Tower = "text" | "vision";

/** Linears the library wraps on CLIP (LoRA, IA3): q/k/v projections, fc1 ("intermediate"), fc2 ("output"). */
export type LinearSite = "q" | "k" | "v" | "fc1" | "fc2";

/**
 * Token layout of one tower run: sequences packed row after row in a [total × hidden] matrix.
 * Sequence b occupies rows [offsets[b], offsets[b] + lengths[b]).
 */
export interface SeqLayout {
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
  readonly total: number;
}

/** Where a hook is called. */
export interface LayerInfo {
  readonly tower: Tower;
  /** Layer index inside its tower. */
  readonly index: number;
  readonly hidden: number;
  readonly heads: number;
  readonly headDim: number;
  readonly layout: SeqLayout;
}

/** Prefix keys and values for every sequence, prepended on the key axis (visible to all queries). */
export interface PrefixKV {
  readonly length: number;
  /** Per sequence: [length × hidden] keys and values (heads side by side, as q/k/v rows). */
  readonly keys: readonly Mat[];
  readonly values: readonly Mat[];
}

/** Hooks of one encoder layer. Every method is optional; absent means the base model's behaviour. */
export interface LayerHooks {
  /**
   * Sites with a `linear` hook. At these sites the model computes y = x·Wᵀ + b alone (no fused
   * activation or residual), calls `linear`, then applies the activation.
   */
  readonly linearSites?: ReadonlySet<LinearSite>;
  /** Adjusts a wrapped linear's output y in place; x is that linear's input. */
  linear?(site: LinearSite, x: Mat, y: Mat, info: LayerInfo): void;
  /** Prefix keys/values from the attention input x = LN1(h) (prefix tuning, its gates read x). */
  prefix?(x: Mat, info: LayerInfo): PrefixKV | undefined;
  /**
   * Replaces the residual add after attention ("mh_adapter"): o = attention output after out_proj,
   * r = the layer input. Returns the new residual stream (may reuse o's or r's memory).
   */
  afterAttention?(o: Mat, r: Mat, info: LayerInfo): Mat;
  /** Replaces the residual add after the MLP ("output_adapter"): o = fc2 output, r = its input. */
  afterMlp?(o: Mat, r: Mat, info: LayerInfo): Mat;
  /** Adjusts the layer output in place (ReFT interventions). */
  layerOutput?(h: Mat, info: LayerInfo): void;
}

/** Hooks of a whole forward call (one per call: adapters keep per-call state here). */
export interface ModelHooks {
  /** Text token + position embeddings, before the encoder (invertible adapters). In place. */
  textEmbeddings?(h: Mat, layout: SeqLayout): void;
  /** Hooks of one encoder layer, or undefined. */
  layer(tower: Tower, index: number): LayerHooks | undefined;
}

/** Hooks that do nothing: the base model. */
export const NO_HOOKS: ModelHooks = { layer: () => undefined };
