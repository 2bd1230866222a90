// JPEG decoder vs Pillow 9.4 on every JPEG of $CLIP_GOLDEN_DIR/images/index.json (held-back
// folders of the same schema run unchanged): our decode, converted to RGB as Pillow's
// convert("RGB") does, against `decoded_rgb`. Required: max |Δ| ≤ 1 (the decoder tolerance the
// golden README sets for a libjpeg-turbo-compatible decoder); max, mean and the share of
// differing values are printed per case. A JPEG entry the runner cannot check shows up by name
// as ignored.

import { ok, strictEqual } from "node:assert/strict";
import { goldenPath } from "../../_util/golden.ts";
import { type ImageIndexEntry, readJson } from "../../_util/files.ts";
import { toRGB } from "../../../src/image/convert.ts";
import { decodeJpeg } from "../../../src/image/jpeg/mod.ts";
import { DEFAULT_MAX_PIXELS } from "../../../src/image/types.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { gunzipFile, pixelDiff } from "./_util.ts";

type Entry = ImageIndexEntry;

/** Largest |Δ| allowed against Pillow's decode. */
const MAX_ABS_DIFF = 1;

const dir = goldenPath("images");
const index = dir ? goldenPath("images", "index.json") : null;
const entries = index
  ? readJson<{ images: Entry[] }>(index).images.filter((e) => e.format === "JPEG")
  : [];
const kernels = Kernels.create();

Deno.test({
  name: "jpeg golden: images/index.json lists JPEG cases",
  ignore: index === null,
  fn() {
    ok(entries.length > 0, `${index} has no JPEG entries`);
  },
});

for (const e of entries) {
  Deno.test({
    name: `jpeg golden ${e.id}${e.decoded_rgb ? "" : " (no decoded_rgb in the manifest)"}`,
    ignore: !e.decoded_rgb,
    async fn() {
      const img = decodeJpeg(
        Deno.readFileSync(`${dir}/${e.file}`),
        { maxPixels: DEFAULT_MAX_PIXELS },
        kernels,
      );
      strictEqual(img.mode, e.mode);
      strictEqual(img.width, e.width);
      strictEqual(img.height, e.height);
      if (e.exif_orientation !== undefined) strictEqual(img.exifOrientation, e.exif_orientation);
      const [h, w, c] = e.decoded_rgb!.shape;
      strictEqual(w * h * c, img.width * img.height * 3);
      const want = await gunzipFile(`${dir}/${e.decoded_rgb!.file}`);
      const d = pixelDiff(toRGB(img), want);
      console.log(
        `  ${e.id} (${e.mode} ${e.width}×${e.height}): max |Δ| ${d.max}, mean ${
          d.mean.toFixed(5)
        }, ` +
          `${(100 * d.fracDiffering).toFixed(3)}% differ`,
      );
      ok(d.max <= MAX_ABS_DIFF, `${e.id}: max |Δ| ${d.max} > ${MAX_ABS_DIFF}`);
    },
  });
}
