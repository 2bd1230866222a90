// Linear.prepare: int8 linears reading the same input (q/k/v) share one activation quantization.
// The shared path must give the same bits as each linear quantizing for itself, and a prepared
// input made for another matrix must be ignored, not used.

import { deepStrictEqual, notDeepStrictEqual, ok } from "node:assert/strict";
import { openModel } from "../../src/checkpoint/open.ts";
import { ALT_GOLDEN_DIR } from "../golden/clip_cases.ts";
import { Prng } from "../_util/prng.ts";

Deno.test("linear prepare: shared int8 quantization equals per-linear quantization", async () => {
  const { model, kernels: k } = await openModel(`${ALT_GOLDEN_DIR}/clip/model`, { dtype: "int8" });
  const layer = (model.text ?? model.vision)!.layers[0];
  const rng = new Prng(11);
  for (const rows of [1, 3, 5, 9]) {
    k.scratch(() => {
      const H = layer.qProj.inFeatures;
      const x = k.matFrom(
        Float32Array.from({ length: rows * H }, () => rng.uniform(-3, 3)),
        rows,
        H,
      );
      const other = k.matFrom(
        Float32Array.from({ length: rows * H }, () => rng.uniform(-3, 3)),
        rows,
        H,
      );
      const px = layer.qProj.prepare?.(x);
      ok(px, "an int8 linear prepares its input");
      for (const lin of [layer.qProj, layer.kProj, layer.vProj]) {
        const a = k.mat(rows, lin.outFeatures), b = k.mat(rows, lin.outFeatures);
        lin.forward(x, a);
        lin.forward(x, b, { prepared: px });
        deepStrictEqual(k.read(b), k.read(a));
        // prepared for x, asked for `other`: quantizes `other` itself
        const c = k.mat(rows, lin.outFeatures), d = k.mat(rows, lin.outFeatures);
        lin.forward(other, c);
        lin.forward(other, d, { prepared: px });
        deepStrictEqual(k.read(d), k.read(c));
        notDeepStrictEqual(k.read(d), k.read(a));
      }
    });
  }
});
