// The ALPH chunk of lossy WebP (container spec "Alpha"): a header byte (compression, filter,
// pre-processing, reserved bits), then raw or VP8L-compressed (headerless, green channel)
// filtered alpha values. Unfiltering follows libwebp's filters.c; pre-processing (level
// quantization) only matters to alpha dithering, which libwebp leaves off by default.

import { EdgeClipError } from "../../errors.ts";
import { LosslessBitReader } from "./lossless/bit_reader.ts";
import { decodeImageStream } from "./lossless/decode.ts";

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: alpha ${what}`);

/** Decodes an ALPH payload into `width`×`height` alpha values. */
export function decodeAlpha(chunk: Uint8Array, width: number, height: number): Uint8Array {
  if (chunk.length <= 1) throw bad("chunk is empty");
  const method = chunk[0] & 3, filter = (chunk[0] >> 2) & 3;
  const pre = (chunk[0] >> 4) & 3, reserved = chunk[0] >> 6;
  if (method > 1 || pre > 1 || reserved !== 0) throw bad("header is invalid");
  const n = width * height;
  let a: Uint8Array;
  if (method === 0) {
    if (chunk.length - 1 < n) throw bad("data is truncated");
    a = chunk.slice(1, 1 + n);
  } else {
    const br = new LosslessBitReader(chunk, 1);
    const argb = decodeImageStream(br, width, height, true);
    br.check();
    a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = (argb[i] >> 8) & 0xff;
  }
  if (filter !== 0) unfilter(a, width, height, filter);
  return a;
}

/**
 * Undoes the alpha prediction filter in place: 1 horizontal, 2 vertical, 3 gradient. The first
 * row is always predicted from the left (its first value from 0), the first column from above.
 */
export function unfilter(a: Uint8Array, w: number, h: number, filter: number): void {
  for (let x = 1; x < w; x++) a[x] = a[x] + a[x - 1];
  for (let y = 1; y < h; y++) {
    const row = y * w, up = row - w;
    a[row] = a[row] + a[up];
    if (filter === 1) {
      for (let x = 1; x < w; x++) a[row + x] = a[row + x] + a[row + x - 1];
    } else if (filter === 2) {
      for (let x = 1; x < w; x++) a[row + x] = a[row + x] + a[up + x];
    } else {
      for (let x = 1; x < w; x++) {
        const g = a[row + x - 1] + a[up + x] - a[up + x - 1];
        a[row + x] = a[row + x] + (g < 0 ? 0 : g > 255 ? 255 : g);
      }
    }
  }
}
