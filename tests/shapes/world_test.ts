// The TypeScript shapes generator (tools/shapes/world.ts) follows issue 11's description: 40/48
// labels, shape diameter 25–70% of the side, background far from the shape's colour, the shape
// fully inside (a plain image's border is pure background), valid PNG/JPEG files.

import { deepStrictEqual, ok } from "node:assert/strict";
import { decodeImage } from "../../src/image/decode.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import {
  ALL_SHAPES,
  BASE_SHAPES,
  COLOURS,
  encodeScene,
  labels,
  MIN_BG_DISTANCE,
  scenes,
  SIZE,
} from "../../tools/shapes/world.ts";

Deno.test("shapes world: 40 base labels, 48 with the hexagon", () => {
  deepStrictEqual(labels(BASE_SHAPES).length, 40);
  deepStrictEqual(labels(ALL_SHAPES).length, 48);
  deepStrictEqual(labels()[0], "red circle");
});

Deno.test("shapes world: scenes follow the description", async () => {
  const kernels = Kernels.create();
  const all = scenes(3, 30, ALL_SHAPES);
  deepStrictEqual(new Set(all.map((s) => s.shape)).size, ALL_SHAPES.length);
  for (const s of all) {
    const fg = COLOURS[s.colour];
    ok(s.frac >= 0.25 && s.frac <= 0.7, `diameter ${s.frac}`);
    ok(Math.hypot(...s.background.map((v, c) => v - fg[c])) > MIN_BG_DISTANCE);
    ok(s.noise >= 0 && s.noise <= 12);
    if (s.noise === 0) {
      for (let i = 0; i < SIZE; i++) {
        for (const [x, y] of [[i, 0], [i, SIZE - 1], [0, i], [SIZE - 1, i]]) {
          const o = (y * SIZE + x) * 3;
          deepStrictEqual([...s.rgb.subarray(o, o + 3)], s.background, `${s.shape} at ${x},${y}`);
        }
      }
    }
    const img = await decodeImage(await encodeScene(s), { kernels });
    deepStrictEqual([img.width, img.height, img.format], [SIZE, SIZE, s.format.toUpperCase()]);
    if (s.format === "png") deepStrictEqual(img.data, s.rgb);
  }
});
