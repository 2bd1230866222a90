// Image inputs → pixel_values: encoded bytes, Blobs, URLs (http(s), file:, data:), file paths and
// raw RGB/RGBA pixel buffers, decoded and preprocessed exactly like CLIP's image pipeline.

import { EdgeClipError } from "../errors.ts";
import { host } from "../io/host.ts";
import { readCapped } from "../io/read_capped.ts";
import type { FileSet } from "../io/source.ts";
import { decodeImage } from "../image/decode.ts";
import { imageFromPixels, isRawPixels, type RawPixels } from "../image/pixels.ts";
import { outputSize, preprocessImage, type PreprocessVariant } from "../image/preprocess.ts";
import {
  DEFAULT_PREPROCESS_CONFIG,
  parsePreprocessConfig,
  type PreprocessConfig,
} from "../image/preprocess_config.ts";
import { type DecodedImage, DEFAULT_MAX_PIXELS } from "../image/types.ts";
import type { VisionConfig } from "../model/config.ts";
import { Kernels } from "../wasm/kernels.ts";

/** One image as a call accepts it. */
export type ImageInput = Uint8Array | ArrayBuffer | Blob | URL | string | RawPixels;

/** Options of image calls (`embedImage`, `classify`). */
export interface ImageOptions {
  /** Reject images with more pixels (default: Pillow's decompression-bomb limit, ~89.5 M). */
  maxPixels?: number;
  /** Reject encoded files larger than this many bytes (default 64 MiB). */
  maxBytes?: number;
  /** "openai" (default): OpenAI's pipeline; "hf": Hugging Face CLIPImageProcessor's. */
  variant?: PreprocessVariant;
  /** Apply the EXIF orientation first (default false, as the reference pipeline). */
  applyExif?: boolean;
}

const DEFAULT_MAX_BYTES = 64 * 2 ** 20;

/**
 * Reads preprocessor_config.json when the model folder has one, else CLIPImageProcessor's
 * defaults sized to the vision tower (resize the short side to, and crop, its image size).
 */
export async function loadPreprocessConfig(
  files: FileSet,
  vision: VisionConfig,
): Promise<PreprocessConfig> {
  if (!(await files.exists("preprocessor_config.json"))) {
    const s = vision.imageSize;
    return Object.freeze({
      ...DEFAULT_PREPROCESS_CONFIG,
      size: { shortestEdge: s },
      cropSize: { height: s, width: s },
    });
  }
  const text = await files.text("preprocessor_config.json");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EdgeClipError(
      "model_config",
      `preprocessor_config.json is not valid JSON (${(e as Error).message})`,
    );
  }
  return parsePreprocessConfig(json);
}

function tooLarge(what: string, bytes: number, max: number): never {
  throw new EdgeClipError(
    "input_too_large",
    `${what} is ${bytes} bytes, over the limit of ${max} (raise maxBytes to accept it)`,
    { bytes, maxBytes: max },
  );
}

/** The bytes (or raw pixels) of one input. */
async function bytesOf(input: ImageInput, maxBytes: number): Promise<Uint8Array | RawPixels> {
  if (input instanceof Uint8Array) {
    if (input.length > maxBytes) tooLarge("the image", input.length, maxBytes);
    return input;
  }
  if (input instanceof ArrayBuffer) return bytesOf(new Uint8Array(input), maxBytes);
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    if (input.size > maxBytes) tooLarge("the image blob", input.size, maxBytes);
    return new Uint8Array(await input.arrayBuffer());
  }
  if (input instanceof URL || (typeof input === "string" && /^(https?|file|data):/i.test(input))) {
    const url = input instanceof URL ? input : new URL(input);
    if (url.protocol === "file:") return bytesOf(decodeURIComponent(url.pathname), maxBytes);
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new EdgeClipError("source_unavailable", `cannot fetch image ${short(url.href)}: ${e}`, {
        url: short(url.href),
      });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new EdgeClipError(
        "source_unavailable",
        `cannot fetch image ${short(url.href)}: HTTP ${res.status}`,
        { url: short(url.href), status: res.status },
      );
    }
    const what = `image ${short(url.href)}`;
    const declared = Number(res.headers.get("content-length") ?? NaN);
    return await readCapped(
      res.body,
      maxBytes,
      (n) => tooLarge(what, n, maxBytes),
      Number.isNaN(declared) ? undefined : declared,
    );
  }
  if (typeof input === "string") {
    let size: number;
    try {
      size = (await host.stat(input)).size;
    } catch (e) {
      throw new EdgeClipError(
        "source_unavailable",
        `cannot read image file ${input}: ${host.explain(e)}`,
        { path: input },
        { cause: e },
      );
    }
    if (size > maxBytes) tooLarge(`image file ${input}`, size, maxBytes);
    return await host.readFile(input);
  }
  if (isRawPixels(input)) return input;
  throw new EdgeClipError(
    "invalid_input",
    "an image must be encoded bytes (Uint8Array/ArrayBuffer), a Blob, a URL, a file path, " +
      "or raw pixels { data, width, height }",
  );
}

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Encoded files above this size decode in a throwaway kernel instance: linear memory never
 * shrinks, and a 12-megapixel JPEG would otherwise leave the model's instance ~60 MB larger.
 */
const SHARED_DECODE_BYTES = 256 * 1024;

/** Fetches/reads and decodes one input into its native-mode image. */
export async function decodeInput(
  input: ImageInput,
  kernels: Kernels,
  opts: ImageOptions = {},
): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const data = await bytesOf(input, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!(data instanceof Uint8Array)) return imageFromPixels(data, { maxPixels });
  const k = data.length > SHARED_DECODE_BYTES ? Kernels.create(kernels.variant) : kernels;
  return await decodeImage(data, { kernels: k, limits: { maxPixels } });
}

/** Checks that the preprocessor produces what the vision tower takes. */
export function checkPreprocessFitsModel(cfg: PreprocessConfig, vision: VisionConfig): void {
  // any input size gives the crop size when center-cropping; probe with a square image
  const [w, h] = outputSize(vision.imageSize * 2, vision.imageSize * 2, cfg);
  if (w !== vision.imageSize || h !== vision.imageSize) {
    throw new EdgeClipError(
      "model_config",
      `preprocessor_config.json produces ${w}×${h} images but the vision tower takes ` +
        `${vision.imageSize}×${vision.imageSize}`,
    );
  }
}

/** Decodes and preprocesses inputs into one [B, 3, S, S] float32 buffer. */
export async function pixelValues(
  inputs: readonly ImageInput[],
  cfg: PreprocessConfig,
  kernels: Kernels,
  size: number,
  opts: ImageOptions = {},
): Promise<Float32Array> {
  const plane = 3 * size * size;
  const out = new Float32Array(inputs.length * plane);
  for (let i = 0; i < inputs.length; i++) {
    const img = await decodeInput(inputs[i], kernels, opts);
    const px = preprocessImage(img, cfg, kernels, {
      variant: opts.variant,
      applyExif: opts.applyExif,
    });
    if (px.length !== plane) {
      throw new EdgeClipError(
        "model_config",
        `image ${i} preprocessed to ${
          px.length / 3
        } pixels; the vision tower takes ${size}×${size}`,
      );
    }
    out.set(px, i * plane);
  }
  return out;
}

/** Lists the images of a call (one input or an array of them). */
export function imageList(images: ImageInput | readonly ImageInput[]): ImageInput[] {
  return Array.isArray(images) ? [...images] : [images as ImageInput];
}
