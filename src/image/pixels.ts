// Raw pixel input (`{ data, width, height }`, e.g. canvas ImageData): validated and wrapped as a
// DecodedImage in mode RGB or RGBA, the mode Pillow's `Image.fromarray` would give the same bytes.

import { EdgeClipError } from "../errors.ts";
import { type DecodedImage, DEFAULT_MAX_PIXELS } from "./types.ts";

/** Interleaved 8-bit RGB or RGBA pixels, row-major, no row padding. */
export interface RawPixels {
  /** width × height × 3 (RGB) or × 4 (RGBA, e.g. a canvas' ImageData) bytes. */
  readonly data: Uint8Array | Uint8ClampedArray;
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
}

function invalid(message: string, context: Record<string, unknown> = {}): never {
  throw new EdgeClipError("invalid_input", message, context);
}

/** True when `x` looks like `{ data, width, height }` (the shape, not yet validated). */
export function isRawPixels(x: unknown): x is RawPixels {
  return typeof x === "object" && x !== null && "data" in x && "width" in x && "height" in x;
}

/**
 * Wraps raw pixels as a DecodedImage without copying. Channels (3 or 4) follow from
 * `data.length / (width·height)`. Throws `invalid_input` for bad sizes or types and
 * `input_too_large` above `maxPixels` (default: Pillow's decompression-bomb limit).
 */
export function imageFromPixels(px: RawPixels, opts: { maxPixels?: number } = {}): DecodedImage {
  const { data, width, height } = px;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    invalid("raw pixels: `data` must be a Uint8Array or Uint8ClampedArray of RGB or RGBA bytes", {
      type: Object.prototype.toString.call(data),
    });
  }
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      invalid(`raw pixels: \`${name}\` must be a positive integer, got ${String(v)}`, {
        [name]: v,
      });
    }
  }
  const n = width * height;
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (n > maxPixels) {
    throw new EdgeClipError(
      "input_too_large",
      `raw pixels: ${width}×${height} = ${n} pixels is over the limit of ${maxPixels}`,
      { width, height, maxPixels },
    );
  }
  const ch = data.length / n;
  if (ch !== 3 && ch !== 4) {
    invalid(
      `raw pixels: ${data.length} bytes for ${width}×${height} is neither RGB (${
        n * 3
      }) nor RGBA (${n * 4})`,
      { bytes: data.length, width, height },
    );
  }
  const bytes = data instanceof Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { width, height, mode: ch === 4 ? "RGBA" : "RGB", data: bytes, format: "RAW" };
}
