// Deterministic small test images in every mode, from the integer formula the Python recorders of
// pillow_resize_vectors.json and crop_vectors.json used (so only their outputs are stored).

import { type DecodedImage, type ImageMode, MODE_CHANNELS } from "../../../src/image/types.ts";

export function pixelByte(i: number, salt: number): number {
  let x = (Math.imul(i, 2654435761) + salt * 40503) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  return ((x ^ (x >>> 15)) >>> 0) & 255;
}

/** `I`: values −1000..69999; LA/RGBA: every 5th pixel alpha 0, every 7th 255; P: 256-colour palette. */
export function testImage(mode: ImageMode, w: number, h: number): DecodedImage {
  if (mode === "I") {
    const d = new Int32Array(w * h);
    for (let i = 0; i < d.length; i++) {
      d[i] = (((pixelByte(i, 1) << 8) | pixelByte(i, 2)) * 71) % 71000 - 1000;
    }
    return { width: w, height: h, mode, data: d, format: "RAW" };
  }
  const c = MODE_CHANNELS[mode];
  const d = new Uint8Array(w * h * c);
  for (let i = 0; i < d.length; i++) d[i] = pixelByte(i, 7);
  if (mode === "LA" || mode === "RGBA") {
    for (let p = 0; p < w * h; p++) {
      if (p % 5 === 0) d[p * c + c - 1] = 0;
      else if (p % 7 === 0) d[p * c + c - 1] = 255;
    }
  }
  const palette = new Uint8Array(768).map((_, i) => pixelByte(i, 3));
  return {
    width: w,
    height: h,
    mode,
    data: d,
    format: "RAW",
    ...(mode === "P" ? { palette } : {}),
  };
}

/** Base64 → bytes. */
export function b64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
}
