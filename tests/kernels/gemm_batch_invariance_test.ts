// An embedding must not depend on what else is in the batch: each output row of gemm_f32 is
// bit-identical whatever the number of rows and the row's position (same summation order).

import { deepStrictEqual } from "node:assert/strict";
import { Prng } from "../_util/prng.ts";
import { eachVariant } from "./_backends.ts";

Deno.test("gemm_f32: a row's result is bit-identical for every batch size and position", () => {
  eachVariant((kr) => {
    const rng = new Prng(11);
    for (const [k, n] of [[64, 24], [97, 9], [768, 16]]) {
      kr.scratch(() => {
        const w = rng.f32(n * k);
        const P = kr.packF32(kr.matFrom(w, n, k));
        const row = rng.f32(k);
        const alone = kr.mat(1, n);
        kr.gemmF32(kr.matFrom(row, 1, k), P, alone);
        const ref = kr.read(alone);
        for (const m of [2, 5, 6, 7, 13, 64]) {
          for (const at of [0, m - 1, Math.floor(m / 2)]) {
            const a = rng.f32(m * k);
            a.set(row, at * k);
            const C = kr.mat(m, n);
            kr.gemmF32(kr.matFrom(a, m, k), P, C);
            deepStrictEqual(kr.read(C).slice(at * n, (at + 1) * n), ref, `k=${k} m=${m} row ${at}`);
          }
        }
      });
    }
  });
});
