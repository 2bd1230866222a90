// The committed shapes model (models/shapes, issue 11) through the public API, on images from the
// TypeScript generator (tools/shapes/world.ts), which the model was not trained on: the int8
// package names shape and colour, and the hexagon adapter teaches it a sixth shape while it keeps
// the five it knows. The bounds are issue 11's targets (95% of the base shapes; with the adapter
// 90% of hexagons and 93% of the base shapes), on fewer images than its 400; the committed model
// measures 100% of the base shapes, and 98% of hexagons and 97% of base shapes with the adapter, on
// these same images; the README gives `deno task shapes:eval`'s figures on 400 and 1,000.

import { deepStrictEqual, ok } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { ADAPTER_DIR, classifyAll, generated, PACKAGE } from "../../tools/shapes/eval.ts";
import { ALL_SHAPES, BASE_SHAPES, HEXAGON, labels } from "../../tools/shapes/world.ts";
import { accuracy as right } from "../../tools/shapes/scoring.ts";

const ROOT = new URL("../../", import.meta.url);
const path = (p: string) => decodeURIComponent(new URL(p, ROOT).pathname);

// the int4 package: the same model with its image tower in 4 bits (models/shapes/…-int4); both
// classify the same images, drawn once
let baseImages: ReturnType<typeof generated> | undefined;
for (const dtype of ["int8", "int4"] as const) {
  Deno.test(`shapes ${dtype} package: ≥ 95% of 200 fresh images of the five base shapes`, async () => {
    const clip = await loadClip(path(PACKAGE.replace("int8", dtype)));
    try {
      deepStrictEqual(clip.dtype, dtype);
      const items = await (baseImages ??= generated(7, 200, BASE_SHAPES));
      const share = right(await classifyAll(clip, items, labels(BASE_SHAPES)));
      ok(share >= 0.95, `${(share * 100).toFixed(1)}% right`);
    } finally {
      clip.dispose();
    }
  });
}

Deno.test("shapes hexagon adapter: hexagons named with it, base shapes kept, not without it", async () => {
  const clip = await loadClip(path(PACKAGE));
  try {
    const hexagons = await generated(8, 60, [HEXAGON]);
    const base = await generated(9, 100, BASE_SHAPES);
    const L48 = labels(ALL_SHAPES);
    const before = right(await classifyAll(clip, hexagons, L48));
    ok(before <= 0.05, `the base model already names ${(before * 100).toFixed(0)}% of hexagons`);
    deepStrictEqual(await clip.loadAdapter(path(ADAPTER_DIR), { name: "hexagon" }), "hexagon");
    clip.setActiveAdapters("hexagon");
    const hex = right(await classifyAll(clip, hexagons, L48));
    const kept = right(await classifyAll(clip, base, L48));
    ok(hex >= 0.9, `with the adapter ${(hex * 100).toFixed(1)}% of hexagons right`);
    ok(kept >= 0.93, `with the adapter ${(kept * 100).toFixed(1)}% of base shapes right`);
  } finally {
    clip.dispose();
  }
});
