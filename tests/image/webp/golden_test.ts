// WebP decoder vs Pillow 9.4 on every WEBP entry of $CLIP_GOLDEN_DIR/images/index.json (held-back
// folders of the same schema run unchanged): our decode, converted to RGB as Pillow's
// convert("RGB") does (alpha dropped), must equal `decoded_rgb` exactly. A WEBP entry the runner
// cannot check shows up by name as ignored.

import { ok, strictEqual } from "node:assert/strict";
import { goldenPath } from "../../_util/golden.ts";
import { type ImageIndexEntry, readJson } from "../../_util/files.ts";
import { toRGB } from "../../../src/image/convert.ts";
import { decodeWebp } from "../../../src/image/webp/mod.ts";
import { DEFAULT_MAX_PIXELS } from "../../../src/image/types.ts";
import { countDiffs, gunzipFile } from "./_util.ts";

type Entry = ImageIndexEntry;

const dir = goldenPath("images");
const index = dir ? goldenPath("images", "index.json") : null;
const entries = index
  ? readJson<{ images: Entry[] }>(index).images.filter((e) => e.format === "WEBP")
  : [];

Deno.test({
  name: "webp golden: images/index.json lists WEBP cases",
  ignore: index === null,
  fn() {
    ok(entries.length > 0, `${index} has no WEBP entries`);
  },
});

for (const e of entries) {
  Deno.test({
    name: `webp golden ${e.id}${e.decoded_rgb ? "" : " (no decoded_rgb in the manifest)"}`,
    ignore: !e.decoded_rgb,
    async fn() {
      const img = decodeWebp(Deno.readFileSync(`${dir}/${e.file}`), {
        maxPixels: DEFAULT_MAX_PIXELS,
      });
      strictEqual(img.mode, e.mode);
      strictEqual(img.width, e.width);
      strictEqual(img.height, e.height);
      if (e.exif_orientation !== undefined) strictEqual(img.exifOrientation, e.exif_orientation);
      const [h, w, c] = e.decoded_rgb!.shape;
      strictEqual(w * h * c, img.width * img.height * 3);
      const want = await gunzipFile(`${dir}/${e.decoded_rgb!.file}`);
      const d = countDiffs(toRGB(img), want);
      strictEqual(d.n, 0, `${e.id}: ${d.n} values differ from Pillow, first at ${d.first}`);
    },
  });
}
