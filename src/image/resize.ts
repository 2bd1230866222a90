// Pillow 9.4 `Image.resize(size, resample)` on a decoded image in its native mode, exactly:
// - same size: the image itself (Pillow returns a copy before anything else happens);
// - `P` and `1` images, or resample 0: nearest neighbour by Pillow's affine scan
//   (libImaging/Geometry.c `ImagingScaleAffine`);
// - `LA`/`RGBA`: premultiplied (`La`/`RGBa`, Convert.c integer rounding), resampled, un-premultiplied;
// - 8-bit modes: the two fixed-point passes of Resample.c (reference in resample_u8_ref.ts; the
//   wasm kernels plug in through `U8Resampler`);
// - `I` (32-bit grey): float64 windows, ROUND_UP to int32, no clamping.
// Any rectangle of the result can be asked for alone; its pixels are those of the full resize.

import { EdgeClipError } from "../errors.ts";
import type { Kernels } from "../wasm/kernels.ts";
import { resampleU8 } from "../wasm/image.ts";
import { cropImage } from "./crop.ts";
import { type DecodedImage, MODE_CHANNELS } from "./types.ts";
import {
  type Coeffs,
  FILTERS,
  planResample,
  type Region,
  RESAMPLE,
  type ResamplePlan,
} from "./resample_coeffs.ts";
import { fixedWindows, resampleU8Ref, type U8Resampler } from "./resample_u8_ref.ts";

export type { U8Resampler } from "./resample_u8_ref.ts";

/** The 8-bit passes on the wasm kernels (SIMD), bit-identical to `resampleU8Ref`. */
export function kernelResampler(k: Kernels): U8Resampler {
  return (slab, w, ch, plan, alpha) =>
    resampleU8(k, slab, w, ch, {
      horizontal: plan.horizontal ? fixedWindows(plan.horizontal) : null,
      colFirst: plan.colFirst,
      width: plan.width,
      vertical: plan.vertical ? fixedWindows(plan.vertical) : null,
      alpha,
    });
}

// ---- 32-bit passes (mode I, F) -----------------------------------------------------------

/** ROUND_UP of Resample.c: half away from zero, then C's (int) cast (x86: INT_MIN if out of range). */
function roundUpI32(f: number): number {
  const v = Math.trunc(f >= 0 ? f + 0.5 : f - 0.5);
  return v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
}

// One pass over rows of `src` (stride `w`): output (r, i) = Σ_t src[r·w + base(i) + t·step]·k[i][t],
// where the horizontal pass walks along a row (step 1) and the vertical one down a column.
function pass32(
  src: Int32Array | Float32Array,
  dst: Int32Array | Float32Array,
  c: Coeffs,
  horizontal: boolean,
  rows: number,
  w: number,
  outW: number,
): void {
  const isInt = dst instanceof Int32Array;
  const outer = horizontal ? rows : c.outSize, inner = horizontal ? c.outSize : outW;
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const i = horizontal ? b : a; // window index
      const first = c.bounds[2 * i], n = c.bounds[2 * i + 1], k0 = i * c.ksize;
      const base = horizontal ? a * w + first : first * outW + b, step = horizontal ? 1 : outW;
      let ss = 0;
      for (let t = 0; t < n; t++) ss += src[base + t * step] * c.kk[k0 + t];
      dst[a * (horizontal ? c.outSize : outW) + b] = isInt ? roundUpI32(ss) : ss; // F32 store rounds
    }
  }
}

/**
 * ImagingResample{Horizontal,Vertical}_32bpc on a slab of one-channel int32 (`I`) or float32 (`F`)
 * rows: float64 weights and sums, stored with ROUND_UP (int32) or as float32.
 */
export function resample32<T extends Int32Array | Float32Array>(
  slab: T,
  w: number,
  plan: ResamplePlan,
): T {
  const make = (n: number) =>
    (slab instanceof Int32Array ? new Int32Array(n) : new Float32Array(n)) as T;
  const rows = slab.length / w, outW = plan.width;
  let mid: T;
  if (plan.horizontal) {
    mid = make(outW * rows);
    pass32(slab, mid, plan.horizontal, true, rows, w, outW);
  } else {
    mid = make(outW * rows);
    for (let y = 0; y < rows; y++) {
      mid.set(slab.subarray(y * w + plan.colFirst, y * w + plan.colFirst + outW), y * outW);
    }
  }
  if (!plan.vertical) return mid;
  const out = make(outW * plan.height);
  pass32(mid, out, plan.vertical, false, rows, outW, outW);
  return out;
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

/** Nearest-neighbour resize of interleaved samples (any channel count, u8 or int32), one region. */
export function resizeNearest<T extends Uint8Array | Int32Array>(
  src: T,
  w: number,
  h: number,
  ch: number,
  outW: number,
  outH: number,
  region: Region = { x0: 0, y0: 0, x1: outW, y1: outH },
): T {
  const xt = nearestTable(w, outW), yt = nearestTable(h, outH);
  const rw = region.x1 - region.x0, rh = region.y1 - region.y0;
  const out =
    (src instanceof Int32Array ? new Int32Array(rw * rh * ch) : new Uint8Array(rw * rh * ch)) as T;
  for (let y = 0; y < rh; y++) {
    const sy = yt[region.y0 + y];
    if (sy < 0) continue;
    for (let x = 0; x < rw; x++) {
      const sx = xt[region.x0 + x];
      if (sx < 0) continue;
      const s = (sy * w + sx) * ch, d = (y * rw + x) * ch;
      for (let b = 0; b < ch; b++) out[d + b] = src[s + b];
    }
  }
  return out;
}

// ---- Image.resize ------------------------------------------------------------------------

/**
 * Resizes `img` to outW×outH the way Pillow 9.4's `Image.resize(size, resample)` does (box = whole
 * image, no reducing_gap) and returns `region` of the result (default: all of it). The result keeps
 * the mode (and palette). `u8` runs the 8-bit passes (default: the TS reference).
 */
export function resizeImage(
  img: DecodedImage,
  outW: number,
  outH: number,
  resample: number,
  u8: U8Resampler = resampleU8Ref,
  region: Region = { x0: 0, y0: 0, x1: outW, y1: outH },
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
  const { x0, y0, x1, y1 } = region;
  if (!(0 <= x0 && x0 < x1 && x1 <= outW && 0 <= y0 && y0 < y1 && y1 <= outH)) {
    throw new EdgeClipError(
      "invalid_input",
      `region [${x0}, ${x1})×[${y0}, ${y1}) outside ${outW}×${outH}`,
    );
  }
  const rw = x1 - x0, rh = y1 - y0;
  if (outW === img.width && outH === img.height) return cropImage(img, x0, y0, rw, rh);
  const ch = MODE_CHANNELS[img.mode];
  const data = img.data;
  const sized = (d: Uint8Array | Int32Array): DecodedImage => ({
    ...img,
    width: rw,
    height: rh,
    data: d,
  });
  if (img.mode === "P" || img.mode === "1" || resample === RESAMPLE.nearest) {
    return sized(resizeNearest(data, img.width, img.height, ch, outW, outH, region));
  }
  const plan = planResample(img.width, img.height, outW, outH, FILTERS[resample], region);
  const row = img.width * ch;
  const slab = data.subarray(plan.rowFirst * row, plan.rowLast * row);
  if (slab instanceof Int32Array) return sized(resample32(slab, img.width, plan));
  return sized(u8(slab, img.width, ch, plan, img.mode === "LA" || img.mode === "RGBA"));
}
