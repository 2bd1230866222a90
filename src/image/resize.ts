// Pillow 9.4 `Image.resize(size, resample)` on a decoded image in its native mode, exactly:
// - same size: the image itself (Pillow returns a copy before anything else happens);
// - `P` and `1` images, or resample 0: nearest neighbour by Pillow's affine scan
//   (libImaging/Geometry.c `ImagingScaleAffine`);
// - `LA`/`RGBA`: premultiplied (`La`/`RGBa`, Convert.c integer rounding), resampled, un-premultiplied;
// - 8-bit modes: the two fixed-point passes of Resample.c (TS reference here; the wasm kernels in
//   src/wasm/image.ts plug in through `U8Resampler`);
// - `I` (32-bit grey): float64 windows, ROUND_UP to int32, no clamping.

import { EdgeClipError } from "../errors.ts";
import type { Kernels } from "../wasm/kernels.ts";
import { type FixedWindows, resampleU8 } from "../wasm/image.ts";
import { type DecodedImage, MODE_CHANNELS } from "./types.ts";
import {
  type Coeffs,
  FILTERS,
  fixedCoeffs,
  planResample,
  PRECISION_BITS,
  RESAMPLE,
  type ResamplePlan,
} from "./resample_coeffs.ts";

/**
 * Runs a plan's 8-bit passes on interleaved `ch`-channel pixels; returns outW·outH·ch bytes.
 * `alpha`: the last channel is alpha and the passes run on premultiplied values (LA/RGBA).
 */
export type U8Resampler = (
  src: Uint8Array,
  w: number,
  ch: number,
  plan: ResamplePlan,
  outW: number,
  outH: number,
  alpha: boolean,
) => Uint8Array;

// ---- 8-bit passes (naive reference of ImagingResample{Horizontal,Vertical}_8bpc) --------------

function clip8(s: number): number {
  const v = s >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over `rows` rows starting at source row `row0`. */
export function resampleHorizontalU8Ref(
  src: Uint8Array,
  w: number,
  ch: number,
  row0: number,
  rows: number,
  c: FixedWindows,
): Uint8Array {
  const k = c.weights;
  const outW = c.outSize;
  const out = new Uint8Array(outW * rows * ch);
  for (let y = 0; y < rows; y++) {
    const s0 = (row0 + y) * w * ch;
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

/** Vertical pass: output row yy sums source rows bounds[yy] (row length rowBytes samples). */
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

/** The whole 8-bit resample in TypeScript (reference for the kernels). */
export const resampleU8Ref: U8Resampler = (src0, w, ch, plan, outW, outH, alpha) => {
  const src = alpha ? premultiply(src0, ch) : src0;
  let cur = src, curW = w;
  if (plan.needHorizontal && plan.horizontal) {
    const rows = plan.rowLast - plan.rowFirst;
    cur = resampleHorizontalU8Ref(src, w, ch, plan.rowFirst, rows, fixedWindows(plan.horizontal));
    curW = outW;
  }
  if (plan.needVertical) cur = resampleVerticalU8Ref(cur, curW * ch, fixedWindows(plan.vertical));
  checkSize(cur.length, outW * outH * ch);
  return alpha ? unpremultiply(cur, ch) : cur === src0 ? src0.slice() : cur;
};

/** A plan's float64 windows as the 8-bit path's fixed-point ones. */
export function fixedWindows(c: Coeffs): FixedWindows {
  return { outSize: c.outSize, ksize: c.ksize, bounds: c.bounds, weights: fixedCoeffs(c.kk) };
}

/** The 8-bit passes on the wasm kernels (SIMD), bit-identical to `resampleU8Ref`. */
export function kernelResampler(k: Kernels): U8Resampler {
  return (src, w, ch, plan, outW, outH, alpha) => {
    const out = resampleU8(k, src, w, ch, {
      alpha,
      horizontal: plan.needHorizontal && plan.horizontal ? fixedWindows(plan.horizontal) : null,
      rowFirst: plan.rowFirst,
      rowLast: plan.rowLast,
      vertical: plan.needVertical ? fixedWindows(plan.vertical) : null,
    });
    checkSize(out.length, outW * outH * ch);
    return out;
  };
}

function checkSize(got: number, want: number): void {
  if (got !== want) {
    throw new EdgeClipError("runtime", `resample produced ${got} samples, want ${want}`);
  }
}

// ---- 32-bit passes (mode I, F) -----------------------------------------------------------

/** ROUND_UP of Resample.c: half away from zero, then C's (int) cast (x86: INT_MIN if out of range). */
function roundUpI32(f: number): number {
  const v = Math.trunc(f >= 0 ? f + 0.5 : f - 0.5);
  return v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
}

/** ImagingResample{Horizontal,Vertical}_32bpc on one-channel int32 (`I`) or float32 (`F`) data. */
export function resample32(
  src: Int32Array | Float32Array,
  w: number,
  plan: ResamplePlan,
  outW: number,
  outH: number,
): Int32Array | Float32Array {
  const isInt = src instanceof Int32Array;
  const store = isInt ? roundUpI32 : Math.fround;
  const make = (n: number) => isInt ? new Int32Array(n) : new Float32Array(n);
  let cur = src, curW = w;
  const h = plan.horizontal;
  if (plan.needHorizontal && h) {
    const rows = plan.rowLast - plan.rowFirst;
    const out = make(outW * rows);
    for (let y = 0; y < rows; y++) {
      const s0 = (plan.rowFirst + y) * w;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = h.bounds[2 * xx], n = h.bounds[2 * xx + 1];
        let ss = 0;
        for (let x = 0; x < n; x++) ss += cur[s0 + xmin + x] * h.kk[xx * h.ksize + x];
        out[y * outW + xx] = store(ss);
      }
    }
    cur = out;
    curW = outW;
  }
  if (plan.needVertical) {
    const v = plan.vertical;
    const out = make(curW * outH);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = v.bounds[2 * yy], n = v.bounds[2 * yy + 1];
      for (let x = 0; x < curW; x++) {
        let ss = 0;
        for (let y = 0; y < n; y++) ss += cur[(ymin + y) * curW + x] * v.kk[yy * v.ksize + y];
        out[yy * curW + x] = store(ss);
      }
    }
    cur = out;
  }
  checkSize(cur.length, outW * outH);
  return cur === src ? src.slice() : cur;
}

// ---- nearest (Geometry.c ImagingScaleAffine) -------------------------------------------------

/** Source index per output index: xo starts at half a step and accumulates, as Pillow does. */
function nearestTable(inSize: number, outSize: number): Int32Array {
  const step = Math.fround(inSize) / outSize;
  const tab = new Int32Array(outSize);
  let xo = step * 0.5;
  for (let x = 0; x < outSize; x++) {
    const xin = xo < 0 ? -1 : Math.trunc(xo);
    tab[x] = xin >= 0 && xin < inSize ? xin : -1; // -1: outside, left 0 (Pillow's fill)
    xo += step;
  }
  return tab;
}

/** Nearest-neighbour resize of interleaved samples (any channel count, u8 or int32). */
export function resizeNearest<T extends Uint8Array | Int32Array>(
  src: T,
  w: number,
  h: number,
  ch: number,
  outW: number,
  outH: number,
): T {
  const xt = nearestTable(w, outW), yt = nearestTable(h, outH);
  const out =
    (src instanceof Int32Array
      ? new Int32Array(outW * outH * ch)
      : new Uint8Array(outW * outH * ch)) as T;
  for (let y = 0; y < outH; y++) {
    if (yt[y] < 0) continue;
    const s0 = yt[y] * w;
    for (let x = 0; x < outW; x++) {
      if (xt[x] < 0) continue;
      const s = (s0 + xt[x]) * ch, d = (y * outW + x) * ch;
      for (let b = 0; b < ch; b++) out[d + b] = src[s + b];
    }
  }
  return out;
}

// ---- premultiplied alpha (Convert.c rgbA2rgba / rgba2rgbA, lA2la / la2lA) --------------------

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

// ---- Image.resize ------------------------------------------------------------------------

/**
 * Resizes `img` to outW×outH the way Pillow 9.4's `Image.resize(size, resample)` does (box = whole
 * image, no reducing_gap). The result keeps the mode (and palette). `u8` runs the 8-bit passes.
 */
export function resizeImage(
  img: DecodedImage,
  outW: number,
  outH: number,
  resample: number,
  u8: U8Resampler = resampleU8Ref,
): DecodedImage {
  if (!Number.isInteger(outW) || !Number.isInteger(outH) || outW < 1 || outH < 1) {
    throw new EdgeClipError(
      "invalid_input",
      `resize target ${outW}×${outH} must be positive integers`,
    );
  }
  if (resample !== RESAMPLE.nearest && !FILTERS[resample]) {
    throw new EdgeClipError("invalid_input", `unknown resample code ${resample} (want 0–5)`);
  }
  if (outW === img.width && outH === img.height) return img;
  const ch = MODE_CHANNELS[img.mode];
  const data = img.data;
  if (img.mode === "P" || img.mode === "1" || resample === RESAMPLE.nearest) {
    return {
      ...img,
      width: outW,
      height: outH,
      data: resizeNearest(data, img.width, img.height, ch, outW, outH),
    };
  }
  const plan = planResample(img.width, img.height, outW, outH, FILTERS[resample]);
  if (data instanceof Int32Array) {
    return {
      ...img,
      width: outW,
      height: outH,
      data: resample32(data, img.width, plan, outW, outH) as Int32Array,
    };
  }
  const alpha = img.mode === "LA" || img.mode === "RGBA";
  return {
    ...img,
    width: outW,
    height: outH,
    data: u8(data, img.width, ch, plan, outW, outH, alpha),
  };
}
