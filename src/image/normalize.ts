// The last step of CLIP preprocessing: RGB bytes → (rescale(v) − mean) / std as CHW float32, with
// the float arithmetic each reference uses (torchvision: f32 division by 255; Hugging Face: float64
// multiply by rescale_factor, then float32). This file holds the parameters and the naive reference
// of the kernel (assembly/normalize.ts).

import type { NormalizeParams } from "../wasm/image.ts";

export type { NormalizeParams, RescaleMode } from "../wasm/image.ts";

const f32 = Math.fround;

/** Rescales one byte as `p.rescale` says (float32 result). */
export function rescaleByte(v: number, p: NormalizeParams): number {
  // f32 operands divided in float64 then rounded once equal the float32 quotient (no double rounding
  // issue for one operation: float64 carries more than 2·24 + 2 bits).
  return p.rescale.kind === "div" ? f32(v / f32(p.rescale.divisor)) : f32(v * p.rescale.factor);
}

/** Naive reference of `normalize_rgb_f32`: HWC bytes → CHW float32. */
export function normalizeRgbRef(
  rgb: Uint8Array,
  w: number,
  h: number,
  p: NormalizeParams,
): Float32Array {
  const n = w * h;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const mean = f32(p.mean[c]), std = f32(p.std[c]);
    for (let i = 0; i < n; i++) {
      out[c * n + i] = f32(f32(rescaleByte(rgb[3 * i + c], p) - mean) / std);
    }
  }
  return out;
}
