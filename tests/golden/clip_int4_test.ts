// Golden conformance of the int4 path (tests/golden/_quantized.ts): 4-bit image tower weights
// (q8_policy.ts DEFAULT_Q4_RULE), text int8 as in clip_int8_test.ts.
//
// Measured 2026-12-07 (relaxed build: vision u7, text u12), min over rows:
//   public/tiny base             text 0.999824  image 0.991935  ranking kept
//   edgeclip/alt base(_nomask)   text 0.999850  image 0.985355  ranking kept
// The tiny fixtures' image towers lose more to 4 bits than ViT-B/32 (0.9967 to torch,
// bench/anchor/int4_accuracy.ts): their few, narrow layers average less of the rounding away.
// Bounds below: text 0.9995 (int8's), image 0.98.

import { quantizedGoldenTests } from "./_quantized.ts";

quantizedGoldenTests("int4", { text_embeds: 0.9995, image_embeds: 0.98 });
