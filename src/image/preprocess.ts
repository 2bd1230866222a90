// CLIP image preprocessing: decoded image → `pixel_values` (CHW float32), driven by a
// `preprocessor_config.json`, reproducing one of two references exactly:
// - "openai" (default), OpenAI's `clip._transform`: resize in the image's native mode, centre crop
//   with round-half-even offsets (zero padding if small), convert("RGB"), ToTensor (f32 v/255),
//   Normalize in float32.
// - "hf", transformers' slow `CLIPImageProcessor`: convert to RGB first, resize, centre crop with
//   floor offsets, rescale in float64 then float32, normalise in float32.
// The two differ for palette, alpha, 16-bit and CMYK images and for odd crop margins (see
// shared/golden/README.md). EXIF orientation is ignored unless `applyExif` (as HF `load_image` does).

import { EdgeClipError } from "../errors.ts";
import type { Kernels } from "../wasm/kernels.ts";
import { type NormalizeParams, normalizeRgb } from "../wasm/image.ts";
import { toRGB } from "./convert.ts";
import { centerCrop, cropImage, cropOffset } from "./crop.ts";
import { exifTranspose } from "./orient.ts";
import type { PreprocessConfig, ResizeSize } from "./preprocess_config.ts";
import { kernelResampler, resizeImage } from "./resize.ts";
import { type DecodedImage, MODE_CHANNELS } from "./types.ts";

/** Which reference pipeline to reproduce. */
export type PreprocessVariant = "openai" | "hf";

export interface PreprocessOptions {
  /** Default "openai". */
  readonly variant?: PreprocessVariant;
  /** Undo the image's EXIF orientation first (default false: the reference ignores it). */
  readonly applyExif?: boolean;
}

/** The last 8-bit stage: the RGB image that gets normalised (HWC bytes). */
export interface RgbStage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

/**
 * Resize target (width, height) for an image of w×h: shortest edge → n with the long side
 * `int(n·long/short)` (torchvision and HF compute it the same way), or the exact height×width.
 */
export function resizeTarget(w: number, h: number, size: ResizeSize): [number, number] {
  if ("shortestEdge" in size) {
    const n = size.shortestEdge;
    // Python int(n * long / short): float64 division, truncated.
    return w <= h ? [n, Math.trunc((n * h) / w)] : [Math.trunc((n * w) / h), n];
  }
  return [size.width, size.height];
}

/** Output [height, width] of `pixel_values` for a w×h image. */
export function outputSize(w: number, h: number, cfg: PreprocessConfig): [number, number] {
  if (cfg.doCenterCrop) return [cfg.cropSize.height, cfg.cropSize.width];
  if (cfg.doResize) {
    const [tw, th] = resizeTarget(w, h, cfg.size);
    return [th, tw];
  }
  return [h, w];
}

/** A DecodedImage built by hand (or by a buggy decoder) must still describe its own data. */
function checkImage(img: DecodedImage): void {
  const c = Object.hasOwn(MODE_CHANNELS, img.mode) ? MODE_CHANNELS[img.mode] : undefined;
  const { width: w, height: h } = img;
  if (!c || !Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new EdgeClipError(
      "invalid_input",
      `image ${w}×${h} in mode ${String(img.mode)} is not a valid image`,
    );
  }
  const want = img.mode === "I" ? Int32Array : Uint8Array;
  if (!(img.data instanceof want) || img.data.length !== w * h * c) {
    throw new EdgeClipError(
      "invalid_input",
      `image ${w}×${h} ${img.mode} needs ${
        w * h * c
      } samples (${want.name}), has ${img.data?.length}`,
    );
  }
}

function rgbOf(img: DecodedImage): DecodedImage {
  return img.mode === "RGB"
    ? img
    : { ...img, mode: "RGB", data: toRGB(img), palette: undefined, paletteAlpha: undefined };
}

/** Runs every step up to (and including) the conversion to RGB; returns the bytes to normalise. */
export function preprocessToRgb(
  img: DecodedImage,
  cfg: PreprocessConfig,
  kernels: Kernels,
  opts: PreprocessOptions = {},
): RgbStage {
  const variant = opts.variant ?? "openai";
  if (variant !== "openai" && variant !== "hf") {
    throw new EdgeClipError(
      "invalid_input",
      `preprocess variant must be "openai" or "hf", got ${String(variant)}`,
    );
  }
  checkImage(img);
  let cur = opts.applyExif ? exifTranspose(img) : img;
  // HF converts first (do_convert_rgb); OpenAI converts after the crop. Without do_convert_rgb HF
  // would keep the mode, so the conversion (needed for three channels) comes last there too.
  if (variant === "hf" && cfg.doConvertRgb) cur = rgbOf(cur);
  const { width: cw, height: ch } = cfg.cropSize;
  if (cfg.doResize) {
    const [tw, th] = resizeTarget(cur.width, cur.height, cfg.size);
    const u8 = kernelResampler(kernels);
    if (cfg.doCenterCrop) {
      // Resize only what the crop keeps (same pixels as resizing everything), then pad around it.
      const left = cropOffset(tw, cw, variant), top = cropOffset(th, ch, variant);
      const x0 = Math.max(0, left), y0 = Math.max(0, top);
      const region = { x0, y0, x1: Math.min(tw, left + cw), y1: Math.min(th, top + ch) };
      cur = cropImage(
        resizeImage(cur, tw, th, cfg.resample, u8, region),
        left - x0,
        top - y0,
        cw,
        ch,
      );
    } else {
      cur = resizeImage(cur, tw, th, cfg.resample, u8);
    }
  } else if (cfg.doCenterCrop) {
    cur = centerCrop(cur, cw, ch, variant);
  }
  cur = rgbOf(cur);
  return { width: cur.width, height: cur.height, rgb: cur.data as Uint8Array };
}

/** The float arithmetic of the normalisation step for a config and variant. */
export function normalizeParams(
  cfg: PreprocessConfig,
  variant: PreprocessVariant = "openai",
): NormalizeParams {
  // torchvision's ToTensor divides by 255 in float32; HF multiplies by rescale_factor in float64.
  // For a non-default factor the OpenAI pipeline has no equivalent, so the HF arithmetic is used.
  const rescale = !cfg.doRescale
    ? { kind: "div" as const, divisor: 1 }
    : variant === "openai" && cfg.rescaleFactor === 1 / 255
    ? { kind: "div" as const, divisor: 255 }
    : { kind: "mul64" as const, factor: cfg.rescaleFactor };
  // (x − 0) / 1 is x exactly, so skipping normalisation is the identity here.
  return cfg.doNormalize
    ? { rescale, mean: cfg.imageMean, std: cfg.imageStd }
    : { rescale, mean: [0, 0, 0], std: [1, 1, 1] };
}

/**
 * Preprocesses one decoded image into `pixel_values` for CLIP: 3 planes (R, G, B) of H×W float32,
 * H×W from `outputSize`.
 *
 * @example
 * ```ts
 * const k = Kernels.create();
 * const px = preprocessImage(await decodeImage(bytes, { kernels: k }), DEFAULT_PREPROCESS_CONFIG, k);
 * ```
 */
export function preprocessImage(
  img: DecodedImage,
  cfg: PreprocessConfig,
  kernels: Kernels,
  opts: PreprocessOptions = {},
): Float32Array {
  const s = preprocessToRgb(img, cfg, kernels, opts);
  const out = new Float32Array(3 * s.width * s.height);
  normalizeRgb(kernels, s.rgb, s.width, s.height, normalizeParams(cfg, opts.variant), out);
  return out;
}

/**
 * Preprocesses a batch into one [B, 3, H, W] buffer. All images must come out the same size (always
 * true with centre crop); otherwise `invalid_input`.
 */
export function preprocessBatch(
  imgs: readonly DecodedImage[],
  cfg: PreprocessConfig,
  kernels: Kernels,
  opts: PreprocessOptions = {},
): { data: Float32Array; shape: [number, number, number, number] } {
  if (imgs.length === 0) {
    throw new EdgeClipError("invalid_input", "preprocessBatch needs at least one image");
  }
  const sizes = imgs.map((im) => {
    const o = im.exifOrientation ?? 1;
    const swap = opts.applyExif && Number.isInteger(o) && o >= 5 && o <= 8; // 90° turns
    return swap ? outputSize(im.height, im.width, cfg) : outputSize(im.width, im.height, cfg);
  });
  const [h, w] = sizes[0];
  const i = sizes.findIndex(([hh, ww]) => hh !== h || ww !== w);
  if (i >= 0) {
    throw new EdgeClipError(
      "invalid_input",
      `images of one batch must preprocess to the same size: image 0 gives ${h}×${w}, image ${i} gives ` +
        `${sizes[i][0]}×${sizes[i][1]} (enable do_center_crop or batch them separately)`,
    );
  }
  const data = new Float32Array(imgs.length * 3 * h * w);
  const params = normalizeParams(cfg, opts.variant);
  imgs.forEach((im, b) => {
    const s = preprocessToRgb(im, cfg, kernels, opts);
    normalizeRgb(kernels, s.rgb, s.width, s.height, params, data, b * 3 * h * w);
  });
  return { data, shape: [imgs.length, 3, h, w] };
}
