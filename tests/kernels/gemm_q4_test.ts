// 4-bit weights: quantize_pack_q4 writes the reference's bytes, scales and sums bit for bit;
// gemm_q4's outputs equal the integer reference (exact sums of q·(m·s), gemm_q8's epilogue) in
// both builds and every activation format, over the edge grid (k around the 8-padding and the
// 32-value groups, n around the panel and its quarters, m around the 4-row blocks, size 1);
// unpack_q4 dequantizes as the reference does.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { ACT_FORMATS, Q4_WEIGHTS, type QaCode } from "../../src/wasm/formats.ts";
import type { Kernels } from "../../src/wasm/kernels.ts";
import type { PackedQ4 } from "../../src/wasm/q8.ts";
import { gemmQ8Ref } from "../_ref/gemm_q8.ts";
import { dequantizeQ4, quantizeWeightsQ4 } from "../_ref/q4.ts";
import { quantizeActQ8 } from "../_ref/q8.ts";
import { sameBits } from "../_util/assert_close.ts";
import { forAll } from "../_util/property.ts";
import type { Prng } from "../_util/prng.ts";
import { eachVariant } from "./_backends.ts";
import { gemmCase } from "./_gemm_cases.ts";
import { rawOf } from "./_raw.ts";

const FORMATS = Object.values(ACT_FORMATS);
const KS = [1, 2, 3, 4, 7, 8, 9, 15, 16, 24, 31, 32, 33, 39, 40, 63, 64, 65, 96, 97, 130];
const NS = [1, 3, 4, 5, 8, 11, 12, 13, 16, 23, 24, 25];

function packQ4(k: Kernels, w: Float32Array, n: number, kk: number): PackedQ4 {
  const p = k.packedQ4(n, kk);
  k.scratch(() => k.q8.quantizePack(k.matFrom(w, n, kk), p));
  return p;
}

function randomMatrix(r: Prng, rows: number, cols: number): Float32Array {
  const s = 10 ** r.uniform(-2, 1);
  // some rows with a few large values, so groups get different multipliers
  return r.f32(rows * cols, () => s * r.normal() * (r.next() < 0.05 ? 8 : 1));
}

Deno.test("quantize_pack_q4 writes the reference's bytes, scales, sums and error", () => {
  eachVariant((kr, variant) => {
    forAll(`quantize_pack_q4[${variant}]`, 80, (r) => ({
      n: r.pick(NS),
      k: r.pick(KS),
      zeroRow: r.next() < 0.3,
      nanRow: r.next() < 0.2,
    }), (c, r) => {
      kr.scratch(() => {
        const w = randomMatrix(r, c.n, c.k);
        if (c.zeroRow) w.fill(0, 0, c.k);
        if (c.nanRow && c.n > 1) w[c.k + r.int(0, c.k - 1)] = NaN;
        const want = quantizeWeightsQ4(w, c.n, c.k);
        const p = kr.packedQ4(c.n, c.k);
        const err = kr.q8.quantizePackQ4(kr.matFrom(w, c.n, c.k), p);
        strictEqual(err, want.norm > 0 ? Math.sqrt(want.error / want.norm) : 0, "error");
        const { u8, f32, i32 } = rawOf(kr);
        deepStrictEqual(u8(p.data.ptr, p.data.length), want.packed, "packed bytes");
        sameBits(f32(p.scales.ptr, p.scales.length).slice(), want.scales, "scales");
        deepStrictEqual(i32(p.sums.ptr, p.sums.length).slice(), want.sums, "sums");
        const dense = kr.mat(c.n, c.k);
        kr.q8.unpack(p, dense);
        sameBits(kr.read(dense), dequantizeQ4(want), "unpacked");
      });
    });
  });
});

Deno.test("quantize_pack_q4: levels in [-8, 7], error within 1.25× float-scale groups' (q4_0)", () => {
  const n = 64, k = 768;
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const w = new Float32Array(n * k).map(() => rnd() + rnd() + rnd());
  const p = quantizeWeightsQ4(w, n, k);
  const dq = dequantizeQ4(p);
  let e2 = 0, w2 = 0;
  for (let i = 0; i < w.length; i++) (e2 += (w[i] - dq[i]) ** 2), (w2 += w[i] ** 2);
  // ggml's q4_0 on the same groups (f32 scale amax/−8 per group): the integer multipliers cost
  // resolution (here 1.14× q4_0's squared error); an error far above it is a quantizer bug
  let r2 = 0;
  for (let g = 0; g < w.length; g += 32) {
    let mx = 0;
    for (let i = g; i < g + 32; i++) if (Math.abs(w[i]) > Math.abs(mx)) mx = w[i];
    const d = mx / -8;
    for (let i = g; i < g + 32; i++) {
      r2 += (w[i] - d * Math.max(-8, Math.min(7, Math.round(w[i] / d)))) ** 2;
    }
  }
  ok(e2 <= 1.25 * r2, `squared error ${e2}, q4_0 ${r2}`);
  for (const v of p.q) ok(v >= -8 * Q4_WEIGHTS.mmax! && v <= 7 * Q4_WEIGHTS.mmax!);
});

Deno.test("gemm_q4 equals the integer reference bit for bit (edge grid, every format)", () => {
  eachVariant((kr, variant) => {
    forAll(`gemm_q4[${variant}]`, 150, (r) => gemmCase(r, { k: KS, n: NS }), (c, r) => {
      kr.scratch(() => {
        const x = randomMatrix(r, c.m, c.k), w = randomMatrix(r, c.n, c.k);
        const bias = c.bias ? r.f32(c.n) : undefined;
        const res = c.residual ? r.f32(c.m * c.n) : undefined;
        const pw = quantizeWeightsQ4(w, c.n, c.k);
        const want = gemmQ8Ref(quantizeActQ8(x, c.m, c.k, c.fmt), pw, c.m, c.k, c.n, {
          bias,
          residual: res,
        });
        const A = kr.view(kr.mat(c.m, c.k + c.pad), 0, c.m, 0, c.k);
        kr.write(A, x);
        const C = kr.view(kr.mat(c.m, c.n + c.pad), 0, c.m, 0, c.n);
        kr.q8.gemm(A, packQ4(kr, w, c.n, c.k), C, {
          bias: bias ? kr.vecFrom(bias) : undefined,
          residual: res ? kr.matFrom(res, c.m, c.n) : undefined,
          fmt: c.fmt.id as QaCode,
        });
        sameBits(kr.read(C), want, "output");
      });
    });
  });
});

Deno.test("gemm_q4 at the extremes: every level, the largest multiplier, full-range activations", () => {
  // q·m of -120 and 105 against activations 0 and qmax: the largest sums the routes must carry
  eachVariant((kr, variant) => {
    for (const fmt of FORMATS) {
      for (const [m, k, n] of [[1, 1, 1], [5, 1024, 13], [4, 4096, 12]]) {
        if (k > fmt.maxK) continue;
        kr.scratch(() => {
          const x = new Float32Array(m * k).map((_, i) => (i % 3 === 0 ? -1 : 1));
          const w = new Float32Array(n * k).map((_, i) => (i % 2 ? -1 : 0.875));
          const pw = quantizeWeightsQ4(w, n, k);
          const want = gemmQ8Ref(quantizeActQ8(x, m, k, fmt), pw, m, k, n);
          const C = kr.mat(m, n);
          kr.q8.gemm(kr.matFrom(x, m, k), packQ4(kr, w, n, k), C, { fmt: fmt.id as QaCode });
          sameBits(kr.read(C), want, `${variant} ${fmt.name} ${m}×${k}×${n}`);
          strictEqual(Math.max(...pw.q), 105, "the top level with m = 15");
        });
      }
    }
  });
});
