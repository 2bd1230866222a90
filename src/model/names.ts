// Hugging Face CLIPModel weight names, spelled once (llama.cpp's TensorNameMap in spirit): the model
// builds its WeightScopes from these segments, and everything else that needs a key (adapter
// module paths, merging, tower filtering, int8 policies) asks here instead of retyping or parsing
// one. Reference: transformers/models/clip/modeling_clip.py (v4.57) module attribute names.

import type { Tower } from "./hooks.ts";

/** The root module of each tower. */
export const TOWER_MODULE: Readonly<Record<Tower, string>> = Object.freeze({
  text: "text_model",
  vision: "vision_model",
});

/** The projection after each tower (no bias). */
export const PROJECTION_MODULE: Readonly<Record<Tower, string>> = Object.freeze({
  text: "text_projection",
  vision: "visual_projection",
});

/** Module names inside the towers (HF spells the vision pre-norm "pre_layrnorm"). */
export const MODULE = Object.freeze({
  embeddings: "embeddings",
  tokenEmbedding: "token_embedding",
  positionEmbedding: "position_embedding",
  patchEmbedding: "patch_embedding",
  classEmbedding: "class_embedding",
  /** `position_ids`: a buffer old checkpoints saved, never a parameter. */
  positionIds: "position_ids",
  encoderLayers: ["encoder", "layers"] as const,
  finalLayerNorm: "final_layer_norm",
  preLayrnorm: "pre_layrnorm",
  postLayernorm: "post_layernorm",
  layerNorm1: "layer_norm1",
  layerNorm2: "layer_norm2",
  selfAttn: "self_attn",
  mlp: "mlp",
  logitScale: "logit_scale",
});

/** The linears of an encoder layer: the hook sites (q/k/v/fc1/fc2) and out_proj. */
export type LayerLinear = "q" | "k" | "v" | "out" | "fc1" | "fc2";

/** Where each linear sits inside an encoder layer. */
export const LAYER_LINEAR: Readonly<Record<LayerLinear, readonly [string, string]>> = Object
  .freeze({
    q: [MODULE.selfAttn, "q_proj"],
    k: [MODULE.selfAttn, "k_proj"],
    v: [MODULE.selfAttn, "v_proj"],
    out: [MODULE.selfAttn, "out_proj"],
    fc1: [MODULE.mlp, "fc1"],
    fc2: [MODULE.mlp, "fc2"],
  });

/**
 * Which linear of the model a loader is asked for: a typed place, so that policies, transforms
 * and adapters never parse key strings.
 */
export type LinearPlace =
  | { readonly tower: Tower; readonly layer: number; readonly linear: LayerLinear }
  | { readonly tower: Tower; readonly linear: "patch" | "projection" };

/** Key path of encoder layer `i` of a tower: "text_model.encoder.layers.3". */
export function layerPath(tower: Tower, i: number): string {
  return [TOWER_MODULE[tower], ...MODULE.encoderLayers, i].join(".");
}

/** Key path of a linear (its `.weight` / `.bias` follow): "vision_model.encoder.layers.0.mlp.fc1". */
export function linearPath(place: LinearPlace): string {
  if ("layer" in place) {
    return `${layerPath(place.tower, place.layer)}.${LAYER_LINEAR[place.linear].join(".")}`;
  }
  return place.linear === "projection"
    ? PROJECTION_MODULE[place.tower]
    : `${TOWER_MODULE[place.tower]}.${MODULE.embeddings}.${MODULE.patchEmbedding}`;
}

/** The tower a weight key belongs to (projections included), or undefined (logit_scale). */
export function towerOfKey(key: string): Tower | undefined {
  for (const t of ["text", "vision"] as const) {
    for (const root of [TOWER_MODULE[t], PROJECTION_MODULE[t]]) {
      if (key === root || key.startsWith(`${root}.`)) return t;
    }
  }
  return undefined;
}

/** True for keys that are buffers, not parameters (present in some checkpoints, never used). */
export function isIgnoredKey(key: string): boolean {
  // old HF checkpoints saved the position_ids arange buffer of each tower
  return (["text", "vision"] as const).some((t) =>
    key === `${TOWER_MODULE[t]}.${MODULE.embeddings}.${MODULE.positionIds}`
  );
}
