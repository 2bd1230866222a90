// EXIF orientation (tag 0x0112) applied the way Pillow's `ImageOps.exif_transpose` does:
// 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE,
// 8 ROTATE_90 (Pillow's rotations are counter-clockwise). A pure pixel permutation in any mode.

import { type DecodedImage, MODE_CHANNELS } from "./types.ts";

/**
 * Returns `img` with EXIF `orientation` undone, so it displays upright; the result carries
 * orientation 1. Like Pillow, any value other than 2–8 (1, absent, or a corrupt tag) changes nothing.
 */
export function exifTranspose(
  img: DecodedImage,
  orientation = img.exifOrientation ?? 1,
): DecodedImage {
  if (!Number.isInteger(orientation) || orientation < 2 || orientation > 8) return img;
  const { width: w, height: h } = img;
  const swap = orientation >= 5; // transpose, rotations by 90°, transverse
  const ow = swap ? h : w, oh = swap ? w : h;
  const c = MODE_CHANNELS[img.mode];
  const src = img.data;
  const out = src instanceof Int32Array ? new Int32Array(src.length) : new Uint8Array(src.length);
  // Source pixel of output (x, y) per orientation.
  const at: (x: number, y: number) => number = {
    2: (x: number, y: number) => y * w + (w - 1 - x),
    3: (x: number, y: number) => (h - 1 - y) * w + (w - 1 - x),
    4: (x: number, y: number) => (h - 1 - y) * w + x,
    5: (x: number, y: number) => x * w + y,
    6: (x: number, y: number) => (h - 1 - x) * w + y,
    7: (x: number, y: number) => (h - 1 - x) * w + (w - 1 - y),
    8: (x: number, y: number) => x * w + (w - 1 - y),
  }[orientation]!;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const s = at(x, y) * c, d = (y * ow + x) * c;
      for (let b = 0; b < c; b++) out[d + b] = src[s + b];
    }
  }
  return { ...img, width: ow, height: oh, data: out, exifOrientation: 1 };
}
