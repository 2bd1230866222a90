// Golden conformance of the int8 path (tests/golden/_quantized.ts: quantized at load and from a
// package converted in memory, bit for bit alike, embeddings within a cosine bound of f32, the
// logits' ranking kept).
//
// Measured 2026-11-26 (default policy; relaxed build: vision u7, text u12), min over rows:
//   public/tiny base        text 0.999824  image 0.999901  max |Δlogit| 0.056  ranking kept
//   edgeclip/alt base(_nomask) text 0.999850  image 0.999675  max |Δlogit| 0.114  ranking kept
// (int8Precision "fast", text u7 on q/k/v/fc1: text 0.999616 / 0.999763, checked in
// tests/api/int8_precision_test.ts with its own bound.)
// (SIMD128 build, vision u12: image 0.999973 / 0.999930.) Bounds below: 0.9995 for both.

import { quantizedGoldenTests } from "./_quantized.ts";

quantizedGoldenTests("int8", { text_embeds: 0.9995, image_embeds: 0.9995 });
