// Every fixture (fixtures/manifest.json) decodes to exactly the pixels Pillow 9.4 gives, in the
// same mode, through both the wasm pipeline and the all-TypeScript reference decoder.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { decodeJpeg } from "../../../src/image/jpeg/mod.ts";
import { decodeJpegRef } from "../../../src/image/jpeg/ref/decode_ref.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { fixtureCases, FIXTURES, gunzipFile, pixelDiff, readFixture, sha256Hex } from "./_util.ts";

const kernels = Kernels.create();
const limits = { maxPixels: 1 << 30 };

for (const c of fixtureCases()) {
  Deno.test(`jpeg fixture ${c.file} (${c.note})`, async () => {
    const bytes = readFixture(c.file);
    const img = decodeJpeg(bytes, limits, kernels);
    strictEqual(img.mode, c.mode);
    strictEqual(img.width, c.width);
    strictEqual(img.height, c.height);
    strictEqual(img.format, "JPEG");
    strictEqual(img.exifOrientation, c.exif_orientation ?? undefined);
    const data = img.data as Uint8Array;
    if (c.expected_sha256) {
      strictEqual(await sha256Hex(data), c.expected_sha256);
    } else {
      const want = await gunzipFile(`${FIXTURES}${c.expected}`);
      const d = pixelDiff(data, want);
      deepStrictEqual(d, { max: 0, mean: 0, fracDiffering: 0 }, JSON.stringify(d));
    }
    const ref = decodeJpegRef(bytes, limits);
    strictEqual(ref.mode, img.mode);
    deepStrictEqual(ref.data, img.data);
  });
}
