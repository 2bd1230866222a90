// What the decoders produce: pixels in the image's *native* mode, as Pillow's Image.open reports
// it, because CLIP's reference pipeline resizes before converting to RGB (palette, alpha, 16-bit
// grey and CMYK images come out differently otherwise).

import { EdgeClipError } from "../errors.ts";

/**
 * Pillow-style modes:
 * - `L` grey, `LA` grey+alpha, `RGB`, `RGBA`, `CMYK`: 8-bit channels, interleaved.
 * - `P`: 8-bit palette indices; `palette` holds RGB triplets (`paletteAlpha` from tRNS if any).
 *   As in Pillow, an index past the end of `palette` means grey (i, i, i).
 * - `I`: 32-bit signed integer grey (Pillow opens 16-bit grey PNG as `I`); values in `data`.
 * - `1`: bilevel, one byte per pixel holding 0 or 255 as Pillow stores it (1-bit grey PNG,
 *   black/white BMP). Pillow resizes it with NEAREST, like `P`.
 */
export type ImageMode = "L" | "LA" | "RGB" | "RGBA" | "CMYK" | "P" | "I" | "1";

/** Channels per pixel in `data` for each mode. */
export const MODE_CHANNELS: Record<ImageMode, number> = {
  L: 1,
  LA: 2,
  RGB: 3,
  RGBA: 4,
  CMYK: 4,
  P: 1,
  I: 1,
  "1": 1,
};

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly mode: ImageMode;
  /** Row-major interleaved samples; Int32Array only for mode `I`. */
  readonly data: Uint8Array | Int32Array;
  /** Mode `P`: RGB triplets, 3·n bytes. */
  readonly palette?: Uint8Array;
  /** Mode `P` with transparency: alpha per palette entry. */
  readonly paletteAlpha?: Uint8Array;
  /** The container format the bytes were decoded from. */
  readonly format: "PNG" | "JPEG" | "GIF" | "BMP" | "WEBP" | "RAW";
  /** EXIF orientation tag (1–8) when the file carries one; not applied by the decoder. */
  readonly exifOrientation?: number;
}

/** Limits every decoder enforces before allocating pixel memory. */
export interface DecodeLimits {
  /** Maximum width·height (Pillow's decompression-bomb guard is ~89.5 M pixels). */
  readonly maxPixels: number;
}

/** Pillow's MAX_IMAGE_PIXELS default: int(1024 * 1024 * 1024 // 4 // 3). */
export const DEFAULT_MAX_PIXELS = 89_478_485;

/**
 * Throws `EdgeClipError("input_too_large")` unless a width×height image fits `limits`; decoders
 * call it as soon as the size is known, before allocating pixels.
 */
export function checkPixelLimit(
  format: string,
  width: number,
  height: number,
  limits: DecodeLimits,
): void {
  if (width * height > limits.maxPixels) {
    throw new EdgeClipError(
      "input_too_large",
      `${format}: ${width}×${height} = ${
        width * height
      } pixels exceeds the limit of ${limits.maxPixels}`,
      { width, height, maxPixels: limits.maxPixels },
    );
  }
}
