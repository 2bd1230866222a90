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
 */
export function precomputeCoeffs(inSize: number, outSize: number, filter: Filter): Coeffs {
  if (!(inSize >= 1 && outSize >= 1)) {
    throw new EdgeClipError(
      "invalid_input",
      `resize ${inSize} → ${outSize} pixels: sizes must be ≥ 1`,
    );
  }
  // Pillow takes the span as C floats (box[2] − box[0]); exact below 2²⁴ pixels.
  const scale = Math.fround(inSize) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale; // in0 = 0
    let xmin = cInt(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = cInt(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const o = xx * ksize;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      kk[o + x] = w;
      ww += w;
    }
    if (ww !== 0) { for (let x = 0; x < xmax; x++) kk[o + x] /= ww; }
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { outSize, ksize, bounds, kk };
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

/** The two passes Pillow's `ImagingResampleInner` runs for one resize, and the row box between. */
export interface ResamplePlan {
  readonly needHorizontal: boolean;
  readonly needVertical: boolean;
  readonly horizontal: Coeffs | null;
  /** Vertical windows, relative to `rowFirst` when a horizontal pass runs first. */
  readonly vertical: Coeffs;
  /** Source rows [rowFirst, rowLast) that the vertical pass reads (only these get the H pass). */
  readonly rowFirst: number;
  readonly rowLast: number;
}

/** Plans a (inW×inH → outW×outH) resize the way ImagingResampleInner does. */
export function planResample(
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  filter: Filter,
): ResamplePlan {
  const needHorizontal = outW !== inW;
  const needVertical = outH !== inH;
  const v = precomputeCoeffs(inH, outH, filter);
  const rowFirst = v.bounds[0];
  const rowLast = v.bounds[2 * outH - 2] + v.bounds[2 * outH - 1];
  let horizontal: Coeffs | null = null;
  let vertical = v;
  if (needHorizontal) {
    horizontal = precomputeCoeffs(inW, outW, filter);
    const shifted = v.bounds.slice();
    for (let i = 0; i < outH; i++) shifted[2 * i] -= rowFirst;
    vertical = { ...v, bounds: shifted };
  }
  return { needHorizontal, needVertical, horizontal, vertical, rowFirst, rowLast };
}
