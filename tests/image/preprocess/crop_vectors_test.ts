// Resize + centre crop (with zero padding) + RGB conversion against the references on small images
// of every mode: the OpenAI order recorded with torchvision 0.14.1 `Resize` + `CenterCrop` on
// Pillow 9.4 images, and the Hugging Face order (convert RGB → PIL resize → transformers'
// `center_crop`, floor offsets, ceil padding) recorded with the same Pillow. Configs mix crops
// larger than the image on one or both axes, odd margins, exact {height, width} sizes and every
// resample code.

import { deepStrictEqual } from "node:assert/strict";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { parsePreprocessConfig } from "../../../src/image/preprocess_config.ts";
import { preprocessToRgb } from "../../../src/image/preprocess.ts";
import type { ImageMode } from "../../../src/image/types.ts";
import { b64, testImage } from "./_inputs.ts";

interface CropVectors {
  configs: { size: Record<string, number> | null; crop: [number, number]; resample: number }[];
  cases: { mode: ImageMode; in: [number, number]; config: number; openai: string; hf: string }[];
}

const V: CropVectors = JSON.parse(
  Deno.readTextFileSync(new URL("./crop_vectors.json", import.meta.url)),
);

Deno.test(`preprocessToRgb matches torchvision and HF crops on ${V.cases.length} small cases`, () => {
  const k = Kernels.create();
  for (const c of V.cases) {
    const v = V.configs[c.config];
    const cfg = parsePreprocessConfig({
      do_resize: v.size !== null,
      ...(v.size ? { size: v.size } : {}),
      resample: v.resample,
      crop_size: { height: v.crop[0], width: v.crop[1] },
    });
    const img = testImage(c.mode, c.in[0], c.in[1]);
    for (const variant of ["openai", "hf"] as const) {
      const got = preprocessToRgb(img, cfg, k, { variant });
      const name = `${variant} ${c.mode} ${c.in.join("x")} config ${JSON.stringify(v)}`;
      deepStrictEqual([got.width, got.height], [v.crop[1], v.crop[0]], name);
      deepStrictEqual(Array.from(got.rgb), Array.from(b64(c[variant])), name);
    }
  }
});
