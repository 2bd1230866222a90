// gemm_q8: the int32 sums equal an exact integer reference bit for bit, the f32 epilogue matches
// the reference rounding for rounding, in both builds and both activation formats, over the edge
// grid (m around MR = 4, n around the 12-column panel and its 4-column quarters, k around the
// 8-padding) and CLIP's shapes.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { ACT_FORMATS, type ActFormat, type QaCode } from "../../src/wasm/formats.ts";
import { packActQ8, quantizeActQ8, quantizeWeightsQ8, unpackQ8 } from "../_ref/q8.ts";
import { gemmRef } from "../_ref/gemm.ts";
import { gemmQ8AccRef, gemmQ8Ref } from "../_ref/gemm_q8.ts";
import type { ActName } from "../../src/wasm/abi.ts";
import type { Kernels } from "../../src/wasm/kernels.ts";
import type { PackedQ8 } from "../../src/wasm/q8.ts";
import { assertClose, sameBits } from "../_util/assert_close.ts";
import { forAll } from "../_util/property.ts";
import type { Prng } from "../_util/prng.ts";
import { eachVariant } from "./_backends.ts";
import { gemmCase } from "./_gemm_cases.ts";
import { rawOf } from "./_raw.ts";

const FORMATS = Object.values(ACT_FORMATS);

/** Packs w [n × kk] into scratch memory of the caller's scope. */
function packWeights(k: Kernels, w: Float32Array, n: number, kk: number): PackedQ8 {
  const p = k.packedQ8(n, kk);
  k.scratch(() => k.q8.quantizePack(k.matFrom(w, n, kk), p));
  return p;
}

/** The reference of what gemmQ8 computes on f32 inputs (quantize both, exact sums, epilogue). */
function reference(
  x: Float32Array,
  w: Float32Array,
  m: number,
  kk: number,
  n: number,
  fmt: ActFormat,
  opts: { bias?: Float32Array; act?: ActName; residual?: Float32Array },
): Float32Array {
  const a = quantizeActQ8(x, m, kk, fmt);
  const pw = quantizeWeightsQ8(w, n, kk);
  return gemmQ8Ref(
    a,
    { q: unpackQ8(pw), scales: pw.scales, sums: pw.sums },
    m,
    kk,
    n,
    opts,
  );
}

function randomMatrix(r: Prng, rows: number, cols: number): Float32Array {
  const s = 10 ** r.uniform(-2, 1);
  return r.f32(rows * cols, () => s * r.normal() + (r.next() < 0.3 ? s : 0));
}

Deno.test("gemm_q8 equals the integer reference bit for bit (edge grid, both formats)", () => {
  eachVariant((kr, variant) => {
    const grid = {
      k: [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 97],
      n: [1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 33],
    };
    forAll(`gemm_q8[${variant}]`, 120, (r) => gemmCase(r, grid), (c, r) => {
      kr.scratch(() => {
        const x = randomMatrix(r, c.m, c.k), w = randomMatrix(r, c.n, c.k);
        const bias = c.bias ? r.f32(c.n) : undefined;
        const res = c.residual ? r.f32(c.m * c.n) : undefined;
        const want = reference(x, w, c.m, c.k, c.n, c.fmt, { bias, residual: res });
        const A = kr.view(kr.mat(c.m, c.k + c.pad), 0, c.m, 0, c.k);
        kr.write(A, x);
        const C = kr.view(kr.mat(c.m, c.n + c.pad), 0, c.m, 0, c.n);
        const R = res ? kr.matFrom(res, c.m, c.n) : undefined;
        kr.q8.gemm(A, packWeights(kr, w, c.n, c.k), C, {
          bias: bias ? kr.vecFrom(bias) : undefined,
          residual: R,
          fmt: c.fmt.id as QaCode,
        });
        sameBits(kr.read(C), want, "output");
      });
    });
  });
});

Deno.test("gemm_q8 every row count of the last block (m = 1..9) equals the reference", () => {
  // the kernels have a copy per row count of a 4-row block; the random grid may miss one
  eachVariant((kr, variant) => {
    for (const fmt of FORMATS) {
      for (let m = 1; m <= 9; m++) {
        for (const [k, n] of [[13, 17], [40, 12]]) {
          kr.scratch(() => {
            let seed = m * 131 + k + n;
            const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
            const x = new Float32Array(m * k).map(rnd), w = new Float32Array(n * k).map(rnd);
            const bias = new Float32Array(n).map(rnd);
            const C = kr.mat(m, n);
            kr.q8.gemm(kr.matFrom(x, m, k), packWeights(kr, w, n, k), C, {
              bias: kr.vecFrom(bias),
              fmt: fmt.id as QaCode,
            });
            sameBits(
              kr.read(C),
              reference(x, w, m, k, n, fmt, { bias }),
              `${variant} ${fmt.name} ${m}×${k}×${n}`,
            );
          });
        }
      }
    }
  });
});

Deno.test("gemm_q8 int32 sums are exact at the extremes (qmax × ±127 over K = 3072)", () => {
  eachVariant((kr) => {
    for (const fmt of FORMATS) {
      for (const m of [5, 6, 7, 8]) {
        const k = 3072, n = 9;
        // activations at qmax (and 0 in a few places), weights ±127: the largest |sum| the format allows
        const q = new Uint16Array(m * k).map((_, i) => (i % 97 === 0 ? 0 : fmt.qmax));
        const wq = new Int8Array(n * k).map((_, i) => (i % 7 === 0 ? -127 : 127));
        const a = { m, k, q, scales: new Float32Array(m).fill(1), zeros: new Int32Array(m) };
        const acc = gemmQ8AccRef(a, { q: wq, scales: [], sums: [] }, m, k, n);
        kr.scratch(() => {
          const packedA = packActQ8(a, fmt);
          const pa = kr.bufFrom("u8", packedA);
          const rows = kr.zeros("f32", 16); // 8 scales (f32), then 8 zero points (i32)
          kr.writeBuf(rows, new Float32Array(8).fill(1));
          // weights packed from integers: quantizing q itself gives scale 1 (amax 127)
          const p = packWeights(kr, Float32Array.from(wq), n, k);
          strictEqual(kr.readBuf(p.scales)[0], 1);
          const C = kr.mat(m, n);
          const [d, sc, su] = [p.data.ptr, p.scales.ptr, p.sums.ptr];
          rawOf(kr).x.gemm_q8(
            pa.ptr,
            m,
            k,
            fmt.id,
            rows.ptr,
            d,
            n,
            sc,
            su,
            0,
            0,
            0,
            0,
            C.ptr,
            C.ld,
          );
          deepStrictEqual(kr.read(C), Float32Array.from(acc, (v) => Math.fround(v)));
          ok(Math.abs(acc[0]) > 2 ** 24, "the case reaches past f32's exact integers");
        });
      }
    }
  });
});

Deno.test("gemm_q8 fused activations match the reference activation", () => {
  const acts: ActName[] = ["quick_gelu", "gelu", "relu", "gelu_tanh"];
  eachVariant((kr, variant) => {
    forAll(`gemm_q8 act[${variant}]`, 40, (r) => ({
      m: r.pick([1, 3, 4, 6, 9]),
      k: r.pick([8, 9, 33, 64]),
      n: r.pick([3, 8, 13, 16]),
      act: r.pick(acts),
      fmt: r.pick(FORMATS),
      residual: r.next() < 0.5,
    }), (c, r) => {
      kr.scratch(() => {
        const x = randomMatrix(r, c.m, c.k), w = randomMatrix(r, c.n, c.k);
        const bias = r.f32(c.n);
        const res = c.residual ? r.f32(c.m * c.n) : undefined;
        const want = reference(x, w, c.m, c.k, c.n, c.fmt, { bias, act: c.act, residual: res });
        const C = kr.mat(c.m, c.n);
        kr.q8.gemm(kr.matFrom(x, c.m, c.k), packWeights(kr, w, c.n, c.k), C, {
          bias: kr.vecFrom(bias),
          act: c.act,
          residual: res ? kr.matFrom(res, c.m, c.n) : undefined,
          fmt: c.fmt.id as QaCode,
        });
        assertClose(kr.read(C), want, 2e-6, 2e-6, `act ${c.act}`);
      });
    });
  });
});

Deno.test("gemm_q8: one quantizeAct feeds several GEMMs, each identical to gemm", () => {
  eachVariant((kr, variant) => {
    for (const fmt of FORMATS) {
      kr.scratch(() => {
        const m = 7, k = 37, n = 29;
        let seed = 5;
        const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
        const A = kr.matFrom(new Float32Array(m * k).map(rnd), m, k);
        const qa = kr.q8.quantizeAct(A, fmt.id as QaCode);
        for (const act of [undefined, "quick_gelu"] as const) {
          const w = packWeights(kr, new Float32Array(n * k).map(rnd), n, k);
          const bias = kr.vecFrom(new Float32Array(n).map(rnd));
          const got = kr.mat(m, n), want = kr.mat(m, n);
          kr.q8.gemmQuantized(qa, w, got, { bias, act });
          kr.q8.gemm(A, w, want, { bias, act, fmt: fmt.id as QaCode });
          sameBits(kr.read(got), kr.read(want), `${variant} ${fmt.name} act ${act}`);
        }
      });
    }
  });
});

Deno.test("gemm_q8 writes over the residual when out aliases it", () => {
  eachVariant((kr) => {
    // n = 27: two whole panels and a partial one (the epilogue has a path for each)
    for (const n of [11, 27]) {
      kr.scratch(() => {
        const m = 6, k = 20;
        const r = { f32: (len: number) => new Float32Array(len).map((_, i) => Math.sin(i * 1.3)) };
        const x = r.f32(m * k), w = r.f32(n * k).map((v) => v * 0.5), res = r.f32(m * n);
        const want = reference(x, w, m, k, n, ACT_FORMATS.u8, { residual: res });
        const R = kr.matFrom(res, m, n);
        kr.q8.gemm(kr.matFrom(x, m, k), packWeights(kr, w, n, k), R, { residual: R });
        sameBits(kr.read(R), want, `aliased n = ${n}`);
      });
    }
  });
});

Deno.test("gemm_q8 on CLIP shapes: bit-exact, and close to the f32 product (NMSE bounds)", () => {
  // measured 2026-11-26 on these inputs: NMSE u8 5.7e-5..6.2e-5, u7 1.6e-4..2.4e-4, u12 2.4e-5..2.8e-5
  // (int8 weights alone: 2.4e-5..2.8e-5); the bounds leave ~30% headroom
  const NMSE_MAX = { u8: 8e-5, u7: 3e-4, u12: 3.6e-5 };
  eachVariant((kr, variant) => {
    for (const [m, k, n] of [[50, 768, 768], [7, 512, 2048], [9, 3072, 24]]) {
      for (const fmt of FORMATS) {
        kr.scratch(() => {
          let seed = m * 7 + k + n;
          const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
          const x = new Float32Array(m * k).map(() => rnd() + rnd() + rnd());
          const w = new Float32Array(n * k).map(() => (rnd() + rnd()) * 0.05);
          const C = kr.mat(m, n);
          kr.q8.gemm(kr.matFrom(x, m, k), packWeights(kr, w, n, k), C, { fmt: fmt.id as QaCode });
          const got = kr.read(C);
          if (m * k * n <= 50 * 768 * 768) {
            sameBits(
              got,
              reference(x, w, m, k, n, fmt, {}),
              `${variant} ${fmt.name} ${m}×${k}×${n}`,
            );
          }
          const truth = gemmRef(x, w, m, k, n);
          let num = 0, den = 0;
          for (let i = 0; i < got.length; i++) {
            num += (got[i] - truth[i]) ** 2;
            den += truth[i] ** 2;
          }
          const nmse = num / den;
          ok(
            nmse < NMSE_MAX[fmt.name],
            `${fmt.name} ${m}×${k}×${n}: NMSE ${nmse.toExponential(2)}`,
          );
        });
      }
    }
  });
});
