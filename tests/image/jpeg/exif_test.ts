// src/image/exif.ts: readExifOrientation against Pillow 9.4 on 200 generated TIFF/EXIF blocks
// (exif_cases.json: both byte orders, Pillow's odd headers, in-line and offset values, numeric
// and byte types, repeated tags, truncation), plus the JPEG APP1 path.

import { strictEqual } from "node:assert/strict";
import { readExifOrientation } from "../../../src/image/exif.ts";
import { decodeJpeg } from "../../../src/image/jpeg/mod.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { concat, headerSegments, readFixture } from "./_util.ts";

const cases: { hex: string; orientation: number | null }[] = JSON.parse(
  Deno.readTextFileSync(new URL("./exif_cases.json", import.meta.url)),
).cases;
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

Deno.test("exif: orientation as Pillow reads it, 200 generated blocks", () => {
  for (const c of cases) {
    strictEqual(readExifOrientation(fromHex(c.hex)) ?? null, c.orientation, c.hex);
  }
});

Deno.test("exif: every prefix of a valid block is safe", () => {
  const c = cases.find((x) => x.orientation === 6)!;
  const b = fromHex(c.hex);
  for (let n = 0; n <= b.length; n++) readExifOrientation(b.subarray(0, n));
});

Deno.test("exif: JPEG APP1 — the first Exif segment counts", () => {
  const k = Kernels.create();
  const b = readFixture("exif6_20x12.jpg");
  strictEqual(decodeJpeg(b, { maxPixels: 1e6 }, k).exifOrientation, 6);
  // a second APP1 Exif segment with orientation 3 is ignored, as Pillow keeps the first
  const app1 = headerSegments(b).find((s) => s.marker === 0xe1)!;
  const other = b.slice(app1.start, app1.end);
  const tiff = app1.start + 10; // FF E1, length, "Exif\0\0"
  const le = b[tiff] === 0x49;
  const pos = b.indexOf(0x12, tiff) - (le ? 0 : 1); // tag 0x0112
  other[pos - app1.start + 8 + (le ? 0 : 1)] = 3;
  const two = concat([b.subarray(0, app1.end), other, b.subarray(app1.end)]);
  strictEqual(readExifOrientation(other.subarray(4)), 3);
  strictEqual(decodeJpeg(two, { maxPixels: 1e6 }, k).exifOrientation, 6);
  strictEqual(
    decodeJpeg(readFixture("base422_40x24.jpg"), { maxPixels: 1e6 }, k).exifOrientation,
    undefined,
  );
});
