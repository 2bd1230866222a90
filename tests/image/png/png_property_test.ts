// Randomized PNG properties: random images in every format, size, interlace, filter sequence,
// zlib level and IDAT split decode to exactly Pillow's samples; truncated or corrupted files give
// an EdgeClipError or (when the damage misses everything the decoder uses) the same pixels, and
// never a crash or a hang.

import { deepStrictEqual, ok } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { decodePng } from "../../../src/image/png/mod.ts";
import type { DecodedImage } from "../../../src/image/types.ts";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";
import { CHANNELS, encodePng, pillowModel, PNG_FORMATS, type PngSpec } from "./png_encoder.ts";

function genSpec(r: Prng, maxW = 37, maxH = 29): PngSpec {
  const [bitDepth, colorType] = r.pick(PNG_FORMATS);
  const width = r.pick([1, 2, 3, 7, 8, 9, r.int(1, maxW)]),
    height = r.pick([1, 2, 5, r.int(1, maxH)]);
  const max = colorType === 3 ? Math.min(255, 2 ** bitDepth - 1) : 2 ** bitDepth - 1;
  // Smooth or noisy samples, so filters and matches both get exercised.
  const smooth = r.next() < 0.5;
  const n = width * height * CHANNELS[colorType];
  const samples = Array.from(
    { length: n },
    (_, i) => smooth ? Math.min(max, (i * 7) % (max + 1)) : r.int(0, max),
  );
  const filters = Array.from({ length: 4 * height + 16 }, () => r.int(0, 4));
  const split = r.next() < 0.3 ? [r.next() * 0.5, 0.5 + r.next() * 0.5] : undefined;
  const spec: PngSpec = {
    width,
    height,
    bitDepth,
    colorType,
    samples,
    interlace: r.next() < 0.4,
    filter: (k) => filters[k],
    level: r.int(0, 9),
    split,
  };
  if (colorType === 3) {
    spec.before = [["PLTE", Uint8Array.from({ length: 3 * r.int(1, 256) }, () => r.int(0, 255))]];
  }
  return spec;
}

const describe = (s: PngSpec) =>
  `${s.width}x${s.height} ${s.bitDepth}-bit type ${s.colorType}${
    s.interlace ? " Adam7" : ""
  } level ${s.level}`;

Deno.test("decodePng property: random images decode to Pillow's samples exactly", () => {
  forAll("png roundtrip", 250, (r) => genSpec(r), (spec) => {
    const img = decodePng(encodePng(spec));
    const want = pillowModel(spec);
    deepStrictEqual([img.width, img.height, img.mode], [spec.width, spec.height, want.mode]);
    deepStrictEqual(img.data, want.data);
  }, describe);
});

/** Decodes damaged bytes: an EdgeClipError is fine, so is a result equal to the original. */
function checkDamaged(bytes: Uint8Array, original: DecodedImage, what: string): void {
  let img: DecodedImage;
  try {
    img = decodePng(bytes);
  } catch (e) {
    ok(e instanceof EdgeClipError, `${what}: threw ${e}`);
    ok(e.code === "image_decode" || e.code === "input_too_large", `${what}: code ${e.code}`);
    return;
  }
  deepStrictEqual([img.width, img.height, img.mode], [
    original.width,
    original.height,
    original.mode,
  ], what);
  deepStrictEqual(img.data, original.data, `${what}: decoded to different pixels without an error`);
}

Deno.test("decodePng property: every truncation is an error or the same image", () => {
  forAll("png truncation", 40, (r) => genSpec(r, 12, 9), (spec, r) => {
    const png = encodePng(spec);
    const original = decodePng(png);
    for (let k = 0; k < 30; k++) {
      const cut = k < 8 ? k * 4 : r.int(0, png.length - 1);
      checkDamaged(png.subarray(0, cut), original, `cut at ${cut} of ${png.length}`);
    }
  }, describe);
});

Deno.test("decodePng property: byte flips give an error or the same image (CRCs catch the rest)", () => {
  forAll("png flips", 40, (r) => genSpec(r, 12, 9), (spec, r) => {
    const png = encodePng(spec);
    const original = decodePng(png);
    for (let k = 0; k < 40; k++) {
      const bad = png.slice();
      const flips = r.int(1, 3);
      for (let f = 0; f < flips; f++) bad[r.int(0, bad.length - 1)] ^= r.int(1, 255);
      checkDamaged(bad, original, `flip #${k}`);
    }
  }, describe);
});
