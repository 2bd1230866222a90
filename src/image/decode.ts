// Format dispatch: sniff the signature and hand the bytes to that format's decoder. Every decoder
// returns the image in Pillow's native mode and enforces the pixel limit before allocating.

// A decoder's module is imported when the first file of its format arrives (measured: all five
// imported up front cost ~5 MiB of resident memory that a JPEG-only server never uses).

import { EdgeClipError } from "../errors.ts";
import type { Kernels } from "../wasm/kernels.ts";
import { ascii, sniffFormat, startsWith } from "./signatures.ts";
import { type DecodedImage, type DecodeLimits, DEFAULT_MAX_PIXELS } from "./types.ts";

export { sniffFormat };

/** Options of `decodeImage`. */
export interface DecodeOptions {
  /** Pixel limit (default `DEFAULT_MAX_PIXELS`, Pillow's decompression-bomb threshold). */
  readonly limits?: DecodeLimits;
  /** Kernel instance for the decoders that use wasm (JPEG, WebP). */
  readonly kernels: Kernels;
}

/** Names what unsupported bytes look like, for the error message. */
function describe(b: Uint8Array): string {
  if (b.length === 0) return "the input is empty";
  const hex = Array.from(b.subarray(0, 12), (v) => v.toString(16).padStart(2, "0")).join(" ");
  const known: [boolean, string][] = [
    [startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]), "TIFF"],
    [startsWith(b, ascii("ftyp"), 4) && /^(heic|heix|hevc|mif1|msf1)/.test(brand(b)), "HEIF/HEIC"],
    [startsWith(b, ascii("ftyp"), 4) && /^avi[fs]/.test(brand(b)), "AVIF"],
    [startsWith(b, ascii("ftyp"), 4), "an ISO media file (MP4/MOV)"],
    [startsWith(b, [0x00, 0x00, 0x01, 0x00]), "a Windows icon (ICO)"],
    [startsWith(b, ascii("8BPS")), "a Photoshop document (PSD)"],
    [
      startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]),
      "JPEG XL",
    ],
    [startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]), "JPEG 2000"],
    [startsWith(b, ascii("RIFF")), "a RIFF file that is not WebP"],
    [startsWith(b, ascii("%PDF")), "a PDF document"],
    [startsWith(b, [0x1f, 0x8b]), "gzip data"],
    [startsWith(b, ascii("PK")), "a ZIP archive"],
    [/^\s*</.test(text(b)), "text markup (HTML, XML or SVG)"],
    [/^\s*[{[]/.test(text(b)), "JSON text"],
    [/^[A-Za-z0-9+/]{12}/.test(text(b)), "base64 text (decode it to bytes first)"],
  ];
  const hit = known.find(([ok]) => ok);
  return `${hit ? `it looks like ${hit[1]}; ` : ""}first bytes: ${hex}`;
}

function brand(b: Uint8Array): string {
  return String.fromCharCode(...b.subarray(8, 12));
}

function text(b: Uint8Array): string {
  return String.fromCharCode(...b.subarray(0, 16));
}

/**
 * Decodes an encoded image (PNG, JPEG, GIF, BMP, WebP — recognised by signature, not by name)
 * into its Pillow-native mode. Throws `EdgeClipError` `image_decode` for an unknown format or a
 * corrupt file, `input_too_large` above `limits.maxPixels`, `invalid_input` for a non-byte input.
 *
 * @example
 * ```ts
 * const img = await decodeImage(await Deno.readFile("cat.png"), { kernels });
 * const rgb = toRGB(img); // Pillow's convert("RGB")
 * ```
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions): Promise<DecodedImage> {
  if (!(bytes instanceof Uint8Array)) {
    throw new EdgeClipError(
      "invalid_input",
      "decodeImage: expected the file's bytes as a Uint8Array",
    );
  }
  const limits = opts.limits ?? { maxPixels: DEFAULT_MAX_PIXELS };
  if (!(limits.maxPixels > 0)) {
    throw new EdgeClipError(
      "invalid_input",
      `decodeImage: maxPixels must be positive, got ${limits.maxPixels}`,
    );
  }
  switch (sniffFormat(bytes)) {
    case "PNG":
      return (await import("./png/mod.ts")).decodePng(bytes, limits);
    case "JPEG":
      return (await import("./jpeg/mod.ts")).decodeJpeg(bytes, limits, opts.kernels);
    case "GIF":
      return (await import("./gif.ts")).decodeGif(bytes, limits);
    case "WEBP":
      return (await import("./webp/mod.ts")).decodeWebp(bytes, limits, opts.kernels);
    case "BMP":
      return (await import("./bmp.ts")).decodeBmp(bytes, limits);
  }
  throw new EdgeClipError(
    "image_decode",
    `unsupported image format (PNG, JPEG, GIF, BMP and WebP are supported): ${describe(bytes)}`,
  );
}
