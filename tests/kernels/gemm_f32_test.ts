import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { forAll } from "../_util/property.ts";
import { Prng } from "../_util/prng.ts";
import { assertClose } from "../_util/assert_close.ts";
import { gemmRef } from "../_ref/gemm.ts";
import { eachVariant } from "./_backends.ts";
import type { ActName } from "../../src/wasm/abi.ts";

const ACTS: ActName[] = ["none", "quick_gelu", "gelu", "relu"];

Deno.test("gemm_f32 equals the reference on random shapes (odd sizes, remainders, 1)", () => {
  eachVariant((kr, variant) => {
    forAll(
      `gemm_f32[${variant}]`,
      60,
      (r) => ({
        m: r.pick([1, 2, 3, 4, 5, 7, 9, 17, 50, 65, 130]),
        k: r.pick([1, 2, 3, 5, 8, 31, 64, 97]),
        n: r.pick([1, 3, 7, 8, 9, 15, 16, 17, 33]),
        bias: r.next() < 0.7,
        residual: r.next() < 0.5,
        act: r.pick(ACTS),
        pad: r.int(0, 3), // extra row stride on A and C
      }),
      (c, r) => {
        kr.scratch(() => {
          const a = r.f32(c.m * c.k), w = r.f32(c.n * c.k);
          const bias = c.bias ? r.f32(c.n) : undefined;
          const res = c.residual ? r.f32(c.m * c.n) : undefined;
          const want = gemmRef(a, w, c.m, c.k, c.n, { bias, act: c.act, residual: res });
          const A = kr.view(kr.mat(c.m, c.k + c.pad), 0, c.m, 0, c.k);
          kr.write(A, a);
          const W = kr.matFrom(w, c.n, c.k);
          const P = kr.packF32(W);
          const C = kr.view(kr.mat(c.m, c.n + c.pad), 0, c.m, 0, c.n);
          const R = res ? kr.matFrom(res, c.m, c.n) : undefined;
          const b = bias ? kr.vecFrom(bias) : undefined;
          kr.gemmF32(A, P, C, { bias: b, act: c.act, residual: R });
          assertClose(kr.read(C), want, 1e-5 * Math.sqrt(c.k), 1e-5);
        });
      },
    );
  });
});

Deno.test("gemm_f32 writes its result over the residual when out aliases it", () => {
  eachVariant((kr) =>
    kr.scratch(() => {
      const m = 5, k = 6, n = 9;
      const a = new Float32Array(m * k).map((_, i) => (i % 7) - 3);
      const w = new Float32Array(n * k).map((_, i) => (i % 5) - 2);
      const res = new Float32Array(m * n).map((_, i) => i);
      const want = gemmRef(a, w, m, k, n, { residual: res });
      const A = kr.matFrom(a, m, k), R = kr.matFrom(res, m, n);
      kr.gemmF32(A, kr.packF32(kr.matFrom(w, n, k)), R, { residual: R });
      assertEquals(Array.from(kr.read(R)), Array.from(want));
    })
  );
});

Deno.test("pack_f32 and unpack_f32 round-trip", () => {
  eachVariant((kr) =>
    kr.scratch(() => {
      for (const [n, k] of [[1, 1], [7, 3], [8, 5], [17, 9]]) {
        const w = new Float32Array(n * k).map((_, i) => i + 0.5);
        const P = kr.packF32(kr.matFrom(w, n, k));
        const back = kr.mat(n, k);
        kr.unpackF32(P, back);
        assertEquals(Array.from(kr.read(back)), Array.from(w));
      }
    })
  );
});

// Every row-group size the kernel has (1..MR, MR = 6 relaxed / 5 SIMD128, in balanced splits),
// the panel tail (n mod 8), the weight-touch path (≥ 4 groups, ≥ 2 panels) and the row-block
// boundary (MC = 240 rows), each with bias, activation and residual on.
Deno.test("gemm_f32 edge grid: every row count 1..26, row-block boundary, panel tails", () => {
  eachVariant((kr, variant) => {
    const r = new Prng(0x6e44);
    const ms = [...Array.from({ length: 26 }, (_, i) => i + 1), 239, 240, 241, 481];
    for (const m of ms) {
      for (const [k, n] of [[1, 9], [3, 17], [5, 8], [2, 1]]) {
        kr.scratch(() => {
          const a = r.f32(m * k), w = r.f32(n * k), bias = r.f32(n), res = r.f32(m * n);
          const want = gemmRef(a, w, m, k, n, { bias, act: "quick_gelu", residual: res });
          const A = kr.matFrom(a, m, k), R = kr.matFrom(res, m, n), C = kr.mat(m, n);
          const P = kr.packF32(kr.matFrom(w, n, k));
          kr.gemmF32(A, P, C, { bias: kr.vecFrom(bias), act: "quick_gelu", residual: R });
          assertClose(kr.read(C), want, 1e-5 * Math.sqrt(k), 1e-5, `[${variant}] ${m}×${k}×${n}`);
        });
      }
    }
  });
});

Deno.test("gemm_f32 on CLIP-sized blocks: long k, many panels, residual aliased", () => {
  eachVariant((kr, variant) => {
    const r = new Prng(0xc11b);
    for (const [m, k, n] of [[50, 768, 40], [13, 2048, 24], [7, 512, 72]]) {
      kr.scratch(() => {
        const a = r.f32(m * k), w = r.f32(n * k), res = r.f32(m * n);
        const want = gemmRef(a, w, m, k, n, { residual: res });
        const A = kr.matFrom(a, m, k), H = kr.matFrom(res, m, n);
        const P = kr.packF32(kr.matFrom(w, n, k));
        kr.gemmF32(A, P, H, { residual: H });
        assertClose(kr.read(H), want, 1e-5 * Math.sqrt(k), 1e-5, `[${variant}] ${m}×${k}×${n}`);
      });
    }
  });
});

Deno.test("pack_f32 with a row stride, sizes around its 4×4 blocks, round-trips and multiplies", () => {
  eachVariant((kr, variant) => {
    const r = new Prng(0x9ac4);
    for (const [n, k] of [[4, 4], [5, 7], [12, 8], [13, 10], [16, 33], [3, 9]]) {
      kr.scratch(() => {
        const ldw = k + 3;
        const w = r.f32(n * k), wide = new Float32Array(n * ldw).fill(NaN); // stride padding unread
        for (let i = 0; i < n; i++) wide.set(w.subarray(i * k, (i + 1) * k), i * ldw);
        const P = kr.packF32(kr.view(kr.matFrom(wide, n, ldw), 0, n, 0, k));
        const back = kr.mat(n, k);
        kr.unpackF32(P, back);
        assertEquals(Array.from(kr.read(back)), Array.from(w), `[${variant}] ${n}×${k}`);
        const a = r.f32(3 * k), C = kr.mat(3, n);
        kr.gemmF32(kr.matFrom(a, 3, k), P, C);
        assertClose(kr.read(C), gemmRef(a, w, 3, k, n), 1e-5 * Math.sqrt(k), 1e-5);
      });
    }
  });
});
