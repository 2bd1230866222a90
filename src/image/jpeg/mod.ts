// JPEG decoder matching libjpeg-turbo 2.1 as Pillow 9.4 uses it (accurate integer IDCT, fancy
// upsampling, its YCbCr tables, block smoothing of incomplete progressive files): baseline,
// extended and progressive Huffman-coded files, 8-bit, 1/3/4 components, any sampling factors
// libjpeg accepts. Pixels come out in the mode Pillow's `Image.open` reports: L, RGB, or CMYK
// holding the values Pillow holds (Adobe CMYK inverted, YCCK converted).

import { EdgeClipError } from "../../errors.ts";
import type { Kernels } from "../../wasm/kernels.ts";
import type { DecodedImage, DecodeLimits } from "../types.ts";
import { parseJpeg } from "./markers.ts";
import { reconstruct } from "./reconstruct.ts";

/**
 * Decodes JPEG bytes. Throws `EdgeClipError` `image_decode` for corrupt, truncated or unsupported
 * files (arithmetic coding, lossless, hierarchical, 12-bit) and `input_too_large` when
 * width·height exceeds `limits.maxPixels` (checked from the frame header, before any pixel
 * memory is allocated). `exifOrientation` is read from the first EXIF APP1 segment.
 *
 * @example
 * ```ts
 * const img = decodeJpeg(bytes, { maxPixels: DEFAULT_MAX_PIXELS }, Kernels.create());
 * img.mode; // "RGB" for a colour JPEG
 * ```
 */
export function decodeJpeg(
  bytes: Uint8Array,
  limits: DecodeLimits,
  kernels: Kernels,
): DecodedImage {
  if (!(bytes instanceof Uint8Array)) {
    throw new EdgeClipError(
      "invalid_input",
      "decodeJpeg: expected the file's bytes as a Uint8Array",
    );
  }
  const file = parseJpeg(bytes, limits);
  return reconstruct(bytes, file, kernels);
}
