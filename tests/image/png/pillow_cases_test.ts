// PNG files covering every bit depth, colour type, filter, interlace and chunk layout, against
// Pillow 9.4.0's decode of the same bytes (fixtures/make_fixtures.py).

import { decodePng } from "../../../src/image/png/mod.ts";
import { runPillowCases } from "./_pillow_cases.ts";

for (const f of ["png_formats.json", "png_layouts.json"]) {
  runPillowCases(new URL(`fixtures/${f}`, import.meta.url), "PNG", (b) => decodePng(b));
}
