// EXIF transpose (against Pillow's Image.transpose results), crop offsets and zero padding.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { exifTranspose } from "../../../src/image/orient.ts";
import { cropImage, cropOffset } from "../../../src/image/crop.ts";
import type { DecodedImage } from "../../../src/image/types.ts";

// Pillow 9.4 `ImageOps.exif_transpose` methods on a 4×3 "L" image holding 0..11 row-major:
// [size, bytes] recorded from `im.transpose(method)`.
const PILLOW_TRANSPOSED: Record<number, [[number, number], number[]]> = {
  2: [[4, 3], [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8]],
  3: [[4, 3], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
  4: [[4, 3], [8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]],
  5: [[3, 4], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]],
  6: [[3, 4], [8, 4, 0, 9, 5, 1, 10, 6, 2, 11, 7, 3]],
  7: [[3, 4], [11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0]],
  8: [[3, 4], [3, 7, 11, 2, 6, 10, 1, 5, 9, 0, 4, 8]],
};

const grey: DecodedImage = {
  width: 4,
  height: 3,
  mode: "L",
  data: Uint8Array.from({ length: 12 }, (_, i) => i),
  format: "RAW",
};

Deno.test("exifTranspose reproduces Pillow's exif_transpose for orientations 2–8", () => {
  for (let o = 2; o <= 8; o++) {
    const t = exifTranspose(grey, o);
    deepStrictEqual(
      [[t.width, t.height], Array.from(t.data)],
      PILLOW_TRANSPOSED[o],
      `orientation ${o}`,
    );
    strictEqual(t.exifOrientation, 1);
  }
});

Deno.test("exifTranspose moves whole pixels (RGB, int32) and ignores 1, absent or corrupt tags", () => {
  for (let o = 2; o <= 8; o++) {
    const rgb: DecodedImage = {
      ...grey,
      mode: "RGB",
      data: Uint8Array.from({ length: 36 }, (_, i) => i),
    };
    const t = exifTranspose(rgb, o);
    const [, order] = PILLOW_TRANSPOSED[o];
    deepStrictEqual(Array.from(t.data), order.flatMap((p) => [3 * p, 3 * p + 1, 3 * p + 2]));
    const i32: DecodedImage = {
      ...grey,
      mode: "I",
      data: Int32Array.from({ length: 12 }, (_, i) => i - 70000),
    };
    deepStrictEqual(Array.from(exifTranspose(i32, o).data), order.map((p) => p - 70000));
  }
  for (const o of [1, 0, 9, -3, 2.5, NaN]) strictEqual(exifTranspose(grey, o), grey);
  strictEqual(exifTranspose(grey), grey);
  strictEqual(exifTranspose({ ...grey, exifOrientation: 3 }).data[0], 11);
});

Deno.test("cropOffset: Python round-half-even (OpenAI) vs floor (HF); padding floor vs ceil", () => {
  // size − crop = 0..7 → torchvision int(round(d/2)), HF d // 2
  deepStrictEqual([0, 1, 2, 3, 4, 5, 6, 7].map((d) => cropOffset(224 + d, 224, "openai")), [
    0,
    0,
    1,
    2,
    2,
    2,
    3,
    4,
  ]);
  deepStrictEqual([0, 1, 2, 3, 4, 5, 6, 7].map((d) => cropOffset(224 + d, 224, "hf")), [
    0,
    0,
    1,
    1,
    2,
    2,
    3,
    3,
  ]);
  // crop − size = 1..4 → torchvision pads floor(d/2) before, HF ceil(d/2)
  deepStrictEqual([1, 2, 3, 4].map((d) => cropOffset(224 - d, 224, "openai")), [0, -1, -1, -2]);
  deepStrictEqual([1, 2, 3, 4].map((d) => cropOffset(224 - d, 224, "hf")), [-1, -1, -2, -2]);
});

Deno.test("cropImage fills outside the image with zeros and keeps mode and palette", () => {
  const palette = new Uint8Array([9, 9, 9]);
  const p: DecodedImage = { ...grey, mode: "P", palette };
  const c = cropImage(p, -1, 1, 6, 3);
  deepStrictEqual([c.width, c.height, c.mode, c.palette], [6, 3, "P", palette]);
  deepStrictEqual(Array.from(c.data), [0, 4, 5, 6, 7, 0, 0, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0]);
  deepStrictEqual(Array.from(cropImage(grey, 5, 0, 2, 1).data), [0, 0]); // entirely outside
  strictEqual(cropImage(grey, 0, 0, 4, 3), grey);
});
