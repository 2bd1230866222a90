// `preprocessor_config.json` of a Hugging Face CLIP checkpoint, parsed once into a frozen object.
// Defaults are those of transformers' `CLIPImageProcessor.__init__`; the legacy
// `CLIPFeatureExtractor` spelling (`size: 224`, `crop_size: 224`) is read the way `get_size_dict`
// reads it (an int size is the shortest edge; an int crop is a square). Unknown keys are ignored.

import { EdgeClipError } from "../errors.ts";
import { RESAMPLE, type ResampleCode } from "./resample_coeffs.ts";

/** Resize target: the shorter side (aspect kept, long side truncated) or an exact height×width. */
export type ResizeSize =
  | { readonly shortestEdge: number }
  | { readonly height: number; readonly width: number };

/** The fields of `CLIPImageProcessor` that shape `pixel_values`. */
export interface PreprocessConfig {
  readonly doResize: boolean;
  readonly size: ResizeSize;
  /** Pillow resample code: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming. */
  readonly resample: ResampleCode;
  readonly doCenterCrop: boolean;
  readonly cropSize: { readonly height: number; readonly width: number };
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  readonly imageMean: readonly [number, number, number];
  readonly imageStd: readonly [number, number, number];
  readonly doConvertRgb: boolean;
}

/** transformers' OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (also the values in OpenAI's clip.py). */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** `CLIPImageProcessor()` with no arguments: OpenAI's ViT-B/32 preprocessing at 224. */
export const DEFAULT_PREPROCESS_CONFIG: PreprocessConfig = deepFreeze({
  doResize: true,
  size: { shortestEdge: 224 },
  resample: RESAMPLE.bicubic,
  doCenterCrop: true,
  cropSize: { height: 224, width: 224 },
  doRescale: true,
  rescaleFactor: 1 / 255,
  doNormalize: true,
  imageMean: [...OPENAI_CLIP_MEAN],
  imageStd: [...OPENAI_CLIP_STD],
  doConvertRgb: true,
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

function bad(field: string, want: string, got: unknown): never {
  throw new EdgeClipError(
    "model_config",
    `preprocessor_config.json: "${field}" must be ${want}, got ${JSON.stringify(got)}`,
    { field, value: got },
  );
}

function bool(j: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = j[key];
  if (v === undefined || v === null) return dflt;
  return typeof v === "boolean" ? v : bad(key, "true or false", v);
}

// Sizes are pixel counts; 65535 bounds them far above any CLIP input and keeps products exact.
function dim(field: string, v: unknown): number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535
    ? v
    : bad(field, "an integer from 1 to 65535", v);
}

function size(v: unknown): ResizeSize {
  if (v === undefined || v === null) return DEFAULT_PREPROCESS_CONFIG.size;
  if (typeof v === "number") return { shortestEdge: dim("size", v) };
  if (Array.isArray(v)) {
    if (v.length !== 2) bad("size", "[height, width]", v);
    return { height: dim("size[0]", v[0]), width: dim("size[1]", v[1]) };
  }
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    // CLIPImageProcessor.resize uses shortest_edge when present (a longest_edge beside it is unused).
    if (o.shortest_edge !== undefined) {
      return { shortestEdge: dim("size.shortest_edge", o.shortest_edge) };
    }
    if (o.height !== undefined && o.width !== undefined) {
      return { height: dim("size.height", o.height), width: dim("size.width", o.width) };
    }
  }
  return bad("size", "an int, {shortest_edge} or {height, width}", v);
}

function cropSize(v: unknown): { height: number; width: number } {
  if (v === undefined || v === null) return DEFAULT_PREPROCESS_CONFIG.cropSize;
  if (typeof v === "number") return { height: dim("crop_size", v), width: dim("crop_size", v) };
  if (Array.isArray(v) && v.length === 2) {
    return { height: dim("crop_size[0]", v[0]), width: dim("crop_size[1]", v[1]) };
  }
  if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o.height !== undefined && o.width !== undefined) {
      return { height: dim("crop_size.height", o.height), width: dim("crop_size.width", o.width) };
    }
  }
  return bad("crop_size", "an int or {height, width}", v);
}

function triple(
  field: string,
  v: unknown,
  dflt: readonly number[],
  nonZero: boolean,
): [number, number, number] {
  if (v === undefined || v === null) return [dflt[0], dflt[1], dflt[2]];
  const ok = (x: unknown): x is number =>
    typeof x === "number" && Number.isFinite(x) && (!nonZero || x !== 0);
  if (ok(v)) return [v, v, v]; // HF broadcasts a single number to every channel
  if (Array.isArray(v) && v.length === 3 && v.every(ok)) return [v[0], v[1], v[2]];
  return bad(field, `a number or 3 finite numbers${nonZero ? ", none 0" : ""}`, v);
}

/**
 * Parses a `preprocessor_config.json` object (already JSON-decoded). Bad values throw
 * `EdgeClipError("model_config")` naming the field.
 */
export function parsePreprocessConfig(json: unknown): PreprocessConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new EdgeClipError("model_config", "preprocessor_config.json must hold a JSON object");
  }
  const j = json as Record<string, unknown>;
  const r = j.resample ?? RESAMPLE.bicubic;
  const resample = typeof r === "number" && Number.isInteger(r) && r >= 0 && r <= 5
    ? r as ResampleCode
    : bad("resample", "a Pillow resample code 0–5", r);
  const f = j.rescale_factor ?? 1 / 255;
  const rescaleFactor = typeof f === "number" && Number.isFinite(f) && f > 0
    ? f
    : bad("rescale_factor", "a positive number", f);
  return deepFreeze({
    doResize: bool(j, "do_resize", true),
    size: size(j.size),
    resample,
    doCenterCrop: bool(j, "do_center_crop", true),
    cropSize: cropSize(j.crop_size),
    doRescale: bool(j, "do_rescale", true),
    rescaleFactor,
    doNormalize: bool(j, "do_normalize", true),
    imageMean: triple("image_mean", j.image_mean, OPENAI_CLIP_MEAN, false),
    imageStd: triple("image_std", j.image_std, OPENAI_CLIP_STD, true),
    doConvertRgb: bool(j, "do_convert_rgb", true),
  });
}
