// The pipeline on the kernels against a composition of the pure-TS references, plus batching,
// EXIF, variants and input validation.

import { deepStrictEqual, notDeepStrictEqual, throws } from "node:assert/strict";
import { forAll } from "../../_util/property.ts";
import { EdgeClipError } from "../../../src/errors.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { toRGB } from "../../../src/image/convert.ts";
import { centerCrop } from "../../../src/image/crop.ts";
import { normalizeRgbRef } from "../../../src/image/normalize.ts";
import { exifTranspose } from "../../../src/image/orient.ts";
import {
  normalizeParams,
  outputSize,
  preprocessBatch,
  preprocessImage,
  preprocessToRgb,
  resizeTarget,
} from "../../../src/image/preprocess.ts";
import {
  DEFAULT_PREPROCESS_CONFIG,
  parsePreprocessConfig,
} from "../../../src/image/preprocess_config.ts";
import { resizeImage } from "../../../src/image/resize.ts";
import type { DecodedImage, ImageMode } from "../../../src/image/types.ts";
import { testImage } from "./_inputs.ts";

const k = Kernels.create();
const code = (c: string) => (e: unknown) => e instanceof EdgeClipError && e.code === c;

const MODES: ImageMode[] = ["L", "LA", "RGB", "RGBA", "CMYK", "I", "P", "1"];

function image(mode: ImageMode, w: number, h: number): DecodedImage {
  if (mode !== "1") return testImage(mode, w, h);
  const g = testImage("L", w, h);
  return { ...g, mode: "1", data: (g.data as Uint8Array).map((v) => (v & 1 ? 255 : 0)) };
}

Deno.test("preprocessImage equals the pure-TS reference composition (random modes, sizes, configs)", () => {
  forAll("pipeline", 60, (r) => ({
    mode: r.pick(MODES),
    w: r.int(1, 60),
    h: r.int(1, 60),
    variant: r.pick(["openai", "hf"] as const),
    cfg: {
      size: r.next() < 0.7
        ? { shortest_edge: r.int(1, 40) }
        : { height: r.int(1, 40), width: r.int(1, 40) },
      crop_size: { height: r.int(1, 40), width: r.int(1, 40) },
      resample: r.int(0, 5),
      do_resize: r.next() < 0.85,
      do_center_crop: r.next() < 0.85,
      do_rescale: r.next() < 0.85,
      do_normalize: r.next() < 0.85,
      rescale_factor: r.pick([1 / 255, 1 / 127.5]),
    },
  }), (c) => {
    const cfg = parsePreprocessConfig(c.cfg);
    const img = image(c.mode, c.w, c.h);
    // reference: every step in plain TS, in the variant's order
    let ref: DecodedImage = c.variant === "hf"
      ? { ...img, mode: "RGB", data: toRGB(img), palette: undefined }
      : img;
    if (cfg.doResize) {
      const [tw, th] = resizeTarget(ref.width, ref.height, cfg.size);
      ref = resizeImage(ref, tw, th, cfg.resample);
    }
    if (cfg.doCenterCrop) ref = centerCrop(ref, cfg.cropSize.width, cfg.cropSize.height, c.variant);
    const want = normalizeRgbRef(
      toRGB(ref),
      ref.width,
      ref.height,
      normalizeParams(cfg, c.variant),
    );
    const got = preprocessImage(img, cfg, k, { variant: c.variant });
    deepStrictEqual(got, want);
    deepStrictEqual(outputSize(img.width, img.height, cfg), [ref.height, ref.width]);
  }, (c) => `${c.mode} ${c.w}x${c.h} ${c.variant} ${JSON.stringify(c.cfg)}`);
});

Deno.test("resizeTarget: shortest edge keeps the aspect with int() truncation, like torchvision", () => {
  deepStrictEqual(resizeTarget(640, 480, { shortestEdge: 224 }), [298, 224]);
  deepStrictEqual(resizeTarget(480, 640, { shortestEdge: 224 }), [224, 298]);
  deepStrictEqual(resizeTarget(1000, 300, { shortestEdge: 224 }), [746, 224]);
  deepStrictEqual(resizeTarget(225, 223, { shortestEdge: 224 }), [226, 224]);
  deepStrictEqual(resizeTarget(300, 300, { shortestEdge: 224 }), [224, 224]);
  deepStrictEqual(resizeTarget(3, 5, { height: 7, width: 9 }), [9, 7]);
});

Deno.test("preprocessBatch writes each image's tensor into one [B,3,H,W] buffer", () => {
  const imgs = [image("RGB", 40, 30), image("RGBA", 17, 50), image("P", 33, 33), image("L", 5, 9)];
  const cfg = parsePreprocessConfig({ size: 24, crop_size: 24 });
  const b = preprocessBatch(imgs, cfg, k);
  deepStrictEqual(b.shape, [4, 3, 24, 24]);
  const n = 3 * 24 * 24;
  imgs.forEach((im, i) =>
    deepStrictEqual(b.data.subarray(i * n, (i + 1) * n), preprocessImage(im, cfg, k))
  );
  const hf = preprocessBatch(imgs, cfg, k, { variant: "hf" });
  imgs.forEach((im, i) =>
    deepStrictEqual(
      hf.data.subarray(i * n, (i + 1) * n),
      preprocessImage(im, cfg, k, { variant: "hf" }),
    )
  );
});

Deno.test("preprocessBatch rejects an empty batch and images of different output sizes", () => {
  throws(() => preprocessBatch([], DEFAULT_PREPROCESS_CONFIG, k), code("invalid_input"));
  const noCrop = parsePreprocessConfig({ size: 16, do_center_crop: false });
  throws(
    () => preprocessBatch([image("RGB", 20, 10), image("RGB", 10, 20)], noCrop, k),
    code("invalid_input"),
  );
  deepStrictEqual(preprocessBatch([image("RGB", 20, 10), image("L", 40, 20)], noCrop, k).shape, [
    2,
    3,
    16,
    32,
  ]);
  // with applyExif a 90° orientation swaps the output of a no-crop config
  const turned = { ...image("RGB", 10, 20), exifOrientation: 6 };
  deepStrictEqual(
    preprocessBatch([image("RGB", 20, 10), turned], noCrop, k, { applyExif: true }).shape,
    [2, 3, 16, 32],
  );
});

Deno.test("applyExif transposes before anything else; default ignores the tag (as OpenAI)", () => {
  const img = { ...image("RGB", 37, 23), exifOrientation: 6 };
  const cfg = parsePreprocessConfig({ size: 16, crop_size: 16 });
  const plain = preprocessImage(img, cfg, k);
  deepStrictEqual(plain, preprocessImage({ ...img, exifOrientation: undefined }, cfg, k));
  const turned = preprocessImage(img, cfg, k, { applyExif: true });
  deepStrictEqual(turned, preprocessImage(exifTranspose(img), cfg, k));
  notDeepStrictEqual(turned, plain);
});

Deno.test("malformed images and options are invalid_input", () => {
  const cfg = DEFAULT_PREPROCESS_CONFIG;
  const ok = image("RGB", 4, 4);
  const bad: DecodedImage[] = [
    { ...ok, data: new Uint8Array(47) },
    { ...ok, width: 0 },
    { ...ok, height: 2.5 },
    { ...ok, mode: "I" }, // Uint8Array for an int32 mode
    { ...ok, mode: "XYZ" as ImageMode },
  ];
  for (const im of bad) {
    throws(() => preprocessImage(im, cfg, k), code("invalid_input"), JSON.stringify(im.mode));
  }
  // deno-lint-ignore no-explicit-any
  throws(() => preprocessToRgb(ok, cfg, k, { variant: "pil" as any }), code("invalid_input"));
});

Deno.test("OpenAI and HF variants differ where the references do (RGBA: resize before/after RGB)", () => {
  const img = image("RGBA", 30, 20);
  const cfg = parsePreprocessConfig({ size: 12, crop_size: 12 });
  notDeepStrictEqual(preprocessImage(img, cfg, k), preprocessImage(img, cfg, k, { variant: "hf" }));
  const rgb = image("RGB", 30, 20); // and agree on RGB with an even crop margin
  deepStrictEqual(preprocessImage(rgb, cfg, k), preprocessImage(rgb, cfg, k, { variant: "hf" }));
});
