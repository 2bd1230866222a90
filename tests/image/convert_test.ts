// toRGB: Pillow 9.4 convert("RGB") for every mode — vectors from Pillow, an exhaustive check of the
// CMYK integer formula, palette fallback, and argument checks.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { paletteLut, toRGB } from "../../src/image/convert.ts";
import type { DecodedImage, ImageMode } from "../../src/image/types.ts";
import { forAll } from "../_util/property.ts";

function img(
  mode: ImageMode,
  data: number[] | Uint8Array | Int32Array,
  extra: Partial<DecodedImage> = {},
): DecodedImage {
  const ch = { L: 1, "1": 1, P: 1, I: 1, LA: 2, RGB: 3, RGBA: 4, CMYK: 4 }[mode];
  const d = data instanceof Uint8Array || data instanceof Int32Array
    ? data
    : mode === "I"
    ? Int32Array.from(data)
    : Uint8Array.from(data);
  return { width: d.length / ch, height: 1, mode, data: d, format: "RAW", ...extra };
}

Deno.test("toRGB: CMYK and I match Pillow 9.4 vectors", () => {
  // Image.new("CMYK").putdata(px).convert("RGB") with Pillow 9.4.0.
  const cmyk = [
    [0, 0, 0, 0],
    [255, 255, 255, 255],
    [255, 0, 0, 0],
    [0, 255, 0, 128],
    [12, 200, 31, 77],
    [255, 255, 255, 0],
    [1, 2, 3, 254],
    [128, 128, 128, 128],
    [130, 183, 14, 238],
    [127, 26, 80, 57],
    [190, 240, 126, 194],
    [52, 127, 6, 110],
    [208, 143, 93, 199],
    [81, 36, 71, 227],
    [64, 67, 0, 2],
    [107, 110, 84, 85],
  ].flat();
  const want = [
    255,
    255,
    255,
    0,
    0,
    0,
    0,
    255,
    255,
    127,
    0,
    127,
    170,
    38,
    156,
    0,
    0,
    0,
    1,
    1,
    1,
    63,
    63,
    63,
    8,
    5,
    16,
    99,
    178,
    136,
    16,
    4,
    31,
    115,
    73,
    142,
    10,
    25,
    36,
    19,
    24,
    20,
    190,
    187,
    253,
    99,
    97,
    114,
  ];
  deepStrictEqual(toRGB(img("CMYK", cmyk)), Uint8Array.from(want));
  // Mode I clamps to 0..255.
  const i = [-70000, -1, 0, 1, 127, 254, 255, 256, 65535, 2 ** 31 - 1];
  deepStrictEqual(
    toRGB(img("I", i)),
    Uint8Array.from([0, 0, 0, 1, 127, 254, 255, 255, 255, 255].flatMap((v) => [v, v, v])),
  );
});

Deno.test("toRGB: CMYK formula is R = (255 − K) − round(C·(255 − K)/255), exhaustively", () => {
  const data = new Uint8Array(256 * 256 * 4);
  for (let c = 0; c < 256; c++) {
    for (let k = 0; k < 256; k++) data.set([c, 255 - c, c >> 1, k], (c * 256 + k) * 4);
  }
  const rgb = toRGB({ width: 256, height: 256, mode: "CMYK", data, format: "RAW" });
  for (let c = 0; c < 256; c++) {
    for (let k = 0; k < 256; k++) {
      const nk = 255 - k, o = (c * 256 + k) * 3;
      const want = [c, 255 - c, c >> 1].map((v) => nk - Math.round((v * nk) / 255));
      deepStrictEqual([rgb[o], rgb[o + 1], rgb[o + 2]], want, `C=${c} K=${k}`);
    }
  }
});

Deno.test("toRGB: L, 1, LA, RGBA, RGB", () => {
  deepStrictEqual(toRGB(img("L", [0, 9, 255])), Uint8Array.of(0, 0, 0, 9, 9, 9, 255, 255, 255));
  deepStrictEqual(
    toRGB(img("1", [0, 255, 1])),
    Uint8Array.of(0, 0, 0, 255, 255, 255, 255, 255, 255),
  );
  deepStrictEqual(toRGB(img("LA", [7, 0, 200, 255])), Uint8Array.of(7, 7, 7, 200, 200, 200));
  // Alpha is dropped, colour kept as stored (transparent pixels keep their colour).
  deepStrictEqual(toRGB(img("RGBA", [1, 2, 3, 0, 4, 5, 6, 255])), Uint8Array.of(1, 2, 3, 4, 5, 6));
  const rgb = img("RGB", [1, 2, 3]);
  strictEqual(toRGB(rgb), rgb.data, "RGB is passed through");
});

Deno.test("toRGB: P looks up the palette; indices past its end are grey (i, i, i); alpha ignored", () => {
  const palette = Uint8Array.of(10, 20, 30, 40, 50, 60);
  const p = img("P", [0, 1, 2, 255], { palette, paletteAlpha: Uint8Array.of(0, 0) });
  deepStrictEqual(toRGB(p), Uint8Array.of(10, 20, 30, 40, 50, 60, 2, 2, 2, 255, 255, 255));
  deepStrictEqual(toRGB(img("P", [3])), Uint8Array.of(3, 3, 3));
  const lut = paletteLut(palette);
  deepStrictEqual([lut.length, lut[6], lut[767]], [768, 2, 255]);
});

Deno.test("toRGB property: each mode agrees with a per-pixel restatement", () => {
  const modes: ImageMode[] = ["L", "1", "LA", "RGBA", "CMYK", "P", "I", "RGB"];
  forAll(
    "toRGB",
    60,
    (r) => ({ mode: r.pick(modes), w: r.int(1, 9), h: r.int(1, 5), pal: r.int(0, 256) }),
    (c, r) => {
      const ch = { L: 1, "1": 1, P: 1, I: 1, LA: 2, RGB: 3, RGBA: 4, CMYK: 4 }[c.mode];
      const n = c.w * c.h;
      const data = c.mode === "I"
        ? Int32Array.from({ length: n }, () => r.int(-300, 70000))
        : Uint8Array.from({ length: n * ch }, () => r.int(0, 255));
      const palette = Uint8Array.from({ length: 3 * c.pal }, () => r.int(0, 255));
      const got = toRGB({ width: c.w, height: c.h, mode: c.mode, data, format: "RAW", palette });
      for (let i = 0; i < n; i++) {
        const px = Array.from(data.subarray(i * ch, i * ch + ch));
        const v = px[0];
        const want = {
          L: [v, v, v],
          "1": v ? [255, 255, 255] : [0, 0, 0],
          LA: [v, v, v],
          RGB: px,
          RGBA: px.slice(0, 3),
          CMYK: px.slice(0, 3).map((x) => (255 - px[3]) - Math.round((x * (255 - px[3])) / 255)),
          P: v < c.pal ? Array.from(palette.subarray(3 * v, 3 * v + 3)) : [v, v, v],
          I: [1, 1, 1].map(() => Math.min(255, Math.max(0, v))),
        }[c.mode];
        deepStrictEqual(Array.from(got.subarray(3 * i, 3 * i + 3)), want, `pixel ${i}`);
      }
    },
  );
});

Deno.test("toRGB: a data length that does not fit the size is invalid_input", () => {
  throws(
    () => toRGB({ width: 2, height: 2, mode: "RGB", data: new Uint8Array(11), format: "RAW" }),
    (e: unknown) => e instanceof EdgeClipError && e.code === "invalid_input",
  );
});
