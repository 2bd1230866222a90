// Simulation of 4-bit weight formats on the anchor ViT-B/32: every vision encoder linear
// fake-quantized (quantize → dequantize) through the loader's weight transform, the tower run in
// f32, image embeddings compared with torch's and with our f32 path on more inputs.
//   deno run -A bench/anchor/int4_sim.ts --ref-dir <anchors>/models

import { openModel } from "../../src/checkpoint/open.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import type { LinearPlace } from "../../src/model/names.ts";
import { cosine, imageBatch, readRefs } from "./inputs.ts";

const i = Deno.args.indexOf("--ref-dir");
const refDir = i >= 0 ? Deno.args[i + 1] : "../anchors-run/models";
const hf = `${refDir}/hf/clip-vitb32-random`;
const img = readRefs(refDir, "image");
const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";

// 2 torch references + 6 more inputs (noise of several scales), compared with our f32 path
const EXTRA = 6;
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
const pixels = new Float32Array((img.count + EXTRA) * 3 * 224 * 224);
pixels.set(imageBatch(img, img.count));
for (let j = img.count * 3 * 224 * 224; j < pixels.length; j++) {
  pixels[j] = 2 * (rnd() + rnd()) + Math.sin(j / 5000);
}
const N = img.count + EXTRA;

type Quant = (w: Float32Array, k: number) => void;

async function embeds(q?: Quant, keep?: (p: LinearPlace) => boolean) {
  const m = await openModel(hf, {
    dtype: "f32",
    towers: "vision",
    transform: q
      ? (place, w) => {
        if (place.tower !== "vision" || place.linear === "projection") return;
        if (keep?.(place)) return;
        q(w, place.linear === "patch" || place.linear === "fc2" ? 3072 : 768);
      }
      : undefined,
  });
  return m.model.encodeImage(pixels, N, NO_HOOKS).embeds!;
}

const row = (a: Float32Array, b: number) => a.subarray(b * 512, (b + 1) * 512);

/** Round-to-nearest asymmetric per group. */
function asymRtn(G: number): Quant {
  return (w, k) => {
    for (let r = 0; r < w.length / k; r++) {
      for (let g = 0; g < k; g += G) {
        const s = w.subarray(r * k + g, r * k + Math.min(k, g + G));
        let lo = Infinity, hi = -Infinity;
        for (const v of s) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        const d = (hi - lo) / 15 || 1;
        for (let j = 0; j < s.length; j++) s[j] = lo + d * Math.round((s[j] - lo) / d);
      }
    }
  };
}

/** Symmetric per group: q in [-8, 7] with d = max/-8 (ggml q4_0) or q in [-7, 7] (amax/7). */
function symRtn(G: number, levels: 8 | 7): Quant {
  return (w, k) => {
    for (let r = 0; r < w.length / k; r++) {
      for (let g = 0; g < k; g += G) {
        const s = w.subarray(r * k + g, r * k + Math.min(k, g + G));
        let mx = 0;
        for (const v of s) if (Math.abs(v) > Math.abs(mx)) mx = v;
        const d = levels === 8 ? mx / -8 : Math.abs(mx) / 7;
        if (d === 0) continue;
        const lo = levels === 8 ? -8 : -7;
        for (let j = 0; j < s.length; j++) {
          s[j] = d * Math.max(lo, Math.min(7, Math.round(s[j] / d)));
        }
      }
    }
  };
}

/** Least-squares (a, b) of x ≈ a·L + b for fixed levels L; returns the error. */
function fit(
  x: Float32Array,
  L: Int32Array,
  wt?: Float32Array,
): { a: number; b: number; e: number } {
  let sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
  for (let j = 0; j < x.length; j++) {
    const c = wt ? wt[j] : 1;
    sw += c, sl += c * L[j], sll += c * L[j] * L[j], sx += c * x[j], slx += c * L[j] * x[j];
  }
  const det = sw * sll - sl * sl;
  const a = det > 0 ? (sw * slx - sl * sx) / det : 0;
  const b = det > 0 ? (sll * sx - sl * slx) / det : sx / sw;
  let e = 0;
  for (let j = 0; j < x.length; j++) e += (wt ? wt[j] : 1) * (x[j] - a * L[j] - b) ** 2;
  return { a, b, e };
}

/** Asymmetric, grid searched to minimise squared error (ggml make_qkx2_quants in spirit). */
function asymSearch(G: number, steps = 20): Quant {
  return (w, k) => {
    const L = new Int32Array(G), best = new Int32Array(G);
    for (let r = 0; r < w.length / k; r++) {
      for (let g = 0; g < k; g += G) {
        const s = w.subarray(r * k + g, r * k + Math.min(k, g + G));
        let lo = Infinity, hi = -Infinity;
        for (const v of s) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        if (hi === lo) continue;
        let be = Infinity, ba = 0, bb = 0;
        for (let t = -steps; t <= steps; t++) {
          const iscale = (15 + t * 0.1) / (hi - lo);
          for (let j = 0; j < s.length; j++) {
            L[j] = Math.max(0, Math.min(15, Math.round((s[j] - lo) * iscale)));
          }
          // refine: fit, requantize on the fitted grid, fit again
          let f = fit(s, L.subarray(0, s.length));
          for (let it = 0; it < 2 && f.a > 0; it++) {
            for (let j = 0; j < s.length; j++) {
              L[j] = Math.max(0, Math.min(15, Math.round((s[j] - f.b) / f.a)));
            }
            f = fit(s, L.subarray(0, s.length));
          }
          if (f.e < be) (be = f.e), (ba = f.a), (bb = f.b), best.set(L.subarray(0, s.length));
        }
        for (let j = 0; j < s.length; j++) s[j] = ba * best[j] + bb;
      }
    }
  };
}

/** As `inner`, then the group's step and offset rounded to integers on a per-channel grid amax/WB. */
function intGrid(inner: Quant, G: number, WB: number, mMax: number): Quant {
  return (w, k) => {
    const orig = w.slice();
    inner(w, k);
    for (let r = 0; r < w.length / k; r++) {
      let amax = 0;
      for (let j = 0; j < k; j++) amax = Math.max(amax, Math.abs(orig[r * k + j]));
      const d = amax / WB;
      for (let g = 0; g < k; g += G) {
        const s = w.subarray(r * k + g, r * k + Math.min(k, g + G));
        const o = orig.subarray(r * k + g, r * k + Math.min(k, g + G));
        let lo = Infinity, hi = -Infinity;
        for (const v of s) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        // the quantized group's grid: lo + step·u; step from its distinct levels
        const step = (hi - lo) / 15;
        const m = Math.max(1, Math.min(mMax, Math.round(step / d)));
        const b = Math.round(-lo / d);
        for (let j = 0; j < s.length; j++) {
          const u = Math.max(0, Math.min(15, Math.round((o[j] / d + b) / m)));
          s[j] = d * (m * u - b);
        }
      }
    }
  };
}

/**
 * The kernel's grid: w = d·m·s, d = amax/(8·M) per channel, per group m in 1..M chosen by least
 * squared error, s in [-8, 7] rounded to nearest (every value an int8 in [-8M, 7M]).
 */
function symGrid(G: number, M: number): Quant {
  return (w, k) => {
    for (let r = 0; r < w.length / k; r++) {
      const row = w.subarray(r * k, (r + 1) * k);
      let amax = 0;
      for (const v of row) amax = Math.max(amax, Math.abs(v));
      if (amax === 0) continue;
      const d = amax / (8 * M);
      for (let g = 0; g < k; g += G) {
        const s = row.subarray(g, Math.min(k, g + G));
        let bm = 1, be = Infinity;
        for (let m = 1; m <= M; m++) {
          let e = 0;
          for (const v of s) {
            const q = Math.max(-8, Math.min(7, Math.round(v / (d * m))));
            e += (v - q * d * m) ** 2;
          }
          if (e < be) (be = e), (bm = m);
        }
        for (let j = 0; j < s.length; j++) {
          s[j] = d * bm * Math.max(-8, Math.min(7, Math.round(s[j] / (d * bm))));
        }
      }
    }
  };
}

const f32 = await embeds();
const torchCos = (e: Float32Array) =>
  Math.min(...Array.from({ length: img.count }, (_, b) => cosine(row(e, b), row(img.embeds, b))));
const f32Cos = (e: Float32Array) =>
  Math.min(...Array.from({ length: N }, (_, b) => cosine(row(e, b), row(f32, b))));
console.log(`f32 path: min cos vs torch ${torchCos(f32).toFixed(6)}`);
const trials: [string, Quant][] = [
  ["sym grid g32 m≤15", symGrid(32, 15)],
  ["sym grid g64 m≤15", symGrid(64, 15)],
  ["sym grid g128 m≤15", symGrid(128, 15)],
  ["sym grid g32 m≤8", symGrid(32, 8)],
  ["asym RTN g32", asymRtn(32)],
  ["asym RTN g64", asymRtn(64)],
  ["sym q4_0 (max/-8) g32", symRtn(32, 8)],
  ["sym amax/7 g32", symRtn(32, 7)],
  ["asym search g32", asymSearch(32)],
  ["asym search g64", asymSearch(64)],
  ["asym search g128", asymSearch(128)],
  ["asym search g32 → int grid WB 1900 m≤255", intGrid(asymSearch(32), 32, 1900, 255)],
  ["asym search g32 → int grid WB 127 m≤17", intGrid(asymSearch(32), 32, 127, 17)],
  ["asym search g64 → int grid WB 1900 m≤255", intGrid(asymSearch(64), 64, 1900, 255)],
];
console.log("| format | min image cos vs torch (2) | min cos vs our f32 (8) |");
console.log("|---|---|---|");
for (const [name, q] of trials) {
  if (only && !name.includes(only)) continue;
  const e = await embeds(q);
  console.log(`| ${name} | ${torchCos(e).toFixed(6)} | ${f32Cos(e).toFixed(6)} |`);
}
