// Naive TypeScript reference of Pillow's 8-bit resampling (libImaging/Resample.c
// `ImagingResample{Horizontal,Vertical}_8bpc`) and of its premultiplied-alpha conversions
// (Convert.c `rgbA2rgba`/`rgba2rgbA`, `lA2la`/`la2lA`). The wasm kernels must equal it bit for bit.

import { EdgeClipError } from "../errors.ts";
import type { FixedWindows } from "../wasm/image.ts";
import { type Coeffs, fixedCoeffs, PRECISION_BITS, type ResamplePlan } from "./resample_coeffs.ts";

/**
 * Runs a plan's 8-bit passes on a slab of source rows (`plan.rowFirst`…`rowLast`, each w pixels of
 * `ch` interleaved channels); returns plan.width·plan.height·ch bytes. `alpha`: the last channel is
 * alpha and the passes run on premultiplied values, as Pillow resizes LA/RGBA.
 */
export type U8Resampler = (
  slab: Uint8Array,
  w: number,
  ch: number,
  plan: ResamplePlan,
  alpha: boolean,
) => Uint8Array;

function clip8(s: number): number {
  const v = s >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** A plan's float64 windows as the 8-bit path's fixed-point ones. */
export function fixedWindows(c: Coeffs): FixedWindows {
  return { outSize: c.outSize, ksize: c.ksize, bounds: c.bounds, weights: fixedCoeffs(c.kk) };
}

/** Horizontal pass over every row of `src` (rows of w pixels). */
export function resampleHorizontalU8Ref(
  src: Uint8Array,
  w: number,
  ch: number,
  c: FixedWindows,
): Uint8Array {
  const k = c.weights, outW = c.outSize;
  const rows = src.length / (w * ch);
  const out = new Uint8Array(outW * rows * ch);
  for (let y = 0; y < rows; y++) {
    const s0 = y * w * ch;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = c.bounds[2 * xx], n = c.bounds[2 * xx + 1];
      for (let b = 0; b < ch; b++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < n; x++) {
          ss = (ss + src[s0 + (xmin + x) * ch + b] * k[xx * c.ksize + x]) | 0;
        }
        out[(y * outW + xx) * ch + b] = clip8(ss);
      }
    }
  }
  return out;
}

/** Vertical pass: output row yy sums source rows bounds[yy] (rows of rowBytes samples). */
export function resampleVerticalU8Ref(
  src: Uint8Array,
  rowBytes: number,
  c: FixedWindows,
): Uint8Array {
  const k = c.weights;
  const out = new Uint8Array(rowBytes * c.outSize);
  for (let yy = 0; yy < c.outSize; yy++) {
    const ymin = c.bounds[2 * yy], n = c.bounds[2 * yy + 1];
    for (let i = 0; i < rowBytes; i++) {
      let ss = 1 << (PRECISION_BITS - 1);
      for (let y = 0; y < n; y++) {
        ss = (ss + src[(ymin + y) * rowBytes + i] * k[yy * c.ksize + y]) | 0;
      }
      out[yy * rowBytes + i] = clip8(ss);
    }
  }
  return out;
}

/** Columns [x0, x0 + cols) of every row. */
function columns(src: Uint8Array, w: number, ch: number, x0: number, cols: number): Uint8Array {
  const rows = src.length / (w * ch);
  const out = new Uint8Array(rows * cols * ch);
  for (let y = 0; y < rows; y++) {
    out.set(src.subarray((y * w + x0) * ch, (y * w + x0 + cols) * ch), y * cols * ch);
  }
  return out;
}

/** The whole 8-bit resample in TypeScript (reference for the kernels). */
export const resampleU8Ref: U8Resampler = (slab, w, ch, plan, alpha) => {
  if (!plan.horizontal && !plan.vertical) {
    throw new EdgeClipError(
      "runtime",
      "resample plan without a pass (same-size resizes are copies)",
    );
  }
  let cur = alpha ? premultiply(slab, ch) : slab;
  cur = plan.horizontal
    ? resampleHorizontalU8Ref(cur, w, ch, fixedWindows(plan.horizontal))
    : columns(cur, w, ch, plan.colFirst, plan.width);
  if (plan.vertical) cur = resampleVerticalU8Ref(cur, plan.width * ch, fixedWindows(plan.vertical));
  if (cur.length !== plan.width * plan.height * ch) {
    throw new EdgeClipError(
      "runtime",
      `resample produced ${cur.length} samples, want ${plan.width * plan.height * ch}`,
    );
  }
  return alpha ? unpremultiply(cur, ch) : cur;
};

/** Colour channels × alpha / 255 with Pillow's MULDIV255 rounding; alpha is the last channel. */
export function premultiply(src: Uint8Array, ch: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += ch) {
    const a = src[i + ch - 1];
    for (let b = 0; b < ch - 1; b++) {
      const t = src[i + b] * a + 128;
      out[i + b] = ((t >> 8) + t) >> 8;
    }
    out[i + ch - 1] = a;
  }
  return out;
}

/** Inverse: 255·c / alpha (integer division) clamped to 255; alpha 0 or 255 keeps c as is. */
export function unpremultiply(src: Uint8Array, ch: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += ch) {
    const a = src[i + ch - 1];
    for (let b = 0; b < ch - 1; b++) {
      const c = src[i + b];
      out[i + b] = a === 255 || a === 0 ? c : Math.min(255, Math.floor((255 * c) / a));
    }
    out[i + ch - 1] = a;
  }
  return out;
}
