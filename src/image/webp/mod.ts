// WebP decoder matching libwebp 1.2.4 as Pillow 9.4 uses it (WebPAnimDecoder, RGBA output,
// default fancy upsampling): lossy VP8 with optional ALPH alpha, lossless VP8L, extended files
// with EXIF, and animations (first frame on a transparent-black canvas). The mode is the one
// Pillow reports: RGBA when WebPGetFeatures says the file has alpha, else RGB.

import { EdgeClipError } from "../../errors.ts";
import type { Kernels } from "../../wasm/kernels.ts";
import { readExifOrientation } from "../exif.ts";
import { checkPixelLimit, type DecodedImage, type DecodeLimits } from "../types.ts";
import { decodeAlpha } from "./alpha.ts";
import { LosslessBitReader } from "./lossless/bit_reader.ts";
import { decodeImageStream } from "./lossless/decode.ts";
import { decodeVp8 } from "./lossy/decode.ts";
import { parseContainer, type WebpFrame } from "./riff.ts";
import { yuvToRgbFancy } from "./yuv.ts";

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: ${what}`);

/** Width, height and alpha bit of a VP8L header (RFC 9649 §3.2). */
export function readVp8lHeader(d: Uint8Array): { width: number; height: number; alpha: boolean } {
  if (d.length < 5 || d[0] !== 0x2f) throw bad("VP8L signature is wrong");
  if (d[4] >> 5 !== 0) throw bad("VP8L version is not 0");
  const bits = d[1] | (d[2] << 8) | (d[3] << 16) | (d[4] << 24);
  return {
    width: (bits & 0x3fff) + 1,
    height: ((bits >> 14) & 0x3fff) + 1,
    alpha: ((bits >> 28) & 1) === 1,
  };
}

/**
 * Decodes WebP bytes into mode RGB or RGBA. Throws `EdgeClipError` `image_decode` for corrupt,
 * truncated or unsupported files and `input_too_large` when the canvas exceeds
 * `limits.maxPixels` (checked before pixel memory is allocated). `exifOrientation` comes from
 * the EXIF chunk when the VP8X header flags one. `kernels` is accepted for the common decoder
 * signature; the WebP decoder is plain TypeScript.
 *
 * @example
 * ```ts
 * const img = decodeWebp(bytes, { maxPixels: DEFAULT_MAX_PIXELS }, Kernels.create());
 * img.mode; // "RGB" for an opaque file
 * ```
 */
export function decodeWebp(
  bytes: Uint8Array,
  limits: DecodeLimits,
  _kernels?: Kernels,
): DecodedImage {
  if (!(bytes instanceof Uint8Array)) {
    throw new EdgeClipError(
      "invalid_input",
      "decodeWebp: expected the file's bytes as a Uint8Array",
    );
  }
  const c = parseContainer(bytes);
  const f = c.frame;
  // The mode Pillow reports comes from WebPGetFeatures on the whole file.
  let hasAlpha: boolean;
  if (!c.extended) hasAlpha = f.lossless && readVp8lHeader(f.image).alpha;
  else if (c.animated) hasAlpha = c.alphaFlag;
  else hasAlpha = (f.lossless ? readVp8lHeader(f.image).alpha : c.alphaFlag) || c.hasAlphChunk;
  const ch = hasAlpha ? 4 : 3;

  const { width, height } = c.canvas;
  checkPixelLimit("WebP", width, height, limits);
  const pixels = decodeFrame(f, ch);
  let out = pixels;
  if (f.width !== width || f.height !== height) {
    // An animation frame smaller than the canvas: the rest stays transparent black.
    out = new Uint8Array(width * height * ch);
    const row = f.width * ch;
    for (let y = 0; y < f.height; y++) {
      out.set(pixels.subarray(y * row, (y + 1) * row), ((f.y + y) * width + f.x) * ch);
    }
  }
  const orientation = c.exif ? readExifOrientation(c.exif) : undefined;
  return {
    width,
    height,
    mode: hasAlpha ? "RGBA" : "RGB",
    data: out,
    format: "WEBP",
    ...(orientation !== undefined ? { exifOrientation: orientation } : {}),
  };
}

/** Decodes one frame (its size already checked) to interleaved RGB (`ch` 3) or RGBA (`ch` 4). */
function decodeFrame(f: WebpFrame, ch: 3 | 4): Uint8Array {
  const sameSize = (w: number, h: number) => {
    if (w !== f.width || h !== f.height) throw bad("frame size changed while decoding");
  };
  if (f.lossless) {
    const br = new LosslessBitReader(f.image, 5);
    const argb = decodeImageStream(br, f.width, f.height, true);
    br.check();
    const n = f.width * f.height;
    const pixels = new Uint8Array(n * ch);
    for (let i = 0, o = 0; i < n; i++, o += ch) {
      const v = argb[i];
      pixels[o] = (v >> 16) & 0xff;
      pixels[o + 1] = (v >> 8) & 0xff;
      pixels[o + 2] = v & 0xff;
      if (ch === 4) pixels[o + 3] = v >>> 24;
    }
    return pixels;
  }
  const yuv = decodeVp8(f.image, sameSize, f.imageSize);
  const pixels = yuvToRgbFancy(yuv, ch);
  if (f.alpha) {
    // Decoded even when the mode has no alpha: libwebp decodes it and fails if it is corrupt.
    const a = decodeAlpha(f.alpha, yuv.width, yuv.height);
    if (ch === 4) { for (let i = 0; i < a.length; i++) pixels[4 * i + 3] = a[i]; }
  }
  return pixels;
}
