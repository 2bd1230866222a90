// The image kernels against their naive TS references, bit for bit: random sizes (odd, 1-pixel,
// SIMD remainders), every channel count, up- and downscaling, every filter, arbitrary windows.

import { deepStrictEqual } from "node:assert/strict";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";
import { eachVariant } from "../../kernels/_backends.ts";
import { kernelResampler } from "../../../src/image/resize.ts";
import {
  premultiply,
  resampleHorizontalU8Ref,
  resampleU8Ref,
  resampleVerticalU8Ref,
  unpremultiply,
} from "../../../src/image/resample_u8_ref.ts";
import { FILTERS, planResample } from "../../../src/image/resample_coeffs.ts";
import {
  type FixedWindows,
  type NormalizeParams,
  normalizeRgb,
  premultiplyU8,
  resampleU8,
} from "../../../src/wasm/image.ts";
import { normalizeRgbRef } from "../../../src/image/normalize.ts";

function bytes(r: Prng, n: number): Uint8Array {
  const a = new Uint8Array(n);
  // Mostly random, with runs of 0 and 255 so clamping at both ends is exercised.
  for (let i = 0; i < n; i++) a[i] = r.next() < 0.1 ? (r.next() < 0.5 ? 0 : 255) : r.int(0, 255);
  return a;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 97];

Deno.test("resample_h_u8 + resample_v_u8 equal the reference for Pillow plans (all filters, regions, alpha)", () => {
  eachVariant((k, variant) => {
    const wasm = kernelResampler(k);
    forAll(`resample_u8[${variant}]`, 150, (r) => {
      const w = r.next() < 0.15 ? r.int(150, 400) : r.pick(SIZES);
      const h = r.pick(SIZES);
      const outW = r.next() < 0.2 ? w : r.int(1, 40), outH = r.next() < 0.2 ? h : r.int(1, 40);
      // a sub-rectangle of the output half of the time
      const x0 = r.next() < 0.5 ? r.int(0, outW - 1) : 0,
        y0 = r.next() < 0.5 ? r.int(0, outH - 1) : 0;
      return {
        w,
        h,
        ch: r.int(1, 4),
        outW,
        outH,
        region: { x0, y0, x1: r.int(x0 + 1, outW), y1: r.int(y0 + 1, outH) },
        filter: r.pick([1, 2, 3, 4, 5]),
        alpha: r.next() < 0.5,
      };
    }, (c, r) => {
      if (c.outW === c.w && c.outH === c.h) return; // same size is a copy: no plan
      const alpha = c.alpha && (c.ch === 2 || c.ch === 4);
      const src = bytes(r, c.w * c.h * c.ch);
      const copy = src.slice();
      const plan = planResample(c.w, c.h, c.outW, c.outH, FILTERS[c.filter], c.region);
      const slab = src.subarray(plan.rowFirst * c.w * c.ch, plan.rowLast * c.w * c.ch);
      const want = resampleU8Ref(slab, c.w, c.ch, plan, alpha);
      deepStrictEqual(wasm(slab, c.w, c.ch, plan, alpha), want);
      deepStrictEqual(src, copy, "source modified");
      // the region's pixels are those of the full resize
      const full = planResample(c.w, c.h, c.outW, c.outH, FILTERS[c.filter]);
      const all = resampleU8Ref(
        src.subarray(full.rowFirst * c.w * c.ch, full.rowLast * c.w * c.ch),
        c.w,
        c.ch,
        full,
        alpha,
      );
      const { x0, y0, x1, y1 } = c.region;
      const cut = new Uint8Array((x1 - x0) * (y1 - y0) * c.ch);
      for (let y = y0; y < y1; y++) {
        cut.set(
          all.subarray((y * c.outW + x0) * c.ch, (y * c.outW + x1) * c.ch),
          (y - y0) * (x1 - x0) * c.ch,
        );
      }
      deepStrictEqual(want, cut, "region differs from the full resize");
    });
  });
});

Deno.test("resample kernels on images larger than one staging chunk (1 MiB of source rows)", () => {
  eachVariant((k, variant) => {
    const wasm = kernelResampler(k);
    forAll(`resample_u8_big[${variant}]`, 4, (r) => ({
      w: r.int(1500, 2100),
      h: r.int(150, 300),
      ch: r.pick([1, 2, 3, 4]),
      outW: r.int(20, 60),
      outH: r.int(20, 60),
      alpha: r.next() < 0.5,
    }), (c, r) => {
      const alpha = c.alpha && (c.ch === 2 || c.ch === 4);
      const src = bytes(r, c.w * c.h * c.ch);
      const plan = planResample(c.w, c.h, c.outW, c.outH, FILTERS[3]);
      const slab = src.subarray(plan.rowFirst * c.w * c.ch, plan.rowLast * c.w * c.ch);
      deepStrictEqual(
        wasm(slab, c.w, c.ch, plan, alpha),
        resampleU8Ref(slab, c.w, c.ch, plan, alpha),
      );
    });
  });
});

// Arbitrary windows (not Pillow's): any start, any length up to ksize, weights with large and
// negative values, so sums land far outside 0..255.
function randomWindows(r: Prng, inSize: number, outSize: number): FixedWindows {
  const ksize = r.int(1, Math.min(inSize, 40));
  const bounds = new Int32Array(2 * outSize), weights = new Int32Array(outSize * ksize);
  for (let i = 0; i < outSize; i++) {
    const n = r.int(0, ksize), a = r.int(0, inSize - n);
    bounds[2 * i] = a;
    bounds[2 * i + 1] = n;
    // Σ|w| ≤ 2·2²², so 255·Σ|w| < 2³¹ as with Pillow's normalised weights (no int32 overflow).
    const lim = Math.floor((2 << 22) / Math.max(n, 2));
    for (let j = 0; j < n; j++) weights[i * ksize + j] = r.int(-lim, lim);
  }
  return { outSize, ksize, bounds, weights };
}

function cols(src: Uint8Array, w: number, ch: number, x0: number, n: number): Uint8Array {
  const rows = src.length / (w * ch), out = new Uint8Array(rows * n * ch);
  for (let y = 0; y < rows; y++) {
    out.set(src.subarray((y * w + x0) * ch, (y * w + x0 + n) * ch), y * n * ch);
  }
  return out;
}

Deno.test("resample kernels equal the reference on arbitrary windows, with and without each pass", () => {
  eachVariant((k, variant) => {
    forAll(`resample_windows[${variant}]`, 120, (r) => {
      const w = r.pick(SIZES), h = r.pick(SIZES);
      const colFirst = r.int(0, w - 1);
      return {
        w,
        h,
        ch: r.int(1, 4),
        outW: r.int(1, 37),
        outH: r.int(1, 23),
        colFirst,
        cols: r.int(1, w - colFirst),
      };
    }, (c, r) => {
      const src = bytes(r, c.w * c.h * c.ch);
      const hw = randomWindows(r, c.w, c.outW);
      const vw = randomWindows(r, c.h, c.outH);
      const mid = resampleHorizontalU8Ref(src, c.w, c.ch, hw);
      const hOnly = { horizontal: hw, colFirst: 0, width: c.outW, vertical: null };
      deepStrictEqual(resampleU8(k, src, c.w, c.ch, hOnly), mid, "horizontal");
      const both = { ...hOnly, vertical: vw };
      deepStrictEqual(
        resampleU8(k, src, c.w, c.ch, both),
        resampleVerticalU8Ref(mid, c.outW * c.ch, vw),
        "both",
      );
      // vertical alone reads a column range of the source rows in place
      const vOnly = { horizontal: null, colFirst: c.colFirst, width: c.cols, vertical: vw };
      const sub = cols(src, c.w, c.ch, c.colFirst, c.cols);
      deepStrictEqual(
        resampleU8(k, src, c.w, c.ch, vOnly),
        resampleVerticalU8Ref(sub, c.cols * c.ch, vw),
        "vertical",
      );
    });
  });
});

Deno.test("premultiply_u8 / unpremultiply_u8 equal Pillow's Convert.c arithmetic (TS reference)", () => {
  eachVariant((k, variant) => {
    forAll(
      `alpha_u8[${variant}]`,
      60,
      (r) => ({ n: r.pick([1, 3, 4, 5, 7, 8, 9, 31, 100]), ch: r.pick([2, 4]) }),
      (c, r) => {
        const px = bytes(r, c.n * c.ch);
        const pre = premultiply(px, c.ch);
        deepStrictEqual(premultiplyU8(k, px, c.ch), pre);
        deepStrictEqual(premultiplyU8(k, pre, c.ch, true), unpremultiply(pre, c.ch));
        deepStrictEqual(premultiplyU8(k, px, c.ch, true), unpremultiply(px, c.ch)); // c > a clamps
      },
    );
  });
  // every (colour, alpha) pair once: 65536 RGBA-ish pixels (colour in R, G, B; alpha in A)
  const all = new Uint8Array(65536 * 4);
  for (let i = 0; i < 65536; i++) all.set([i & 255, i & 255, 255 - (i & 255), i >> 8], 4 * i);
  eachVariant((k) => {
    deepStrictEqual(premultiplyU8(k, all, 4), premultiply(all, 4));
    deepStrictEqual(premultiplyU8(k, all, 4, true), unpremultiply(all, 4));
  });
  // spot values of MULDIV255 and the un-premultiply division
  deepStrictEqual(Array.from(premultiply(new Uint8Array([200, 128, 255, 1, 7, 0]), 2)), [
    100,
    128,
    1,
    1,
    0,
    0,
  ]);
  deepStrictEqual(Array.from(unpremultiply(new Uint8Array([100, 128, 90, 60, 5, 0]), 2)), [
    199,
    128,
    255,
    60,
    5,
    0,
  ]);
});

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

Deno.test("normalize_rgb_f32 equals the float32 reference bit for bit (both rescale modes)", () => {
  eachVariant((k, variant) => {
    forAll(`normalize_rgb_f32[${variant}]`, 80, (r) => ({
      w: r.pick([1, 2, 3, 15, 16, 17, 31, 32, 33, 224]),
      h: r.pick([1, 2, 3, 7, 224]),
      kind: r.pick(["div", "mul64"] as const),
      offset: r.int(0, 5),
    }), (c, r) => {
      const rgb = bytes(r, c.w * c.h * 3);
      const p: NormalizeParams = {
        rescale: c.kind === "div" ? { kind: "div", divisor: r.pick([255, 1, 127.5]) } : {
          kind: "mul64",
          factor: r.pick([1 / 255, 0.00392156862745098, 1 / 127.5, 1]),
        },
        mean: [r.uniform(0, 1), r.uniform(0, 1), r.uniform(0, 1)],
        std: [r.uniform(0.1, 1), r.uniform(0.1, 1), r.uniform(0.1, 1)],
      };
      const out = new Float32Array(c.offset + 3 * c.w * c.h + 2).fill(7);
      normalizeRgb(k, rgb, c.w, c.h, p, out, c.offset);
      const want = normalizeRgbRef(rgb, c.w, c.h, p);
      deepStrictEqual(bits(out.subarray(c.offset, c.offset + want.length)), bits(want));
      deepStrictEqual(
        [out[c.offset - 1] ?? 7, out[c.offset + want.length]],
        [7, 7],
        "writes outside the slot",
      );
    });
  });
});
