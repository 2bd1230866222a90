import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import {
  DEFAULT_PREPROCESS_CONFIG,
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  parsePreprocessConfig,
} from "../../../src/image/preprocess_config.ts";

Deno.test("an empty preprocessor_config.json gives CLIPImageProcessor's defaults", () => {
  deepStrictEqual(parsePreprocessConfig({}), DEFAULT_PREPROCESS_CONFIG);
  deepStrictEqual(DEFAULT_PREPROCESS_CONFIG.size, { shortestEdge: 224 });
  deepStrictEqual(DEFAULT_PREPROCESS_CONFIG.cropSize, { height: 224, width: 224 });
  deepStrictEqual(DEFAULT_PREPROCESS_CONFIG.resample, 3);
  deepStrictEqual(DEFAULT_PREPROCESS_CONFIG.rescaleFactor, 1 / 255);
  ok(
    Object.isFrozen(DEFAULT_PREPROCESS_CONFIG) &&
      Object.isFrozen(DEFAULT_PREPROCESS_CONFIG.imageMean),
  );
});

Deno.test("legacy CLIPFeatureExtractor config (openai/clip-vit-base-patch32) and the current form agree", () => {
  const legacy = {
    crop_size: 224,
    do_center_crop: true,
    do_normalize: true,
    do_resize: true,
    feature_extractor_type: "CLIPFeatureExtractor",
    image_mean: [...OPENAI_CLIP_MEAN],
    image_std: [...OPENAI_CLIP_STD],
    resample: 3,
    size: 224,
  };
  const current = {
    crop_size: { height: 224, width: 224 },
    do_convert_rgb: true,
    do_rescale: true,
    image_processor_type: "CLIPImageProcessor",
    rescale_factor: 0.00392156862745098,
    size: { shortest_edge: 224 },
  };
  deepStrictEqual(parsePreprocessConfig(legacy), DEFAULT_PREPROCESS_CONFIG);
  deepStrictEqual(parsePreprocessConfig(current), DEFAULT_PREPROCESS_CONFIG);
});

Deno.test("sizes: {height, width}, [h, w], scalar mean/std broadcast, flags off", () => {
  const c = parsePreprocessConfig({
    size: { height: 10, width: 20 },
    crop_size: [5, 6],
    image_mean: 0.5,
    image_std: [1, 2, 3],
    do_center_crop: false,
    do_convert_rgb: false,
    resample: 0,
  });
  deepStrictEqual(c.size, { height: 10, width: 20 });
  deepStrictEqual(c.cropSize, { height: 5, width: 6 });
  deepStrictEqual(c.imageMean, [0.5, 0.5, 0.5]);
  deepStrictEqual(c.imageStd, [1, 2, 3]);
  deepStrictEqual([c.doCenterCrop, c.doConvertRgb, c.resample], [false, false, 0]);
  deepStrictEqual(parsePreprocessConfig({ size: { shortest_edge: 336, longest_edge: 999 } }).size, {
    shortestEdge: 336,
  });
});

Deno.test("bad values throw model_config naming the field", () => {
  const bad: [unknown, string][] = [
    [null, "JSON object"],
    [[1], "JSON object"],
    [{ resample: 7 }, "resample"],
    [{ resample: "bicubic" }, "resample"],
    [{ resample: 2.5 }, "resample"],
    [{ size: -1 }, "size"],
    [{ size: 0 }, "size"],
    [{ size: 1e6 }, "size"],
    [{ size: { foo: 1 } }, "size"],
    [{ size: { height: 3 } }, "size"],
    [{ size: [1, 2, 3] }, "size"],
    [{ crop_size: "224" }, "crop_size"],
    [{ crop_size: { height: 224, width: 0 } }, "crop_size.width"],
    [{ image_mean: [1, 2] }, "image_mean"],
    [{ image_mean: [1, 2, NaN] }, "image_mean"],
    [{ image_std: [0, 1, 1] }, "image_std"],
    [{ image_std: 0 }, "image_std"],
    [{ do_resize: "yes" }, "do_resize"],
    [{ do_normalize: 1 }, "do_normalize"],
    [{ rescale_factor: 0 }, "rescale_factor"],
    [{ rescale_factor: "1/255" }, "rescale_factor"],
  ];
  for (const [json, field] of bad) {
    throws(
      () => parsePreprocessConfig(json),
      (e: unknown) =>
        e instanceof EdgeClipError && e.code === "model_config" && e.message.includes(field),
      JSON.stringify(json),
    );
  }
});
