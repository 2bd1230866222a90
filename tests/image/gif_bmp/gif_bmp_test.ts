// GIF and BMP: randomized round trips through independent test encoders (LZW at every code size,
// interlace, sub-frames, transparency; every BMP depth, both row orders), pixel limits checked
// before allocation, and damaged files that only ever raise EdgeClipError.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { decodeBmp } from "../../../src/image/bmp.ts";
import { decodeGif } from "../../../src/image/gif.ts";
import type { DecodedImage } from "../../../src/image/types.ts";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";
import { type BmpSpec, encodeBmp, encodeGif, type GifSpec } from "./encoders.ts";

const isCode = (code: string) => (e: unknown) => e instanceof EdgeClipError && e.code === code;

function genGif(r: Prng): GifSpec {
  const minCodeSize = r.int(2, 8);
  const colours = 1 << minCodeSize;
  const w = r.int(1, 40), h = r.int(1, 30);
  const fx = r.int(0, 5), fy = r.int(0, 5);
  const fw = r.int(1, w), fh = r.int(1, h);
  // Runs (long LZW strings, KwKwK) or noise (table fills up, code size grows).
  const runs = r.next() < 0.5;
  const indices = new Uint8Array(fw * fh);
  for (let i = 0; i < indices.length; i++) {
    indices[i] = runs && i > 0 && r.next() < 0.8 ? indices[i - 1] : r.int(0, colours - 1);
  }
  const palette = r.next() < 0.85
    ? Uint8Array.from({ length: 3 * colours }, () => r.int(0, 255))
    : undefined;
  return {
    width: w,
    height: h,
    palette,
    frame: { x: fx, y: fy, w: fw, h: fh, indices, interlace: r.next() < 0.4 },
    minCodeSize,
    transparency: r.next() < 0.3 ? r.int(0, colours - 1) : undefined,
    blockSize: r.pick([255, 1, r.int(1, 254)]),
  };
}

/** Pillow's first frame: the screen grown to the frame, filled with the transparent index or 0. */
function gifModel(s: GifSpec): { width: number; height: number; data: Uint8Array } {
  const f = s.frame;
  const width = Math.max(s.width, f.x + f.w), height = Math.max(s.height, f.y + f.h);
  const data = new Uint8Array(width * height).fill(s.transparency ?? 0);
  for (let y = 0; y < f.h; y++) {
    data.set(f.indices.subarray(y * f.w, (y + 1) * f.w), (f.y + y) * width + f.x);
  }
  return { width, height, data };
}

Deno.test("decodeGif property: random frames decode to their indices exactly", () => {
  forAll(
    "gif roundtrip",
    200,
    genGif,
    (s) => {
      const img = decodeGif(encodeGif(s));
      const want = gifModel(s);
      deepStrictEqual([img.width, img.height, img.mode], [
        want.width,
        want.height,
        s.palette ? "P" : "L",
      ]);
      deepStrictEqual(img.data, want.data);
      if (s.palette) deepStrictEqual(img.palette, s.palette);
      if (s.palette && s.transparency !== undefined) {
        strictEqual(
          img.paletteAlpha![s.transparency],
          0,
        );
      }
    },
    (s) =>
      `${s.width}x${s.height} frame ${
        JSON.stringify({ ...s.frame, indices: s.frame.indices.length })
      } mcs ${s.minCodeSize}`,
  );
});

function genBmp(r: Prng): BmpSpec {
  const bits = r.pick([1, 4, 8, 24, 32] as const);
  const width = r.int(1, 33), height = r.int(1, 17);
  const per = bits >= 8 ? bits >> 3 : 1;
  const max = bits < 24 ? (1 << bits) - 1 : 255;
  // A palette with entry 0 = (1, 2, 3) is never Pillow's black/white or grey ramp.
  const palette = bits <= 8
    ? Uint8Array.from({ length: 3 << bits }, (_, i) => (i < 3 ? i + 1 : r.int(0, 255)))
    : undefined;
  return {
    width,
    height,
    bits,
    palette,
    samples: Uint8Array.from({ length: width * height * per }, () => r.int(0, max)),
    topDown: r.next() < 0.5,
  };
}

Deno.test("decodeBmp property: random bitmaps decode to their samples exactly", () => {
  forAll("bmp roundtrip", 150, genBmp, (s) => {
    const img = decodeBmp(encodeBmp(s));
    deepStrictEqual([img.width, img.height], [s.width, s.height]);
    if (s.bits <= 8) {
      deepStrictEqual([img.mode, img.data, img.palette], ["P", s.samples, s.palette]);
    } else {
      // 24-bit BGR and 32-bit BGRX both open as RGB (the fourth byte is ignored).
      const per = s.bits >> 3, n = s.width * s.height;
      const want = Uint8Array.from(
        { length: 3 * n },
        (_, i) => s.samples[Math.floor(i / 3) * per + 2 - (i % 3)],
      );
      deepStrictEqual([img.mode, img.data], ["RGB", want]);
    }
  }, (s) => `${s.width}x${s.height} ${s.bits}-bit${s.topDown ? " top-down" : ""}`);
});

Deno.test("GIF/BMP: the pixel limit is checked before allocation", () => {
  const gif = encodeGif({
    width: 60000,
    height: 60000,
    frame: { x: 0, y: 0, w: 1, h: 1, indices: Uint8Array.of(0) },
    minCodeSize: 2,
  });
  throws(() => decodeGif(gif), isCode("input_too_large"));
  // A frame that grows the screen counts too.
  const grown = encodeGif({
    width: 2,
    height: 2,
    frame: { x: 65000, y: 65000, w: 1, h: 1, indices: Uint8Array.of(0) },
    minCodeSize: 2,
  });
  throws(() => decodeGif(grown), isCode("input_too_large"));
  const small = encodeGif({
    width: 4,
    height: 5,
    frame: { x: 0, y: 0, w: 4, h: 5, indices: new Uint8Array(20) },
    minCodeSize: 2,
  });
  strictEqual(decodeGif(small, { maxPixels: 20 }).width, 4);
  throws(() => decodeGif(small, { maxPixels: 19 }), isCode("input_too_large"));
  const bmp = encodeBmp({ width: 3, height: 2, bits: 24, samples: new Uint8Array(18) });
  const huge = bmp.slice();
  huge.set([0x40, 0x9c, 0, 0, 0x40, 0x9c, 0, 0], 18); // 40000 × 40000
  throws(() => decodeBmp(huge), isCode("input_too_large"));
  throws(() => decodeBmp(bmp, { maxPixels: 5 }), isCode("input_too_large"));
});

/** Decoding damaged bytes may succeed (no checksums) but may only ever throw EdgeClipError. */
function checkDamaged(decode: (b: Uint8Array) => DecodedImage, bytes: Uint8Array, what: string) {
  try {
    const img = decode(bytes);
    ok(
      img.data.length ===
        img.width * img.height * (img.mode === "RGB" ? 3 : img.mode === "RGBA" ? 4 : 1),
      what,
    );
  } catch (e) {
    ok(isCode("image_decode")(e) || isCode("input_too_large")(e), `${what}: ${e}`);
  }
}

Deno.test("GIF/BMP property: truncated or corrupted files raise EdgeClipError or decode, never crash", () => {
  const cases: [string, (r: Prng) => Uint8Array, (b: Uint8Array) => DecodedImage][] = [
    ["gif", (r) => encodeGif(genGif(r)), (b) => decodeGif(b, { maxPixels: 1 << 20 })],
    ["bmp", (r) => encodeBmp(genBmp(r)), (b) => decodeBmp(b, { maxPixels: 1 << 20 })],
  ];
  for (const [name, make, decode] of cases) {
    forAll(`${name} damage`, 40, (r) => ({ seed: r.int(0, 1e9) }), (_c, r) => {
      const file = make(r);
      for (let k = 0; k < 40; k++) {
        if (k < 15) {
          checkDamaged(decode, file.subarray(0, r.int(0, file.length - 1)), `${name} cut`);
        } else {
          const bad = file.slice();
          for (let f = r.int(1, 4); f > 0; f--) bad[r.int(0, bad.length - 1)] ^= r.int(1, 255);
          checkDamaged(decode, bad, `${name} flip`);
        }
      }
    });
  }
});
