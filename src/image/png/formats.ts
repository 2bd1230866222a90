// Pillow 9.4's PNG modes (PngImagePlugin `_MODES`) and its unpackers (libImaging/Unpack.c) for
// each bit depth / colour type, as row converters from raw (unfiltered) scanline bytes.

import { EdgeClipError } from "../../errors.ts";
import type { ImageMode } from "../types.ts";

/** How Pillow opens one (bit depth, colour type) pair. */
export interface PngFormat {
  readonly mode: ImageMode;
  /** Bits per pixel in the raw scanline. */
  readonly bits: number;
}

const FORMATS: Record<string, PngFormat> = {
  "1,0": { mode: "1", bits: 1 }, // rawmode 1: set bit → 255
  "2,0": { mode: "L", bits: 2 }, // L;2: v·0x55
  "4,0": { mode: "L", bits: 4 }, // L;4: v·0x11
  "8,0": { mode: "L", bits: 8 },
  "16,0": { mode: "I", bits: 16 }, // I;16B: full 0..65535
  "8,2": { mode: "RGB", bits: 24 },
  "16,2": { mode: "RGB", bits: 48 }, // RGB;16B: high bytes
  "1,3": { mode: "P", bits: 1 },
  "2,3": { mode: "P", bits: 2 },
  "4,3": { mode: "P", bits: 4 },
  "8,3": { mode: "P", bits: 8 },
  "8,4": { mode: "LA", bits: 16 },
  "16,4": { mode: "RGBA", bits: 32 }, // LA;16B → RGBA: (g, g, g, a) high bytes
  "8,6": { mode: "RGBA", bits: 32 },
  "16,6": { mode: "RGBA", bits: 64 }, // RGBA;16B: high bytes
};

/** Pillow's mode for a bit depth / colour type pair, or null when Pillow cannot open it. */
export function pngFormat(bitDepth: number, colorType: number): PngFormat | null {
  return FORMATS[`${bitDepth},${colorType}`] ?? null;
}

/**
 * Converts `n` pixels of one raw scanline (`src` from `so`) into `dst` at `dpos`, advancing
 * `step` elements per pixel (channels × column increment, so Adam7 passes scatter in place).
 */
export function expandRow(
  bitDepth: number,
  colorType: number,
  src: Uint8Array,
  so: number,
  n: number,
  dst: Uint8Array | Int32Array,
  dpos: number,
  step: number,
): void {
  if (bitDepth < 8) {
    // Packed samples, most significant bits first.
    const mask = (1 << bitDepth) - 1, per = 8 / bitDepth;
    const scale = colorType === 3 ? 1 : bitDepth === 1 ? 255 : bitDepth === 2 ? 0x55 : 0x11;
    for (let i = 0; i < n; i++, dpos += step) {
      const byte = src[so + ((i / per) | 0)];
      const shift = 8 - bitDepth * ((i % per) + 1);
      dst[dpos] = ((byte >> shift) & mask) * scale;
    }
    return;
  }
  switch (bitDepth * 10 + colorType) {
    case 80: // L
    case 83: // P
      for (let i = 0; i < n; i++, dpos += step) dst[dpos] = src[so + i];
      return;
    case 160: // I;16B
      for (let i = 0; i < n; i++, dpos += step, so += 2) dst[dpos] = (src[so] << 8) | src[so + 1];
      return;
    case 82: // RGB
      for (let i = 0; i < n; i++, dpos += step, so += 3) {
        dst[dpos] = src[so];
        dst[dpos + 1] = src[so + 1];
        dst[dpos + 2] = src[so + 2];
      }
      return;
    case 162: // RGB;16B
      for (let i = 0; i < n; i++, dpos += step, so += 6) {
        dst[dpos] = src[so];
        dst[dpos + 1] = src[so + 2];
        dst[dpos + 2] = src[so + 4];
      }
      return;
    case 84: // LA
      for (let i = 0; i < n; i++, dpos += step, so += 2) {
        dst[dpos] = src[so];
        dst[dpos + 1] = src[so + 1];
      }
      return;
    case 164: // LA;16B → RGBA
      for (let i = 0; i < n; i++, dpos += step, so += 4) {
        const g = src[so];
        dst[dpos] = g;
        dst[dpos + 1] = g;
        dst[dpos + 2] = g;
        dst[dpos + 3] = src[so + 2];
      }
      return;
    case 86: // RGBA
      for (let i = 0; i < n; i++, dpos += step, so += 4) {
        dst[dpos] = src[so];
        dst[dpos + 1] = src[so + 1];
        dst[dpos + 2] = src[so + 2];
        dst[dpos + 3] = src[so + 3];
      }
      return;
    case 166: // RGBA;16B
      for (let i = 0; i < n; i++, dpos += step, so += 8) {
        dst[dpos] = src[so];
        dst[dpos + 1] = src[so + 2];
        dst[dpos + 2] = src[so + 4];
        dst[dpos + 3] = src[so + 6];
      }
      return;
  }
  throw new EdgeClipError("runtime", `expandRow: no PNG format ${bitDepth}/${colorType}`);
}
