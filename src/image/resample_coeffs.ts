// Pillow's resampling filters and per-output-sample coefficient windows (libImaging/Resample.c,
// Pillow 9.4: `precompute_coeffs`, `normalize_coeffs_8bpc`), reproduced operation for operation
// in float64 so the fixed-point coefficients, and hence every output byte, come out identical.

import { EdgeClipError } from "../errors.ts";

/** Pillow's `Image.Resampling` codes, as `preprocessor_config.json` names them (`resample`). */
export const RESAMPLE = {
  nearest: 0,
  lanczos: 1,
  bilinear: 2,
  bicubic: 3,
  box: 4,
  hamming: 5,
} as const;
export type ResampleCode = typeof RESAMPLE[keyof typeof RESAMPLE];

/** A separable filter: weight as a function of distance (in source pixels at scale 1). */
export interface Filter {
  readonly weight: (x: number) => number;
  readonly support: number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const t = x * Math.PI;
  return Math.sin(t) / t;
}

// Pillow writes the Hamming constants as C float literals (0.54f, 0.46f), promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

/** The filters of Resample.c, keyed by resample code (nearest is not a filter there). */
export const FILTERS: Readonly<Record<number, Filter>> = {
  [RESAMPLE.box]: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [RESAMPLE.bilinear]: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  [RESAMPLE.hamming]: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const t = a * Math.PI;
      return Math.sin(t) / t * (HAMMING_A + HAMMING_B * Math.cos(t));
    },
  },
  [RESAMPLE.bicubic]: {
    // Keys' cubic convolution with a = -0.5, written as Pillow evaluates it.
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  [RESAMPLE.lanczos]: {
    support: 3,
    weight: (x) => (-3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0),
  },
};

/** Coefficient windows for one axis: output i reads `count[i]` inputs from `first[i]`. */
export interface Coeffs {
  /** Number of outputs described (the requested range, not the full output size). */
  readonly outSize: number;
  /** Taps reserved per output (window length bound). */
  readonly ksize: number;
  /** Pairs (first input index, tap count) per output, as Pillow's `bounds`. */
  readonly bounds: Int32Array;
  /** outSize·ksize normalised float64 weights (unused taps are 0). */
  readonly kk: Float64Array;
}

/** C's (int) cast of a double: truncation toward zero. */
const cInt = Math.trunc;

/**
 * Pillow's `precompute_coeffs` for the whole source span [0, inSize): support scaled by the
 * downscale factor (antialiasing), window bounds rounded as C does, weights normalised to sum 1.
 * Only outputs [out0, out1) are computed (each window depends on its own index alone), so a crop
 * of the result costs only what it keeps.
 */
export function precomputeCoeffs(
  inSize: number,
  outSize: number,
  filter: Filter,
  out0 = 0,
  out1 = outSize,
): Coeffs {
  if (!(inSize >= 1 && outSize >= 1)) {
    throw new EdgeClipError(
      "invalid_input",
      `resize ${inSize} → ${outSize} pixels: sizes must be ≥ 1`,
    );
  }
  if (!(0 <= out0 && out0 < out1 && out1 <= outSize)) {
    throw new EdgeClipError(
      "invalid_input",
      `output range [${out0}, ${out1}) outside 0..${outSize}`,
    );
  }
  // Pillow takes the span as C floats (box[2] − box[0]); exact below 2²⁴ pixels.
  const scale = Math.fround(inSize) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const n = out1 - out0;
  const kk = new Float64Array(n * ksize);
  const bounds = new Int32Array(n * 2);
  const ss = 1 / filterscale;
  for (let i = 0; i < n; i++) {
    const xx = out0 + i;
    const center = (xx + 0.5) * scale; // in0 = 0
    let xmin = cInt(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = cInt(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const o = i * ksize;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      kk[o + x] = w;
      ww += w;
    }
    if (ww !== 0) { for (let x = 0; x < xmax; x++) kk[o + x] /= ww; }
    bounds[2 * i] = xmin;
    bounds[2 * i + 1] = xmax;
  }
  return { outSize: n, ksize, bounds, kk };
}

/** Fractional bits of the 8-bit path's fixed-point weights (32 − 8 − 2, as in Pillow). */
export const PRECISION_BITS = 22;

/** Pillow's `normalize_coeffs_8bpc`: weights × 2²², rounded half away from zero, as int32. */
export function fixedCoeffs(kk: Float64Array): Int32Array {
  const out = new Int32Array(kk.length);
  const one = 2 ** PRECISION_BITS;
  for (let i = 0; i < kk.length; i++) {
    const v = kk[i];
    out[i] = v < 0 ? cInt(-0.5 + v * one) : cInt(0.5 + v * one);
  }
  return out;
}

/** A rectangle of the resized image: columns [x0, x1), rows [y0, y1). */
export interface Region {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * The passes Pillow's `ImagingResampleInner` runs for one resize, restricted to an output region.
 * The passes read a slab of source rows [rowFirst, rowLast); the horizontal pass (when the width
 * changes) produces the region's columns from them, else columns [colFirst, colFirst + width) are
 * taken as they are; the vertical pass (when the height changes) produces the region's rows from
 * the slab, else the slab rows are the output rows.
 */
export interface ResamplePlan {
  readonly width: number;
  readonly height: number;
  /** Windows over full source rows, one per region column; null when the width is unchanged. */
  readonly horizontal: Coeffs | null;
  /** Windows over slab rows (relative to rowFirst), one per region row; null when the height is unchanged. */
  readonly vertical: Coeffs | null;
  readonly rowFirst: number;
  readonly rowLast: number;
  /** First source column when there is no horizontal pass. */
  readonly colFirst: number;
}

/**
 * Plans the (inW×inH → outW×outH) resize of Pillow, computing only `region` of the output (default
 * all of it). Each output sample is the same as in the full resize: Pillow's row box is what the
 * kept rows' windows read.
 */
export function planResample(
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  filter: Filter,
  region: Region = { x0: 0, y0: 0, x1: outW, y1: outH },
): ResamplePlan {
  const { x0, y0, x1, y1 } = region;
  if (!(0 <= x0 && x0 < x1 && x1 <= outW && 0 <= y0 && y0 < y1 && y1 <= outH)) {
    throw new EdgeClipError(
      "invalid_input",
      `region [${x0}, ${x1})×[${y0}, ${y1}) outside ${outW}×${outH}`,
    );
  }
  let vertical: Coeffs | null = null;
  let rowFirst = y0, rowLast = y1;
  if (outH !== inH) {
    const v = precomputeCoeffs(inH, outH, filter, y0, y1);
    const n = y1 - y0;
    rowFirst = v.bounds[0];
    rowLast = v.bounds[2 * n - 2] + v.bounds[2 * n - 1];
    const shifted = v.bounds.slice();
    for (let i = 0; i < n; i++) shifted[2 * i] -= rowFirst;
    vertical = { ...v, bounds: shifted };
  }
  const horizontal = outW !== inW ? precomputeCoeffs(inW, outW, filter, x0, x1) : null;
  return { width: x1 - x0, height: y1 - y0, horizontal, vertical, rowFirst, rowLast, colFirst: x0 };
}
