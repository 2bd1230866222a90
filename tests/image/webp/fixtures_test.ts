// Every fixture (fixtures/manifest.json) decodes to exactly the pixels Pillow 9.4 gives, in the
// same mode and size, with the same EXIF orientation; the damaged ones Pillow refuses are refused.

import { strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { decodeWebp } from "../../../src/image/webp/mod.ts";
import { countDiffs, fixtureCases, FIXTURES, gunzipFile, readFixture } from "./_util.ts";

const limits = { maxPixels: 1 << 30 };

for (const c of fixtureCases()) {
  Deno.test(`webp fixture ${c.file} (${c.note})`, async () => {
    if (c.error) {
      throws(
        () => decodeWebp(readFixture(c.file), limits),
        (e) => e instanceof EdgeClipError && e.code === "image_decode",
        `Pillow refuses it (${c.error})`,
      );
      return;
    }
    const img = decodeWebp(readFixture(c.file), limits);
    strictEqual(img.mode, c.mode);
    strictEqual(img.width, c.width);
    strictEqual(img.height, c.height);
    strictEqual(img.format, "WEBP");
    strictEqual(img.exifOrientation, c.exif_orientation ?? undefined);
    const want = await gunzipFile(`${FIXTURES}${c.expected}`);
    const d = countDiffs(img.data, want);
    strictEqual(d.n, 0, `${d.n} values differ, first at ${d.first}`);
  });
}
