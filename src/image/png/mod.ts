// PNG decoder: pixels in the mode Pillow 9.4's `Image.open` gives (see formats.ts), so that a
// resize in the native mode matches the reference pipeline bit for bit.

import { EdgeClipError } from "../../errors.ts";
import { inflateZlibInto } from "../inflate.ts";
import {
  checkPixelLimit,
  type DecodedImage,
  type DecodeLimits,
  DEFAULT_MAX_PIXELS,
  MODE_CHANNELS,
} from "../types.ts";
import { readPngChunks } from "./chunks.ts";
import { PNG_SIGNATURE, startsWith } from "../signatures.ts";
import { expandRow, pngFormat } from "./formats.ts";
import { passesOf, unfilterRows } from "./unfilter.ts";
import { readExifOrientation } from "../exif.ts";

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `PNG: ${msg}`);
}

/**
 * Decodes a PNG file (all bit depths and colour types, Adam7, tRNS, eXIf; the first frame of an
 * APNG is its IDAT image, as in Pillow). Throws `EdgeClipError` `image_decode` on corrupt or
 * truncated data and `input_too_large` when width·height exceeds `limits.maxPixels` (checked
 * before any pixel memory is allocated).
 */
export function decodePng(
  bytes: Uint8Array,
  limits: DecodeLimits = { maxPixels: DEFAULT_MAX_PIXELS },
): DecodedImage {
  if (!startsWith(bytes, PNG_SIGNATURE)) bad("bad signature");
  const c = readPngChunks(bytes);
  const { width: W, height: H, bitDepth, colorType, interlaced } = c.header;
  if (W === 0 || H === 0) bad(`empty image ${W}×${H}`);
  checkPixelLimit("PNG", W, H, limits);
  const fmt = pngFormat(bitDepth, colorType)!;
  const region = c.region ?? { x: 0, y: 0, width: W, height: H };
  if (region.width === 0 || region.height === 0) bad("empty APNG frame");
  const rw = region.width, rh = region.height;

  // Raw scanline layout: each pass is its rows of (1 filter byte + rowBytes).
  const passes = passesOf(rw, rh, interlaced);
  const rowBytesOf = (pw: number) => Math.ceil((pw * fmt.bits) / 8);
  let rawSize = 0;
  for (const p of passes) if (p.width) rawSize += p.height * (rowBytesOf(p.width) + 1);
  const raw = new Uint8Array(rawSize);
  let used: number;
  try {
    used = inflateZlibInto(c.data, raw, "PNG image data");
  } catch (e) {
    if (c.dataEndProblem && e instanceof EdgeClipError) {
      throw new EdgeClipError("image_decode", `${e.message}; ${c.dataEndProblem}`, {}, {
        cause: e,
      });
    }
    throw e;
  }
  // Unchecked bytes (a chunk cut short has no CRC) could be anything: never let them through.
  if (used > c.verified) bad(`${c.dataEndProblem}, and the image needs bytes it holds`);

  const ch = MODE_CHANNELS[fmt.mode];
  const bpp = Math.max(1, fmt.bits >> 3);
  const whole = !interlaced && region.width === W && region.height === H;
  let data: Uint8Array | Int32Array;
  if (whole && bitDepth === 8) {
    // Raw pixels are already Pillow's layout: drop the filter bytes in place (rows only move left).
    const rb = rowBytesOf(W);
    unfilterRows(raw, 0, H, rb, bpp);
    for (let y = 0; y < H; y++) raw.copyWithin(y * rb, y * (rb + 1) + 1, (y + 1) * (rb + 1));
    data = raw.subarray(0, H * rb);
  } else {
    data = fmt.mode === "I" ? new Int32Array(W * H) : new Uint8Array(W * H * ch);
    let off = 0;
    for (const p of passes) {
      if (!p.width) continue;
      const rb = rowBytesOf(p.width);
      unfilterRows(raw, off, p.height, rb, bpp);
      for (let y = 0; y < p.height; y++) {
        const oy = region.y + p.y0 + y * p.dy, ox = region.x + p.x0;
        expandRow(bitDepth, colorType, raw, off + 1, p.width, data, (oy * W + ox) * ch, p.dx * ch);
        off += rb + 1;
      }
    }
  }

  const img: {
    -readonly [K in keyof DecodedImage]: DecodedImage[K];
  } = { width: W, height: H, mode: fmt.mode, data, format: "PNG" };
  if (fmt.mode === "P") {
    // Pillow's putpalette takes floor(len/3) entries and refuses more than 256.
    const pal = c.palette ?? new Uint8Array(0);
    const n = Math.floor(pal.length / 3);
    if (n > 256) bad(`palette has ${n} entries (at most 256)`);
    img.palette = pal.slice(0, n * 3);
    if (c.trns) {
      const alpha = new Uint8Array(Math.min(256, Math.max(n, c.trns.length))).fill(255);
      alpha.set(c.trns.subarray(0, alpha.length));
      img.paletteAlpha = alpha;
    }
  }
  const exif = c.exif ?? c.rawExif; // Pillow prefers eXIf over the raw-profile text
  if (exif) {
    const o = readExifOrientation(exif);
    if (o !== undefined) img.exifOrientation = o;
  }
  return img;
}
