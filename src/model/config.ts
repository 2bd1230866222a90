// CLIP configuration parsed from a Hugging Face config.json (CLIPConfig, or a single-tower
// CLIPTextConfig / CLIPVisionConfig), with HF's defaults, validated once and frozen.
// Reference: transformers/models/clip/configuration_clip.py (v4.57).

import { EdgeClipError } from "../errors.ts";
import type { ActName } from "../wasm/abi.ts";
import { towerOfKey } from "./names.ts";

export interface TextConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly maxPositions: number;
  readonly vocabSize: number;
  readonly layerNormEps: number;
  readonly act: ActName;
  /** 2 in legacy configs: pool at argmax(ids) (OpenAI's EOT = highest id); else the first EOS. */
  readonly eosTokenId: number;
  readonly bosTokenId: number;
  readonly padTokenId: number;
}

export interface VisionConfig {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly imageSize: number;
  readonly patchSize: number;
  readonly numChannels: number;
  readonly layerNormEps: number;
  readonly act: ActName;
}

/** Which model class the checkpoint is, as HF names it. */
export type ClipArchitecture =
  | "CLIPModel"
  | "CLIPTextModel"
  | "CLIPTextModelWithProjection"
  | "CLIPVisionModel"
  | "CLIPVisionModelWithProjection";

export interface ClipConfig {
  readonly architecture: ClipArchitecture;
  readonly text?: TextConfig;
  readonly vision?: VisionConfig;
  /** Width of text_embeds / image_embeds when a projection exists. */
  readonly projectionDim: number;
  readonly hasTextProjection: boolean;
  readonly hasVisionProjection: boolean;
  /** Free-form model name for messages (HF `_name_or_path`). */
  readonly name: string;
}

/** HF activation names → kernel activation codes. */
const ACTIVATIONS: Record<string, ActName> = {
  quick_gelu: "quick_gelu",
  gelu: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_fast",
  relu: "relu",
  silu: "silu",
  swish: "silu",
  tanh: "tanh",
  sigmoid: "sigmoid",
  gelu_10: "gelu_10",
};

type Json = Record<string, unknown>;

function bad(msg: string, field?: string): never {
  throw new EdgeClipError("model_config", `config.json: ${msg}`, field ? { field } : {});
}

function int(o: Json, key: string, def: number, where: string, min = 1): number {
  const v = o[key] ?? def;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    bad(`${where}.${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, `${where}.${key}`);
  }
  return v;
}

function num(o: Json, key: string, def: number, where: string): number {
  const v = o[key] ?? def;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    bad(`${where}.${key} must be a positive number, got ${JSON.stringify(v)}`, `${where}.${key}`);
  }
  return v;
}

function act(o: Json, where: string): ActName {
  const v = o.hidden_act ?? "quick_gelu";
  // own entries only: "toString" or "constructor" must not find an Object.prototype member
  const a = typeof v === "string" && Object.hasOwn(ACTIVATIONS, v) ? ACTIVATIONS[v] : undefined;
  if (!a) bad(`${where}.hidden_act ${JSON.stringify(v)} is not supported`, `${where}.hidden_act`);
  return a;
}

function heads(hidden: number, n: number, where: string): void {
  if (hidden % n !== 0) {
    bad(`${where}.hidden_size ${hidden} is not divisible by num_attention_heads ${n}`);
  }
}

/** The fields both towers share, with the tower's HF defaults for the sizes. */
function encoderFields(
  o: Json,
  where: string,
  d: { hidden: number; intermediate: number; heads: number },
) {
  const c = {
    hiddenSize: int(o, "hidden_size", d.hidden, where),
    intermediateSize: int(o, "intermediate_size", d.intermediate, where),
    numLayers: int(o, "num_hidden_layers", 12, where, 0),
    numHeads: int(o, "num_attention_heads", d.heads, where),
    layerNormEps: num(o, "layer_norm_eps", 1e-5, where),
    act: act(o, where),
  };
  heads(c.hiddenSize, c.numHeads, where);
  return c;
}

function textConfig(o: Json, where: string): TextConfig {
  return Object.freeze({
    ...encoderFields(o, where, { hidden: 512, intermediate: 2048, heads: 8 }),
    maxPositions: int(o, "max_position_embeddings", 77, where),
    vocabSize: int(o, "vocab_size", 49408, where),
    eosTokenId: int(o, "eos_token_id", 49407, where, 0),
    bosTokenId: int(o, "bos_token_id", 49406, where, 0),
    padTokenId: int(o, "pad_token_id", 1, where, 0),
  });
}

function visionConfig(o: Json, where: string): VisionConfig {
  const c: VisionConfig = {
    ...encoderFields(o, where, { hidden: 768, intermediate: 3072, heads: 12 }),
    imageSize: int(o, "image_size", 224, where),
    patchSize: int(o, "patch_size", 32, where),
    numChannels: int(o, "num_channels", 3, where),
  };
  if (c.imageSize % c.patchSize !== 0) {
    bad(`${where}.image_size ${c.imageSize} is not a multiple of patch_size ${c.patchSize}`);
  }
  return Object.freeze(c);
}

const SINGLE_TOWER: Record<string, ClipArchitecture[]> = {
  clip_text_model: ["CLIPTextModel", "CLIPTextModelWithProjection"],
  clip_vision_model: ["CLIPVisionModel", "CLIPVisionModelWithProjection"],
};

/**
 * Parses config.json. `hasKey(name)` tells which projection weights the checkpoint holds, which
 * decides between CLIPTextModel and CLIPTextModelWithProjection when `architectures` is absent.
 */
export function parseClipConfig(json: string, hasKey: (name: string) => boolean): ClipConfig {
  let o: Json;
  try {
    o = JSON.parse(json);
  } catch (e) {
    bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!o || typeof o !== "object" || Array.isArray(o)) bad("not a JSON object");
  const type = o.model_type ?? "clip";
  const archs = Array.isArray(o.architectures) ? o.architectures.map(String) : [];
  const name = typeof o._name_or_path === "string" ? o._name_or_path : "";
  if (type === "clip") {
    const tc = o.text_config ?? {};
    const vc = o.vision_config ?? {};
    if (typeof tc !== "object" || typeof vc !== "object") {
      bad("text_config/vision_config must be objects");
    }
    const text = textConfig(tc as Json, "text_config");
    const vision = visionConfig(vc as Json, "vision_config");
    return Object.freeze({
      architecture: "CLIPModel",
      text,
      vision,
      projectionDim: int(o, "projection_dim", 512, "config"),
      hasTextProjection: true,
      hasVisionProjection: true,
      name,
    });
  }
  const candidates = Object.hasOwn(SINGLE_TOWER, String(type))
    ? SINGLE_TOWER[String(type)]
    : undefined;
  if (!candidates) {
    bad(
      `model_type ${
        JSON.stringify(type)
      } is not a CLIP model (clip, clip_text_model, clip_vision_model)`,
    );
  }
  const isText = type === "clip_text_model";
  const projKey = isText ? "text_projection.weight" : "visual_projection.weight";
  const arch = archs.find((a) => candidates.includes(a as ClipArchitecture)) as ClipArchitecture ??
    (hasKey(projKey) ? candidates[1] : candidates[0]);
  const withProj = arch.endsWith("WithProjection");
  return Object.freeze({
    architecture: arch,
    text: isText ? textConfig(o, "config") : undefined,
    vision: isText ? undefined : visionConfig(o, "config"),
    projectionDim: int(o, "projection_dim", 512, "config"),
    hasTextProjection: isText && withProj,
    hasVisionProjection: !isText && withProj,
    name,
  });
}

/** Which towers a load (or a package) keeps. */
export type Towers = "both" | "text" | "vision";

/** The config with the tower `towers` leaves out removed (and its projection). */
export function restrictTowers(cfg: ClipConfig, towers: Towers, label: string): ClipConfig {
  if (towers === "both") return cfg;
  const keep = towers === "text" ? cfg.text : cfg.vision;
  if (!keep) {
    throw new EdgeClipError(
      "invalid_input",
      `${label}: towers "${towers}" asked for, but the model has no ${towers} tower`,
    );
  }
  return Object.freeze(
    towers === "text"
      ? { ...cfg, vision: undefined, hasVisionProjection: false }
      : { ...cfg, text: undefined, hasTextProjection: false },
  );
}

/** True when weight `key` (without a `clip.` prefix) belongs to a tower `towers` leaves out. */
export function droppedByTowers(key: string, towers: Towers): boolean {
  const tower = towerOfKey(key);
  return towers !== "both" && tower !== undefined && tower !== towers;
}
