// decodePng unit tests: every format × interlace × filter type, Pillow's sample mapping on explicit
// values, palettes and tRNS, eXIf, limits, and the data run (CRCs, truncation, extra data).

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { EdgeClipError } from "../../../src/errors.ts";
import { concatBytes } from "../../../src/io/bytes.ts";
import { toRGB } from "../../../src/image/convert.ts";
import { decodePng } from "../../../src/image/png/mod.ts";
import { Prng } from "../../_util/prng.ts";
import {
  CHANNELS,
  encodePng,
  pillowModel,
  PNG_FORMATS,
  pngChunk,
  type PngSpec,
} from "./png_encoder.ts";

const isCode = (code: string) => (e: unknown) => e instanceof EdgeClipError && e.code === code;

function randomSpec(r: Prng, depth: number, type: number, w: number, h: number): PngSpec {
  const n = w * h * CHANNELS[type];
  const max = type === 3 ? Math.min(2 ** depth - 1, 255) : 2 ** depth - 1;
  return {
    width: w,
    height: h,
    bitDepth: depth,
    colorType: type,
    samples: Array.from({ length: n }, () => r.int(0, max)),
  };
}

function palette(n: number, r: Prng): Uint8Array {
  return Uint8Array.from({ length: 3 * n }, () => r.int(0, 255));
}

Deno.test("decodePng: every bit depth / colour type, plain and Adam7, each filter type on every row", () => {
  const r = new Prng(1);
  for (const [depth, type] of PNG_FORMATS) {
    for (const interlace of [false, true]) {
      for (let ft = 0; ft <= 4; ft++) {
        const spec = { ...randomSpec(r, depth, type, 13, 11), interlace, filter: () => ft };
        if (type === 3) spec.before = [["PLTE", palette(2 ** Math.min(depth, 8), r)]];
        const img = decodePng(encodePng(spec));
        const want = pillowModel(spec);
        const what = `${depth}-bit type ${type}${interlace ? " Adam7" : ""} filter ${ft}`;
        deepStrictEqual([img.width, img.height, img.mode], [13, 11, want.mode], what);
        deepStrictEqual(img.data, want.data, what);
        strictEqual(img.format, "PNG");
      }
    }
  }
});

Deno.test("decodePng: Pillow's sample mapping on explicit values", () => {
  const one = (
    depth: number,
    type: number,
    samples: number[],
    w = samples.length / CHANNELS[type],
  ) => decodePng(encodePng({ width: w, height: 1, bitDepth: depth, colorType: type, samples }));
  // 1-bit grey is mode 1 stored as 0/255; 2- and 4-bit grey are scaled to 0..255.
  deepStrictEqual(one(1, 0, [0, 1, 1, 0, 1]).data, Uint8Array.of(0, 255, 255, 0, 255));
  strictEqual(one(1, 0, [1]).mode, "1");
  deepStrictEqual(one(2, 0, [0, 1, 2, 3]).data, Uint8Array.of(0, 85, 170, 255));
  deepStrictEqual(one(4, 0, [0, 1, 7, 15]).data, Uint8Array.of(0, 17, 119, 255));
  // 16-bit grey keeps all 16 bits in mode I; 16-bit colour keeps the high byte.
  const i16 = one(16, 0, [0, 255, 256, 65535]);
  strictEqual(i16.mode, "I");
  deepStrictEqual(i16.data, Int32Array.of(0, 255, 256, 65535));
  deepStrictEqual(one(16, 2, [0x1234, 0xff00, 0x00ff]).data, Uint8Array.of(0x12, 0xff, 0x00));
  // 16-bit grey+alpha opens as RGBA.
  const la16 = one(16, 4, [0xab12, 0x7f01]);
  deepStrictEqual([la16.mode, la16.data], ["RGBA", Uint8Array.of(0xab, 0xab, 0xab, 0x7f)]);
  deepStrictEqual(one(8, 4, [9, 200]).mode, "LA");
});

Deno.test("decodePng: palette, tRNS alpha, short and missing PLTE", () => {
  const base = { width: 4, height: 1, bitDepth: 8, colorType: 3, samples: [0, 1, 2, 9] };
  const plte = Uint8Array.of(10, 20, 30, 40, 50, 60, 70, 80, 90);
  const img = decodePng(
    encodePng({ ...base, before: [["PLTE", plte], ["tRNS", Uint8Array.of(0, 128)]] }),
  );
  deepStrictEqual(img.palette, plte);
  deepStrictEqual(img.paletteAlpha, Uint8Array.of(0, 128, 255));
  // Index 9 is past the 3-entry palette: grey (9, 9, 9), as Pillow's palette starts as a ramp.
  deepStrictEqual(toRGB(img), Uint8Array.of(10, 20, 30, 40, 50, 60, 70, 80, 90, 9, 9, 9));
  const none = decodePng(encodePng(base));
  deepStrictEqual([none.mode, none.palette?.length, none.paletteAlpha], ["P", 0, undefined]);
  deepStrictEqual(toRGB(none), Uint8Array.of(0, 0, 0, 1, 1, 1, 2, 2, 2, 9, 9, 9));
  // tRNS on grey and RGB is kept by Pillow as info only; the pixels are unchanged.
  const grey = { width: 2, height: 1, bitDepth: 8, colorType: 0, samples: [5, 6] };
  deepStrictEqual(
    decodePng(encodePng({ ...grey, before: [["tRNS", Uint8Array.of(0, 5)]] })).data,
    Uint8Array.of(5, 6),
  );
  throws(
    () => decodePng(encodePng({ ...grey, before: [["tRNS", Uint8Array.of(5)]] })),
    isCode("image_decode"),
  );
});

function exif(orientation: number, le: boolean): Uint8Array {
  const b = new Uint8Array(26);
  const dv = new DataView(b.buffer);
  b.set(le ? [0x49, 0x49, 42, 0] : [0x4d, 0x4d, 0, 42]);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, 1, le);
  dv.setUint16(10, 0x0112, le);
  dv.setUint16(12, 3, le);
  dv.setUint32(14, 1, le);
  dv.setUint16(18, orientation, le);
  return b;
}

Deno.test("decodePng: EXIF orientation from eXIf before or after the image data", () => {
  const base = { width: 2, height: 2, bitDepth: 8, colorType: 0, samples: [1, 2, 3, 4] };
  strictEqual(decodePng(encodePng(base)).exifOrientation, undefined);
  strictEqual(
    decodePng(encodePng({ ...base, before: [["eXIf", exif(6, true)]] })).exifOrientation,
    6,
  );
  strictEqual(
    decodePng(encodePng({ ...base, after: [["eXIf", exif(8, false)]] })).exifOrientation,
    8,
  );
  // A damaged EXIF block costs the orientation, not the image.
  const bad = exif(6, true).subarray(0, 12);
  strictEqual(
    decodePng(encodePng({ ...base, before: [["eXIf", bad]] })).exifOrientation,
    undefined,
  );
});

Deno.test("decodePng: pixel limit is checked from IHDR, before inflating or allocating", () => {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, 100_000);
  dv.setUint32(4, 100_000);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const huge = concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array(deflateSync(new Uint8Array(10)))),
    pngChunk("IEND", new Uint8Array(0)),
  );
  throws(() => decodePng(huge), isCode("input_too_large"));
  const small = encodePng({
    width: 5,
    height: 4,
    bitDepth: 8,
    colorType: 0,
    samples: new Array(20).fill(1),
  });
  strictEqual(decodePng(small, { maxPixels: 20 }).width, 5);
  throws(() => decodePng(small, { maxPixels: 19 }), isCode("input_too_large"));
});

const concat = (...parts: Uint8Array[]) => concatBytes(parts);

/** A PNG whose IDAT holds `z` as is. */
function withIdat(w: number, h: number, z: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", z),
    pngChunk("IEND", new Uint8Array(0)),
  );
}

Deno.test("decodePng: inflating stops at the image size (data past it is never decoded)", () => {
  // The image needs 2 rows of (1 + 3) bytes. A stored block holds them, then comes a block that
  // would be an error: decoding must finish before reaching it.
  const rows = Uint8Array.of(0, 1, 2, 3, 0, 4, 5, 6);
  const stored = Uint8Array.of(0x78, 0x01, 0x00, 8, 0, 0xf7, 0xff, ...rows, 0xff, 0xff, 0xff);
  deepStrictEqual(decodePng(withIdat(3, 2, stored)).data, Uint8Array.of(1, 2, 3, 4, 5, 6));
  // A bomb: 64 MiB of zeros after the rows; only 8 bytes are ever produced.
  const bomb = new Uint8Array(deflateSync(concat(rows, new Uint8Array(64 << 20)), { level: 9 }));
  const t0 = performance.now();
  deepStrictEqual(decodePng(withIdat(3, 2, bomb)).data, Uint8Array.of(1, 2, 3, 4, 5, 6));
  ok(performance.now() - t0 < 2000, "decoding a bomb should not inflate it");
  // Too little data is an error (Pillow would leave the rows black).
  throws(() => decodePng(withIdat(3, 3, stored.subarray(0, 15))), isCode("image_decode"));
});

Deno.test("decodePng: CRCs, truncation and chunk structure", () => {
  const png = encodePng({
    width: 6,
    height: 5,
    bitDepth: 8,
    colorType: 2,
    samples: new Array(90).fill(7),
    split: [0.5],
  });
  const want = decodePng(png).data;
  const idat = findChunk(png, "IDAT");
  // A wrong CRC on the image data is corruption.
  const badCrc = png.slice();
  badCrc[idat.end] ^= 1;
  throws(() => decodePng(badCrc), isCode("image_decode"));
  // Cut inside IEND: the image is complete, so it decodes (as in Pillow).
  deepStrictEqual(decodePng(png.subarray(0, png.length - 6)).data, want);
  // Cut inside the last IDAT's CRC: its bytes are unchecked, so they are not used (Pillow would).
  throws(() => decodePng(png.subarray(0, png.length - 14)), isCode("image_decode"));
  // A corrupted length that runs past the end of the file is not a way around the CRC.
  const longLen = png.slice();
  longLen[idat.end + 4] = 0x7f;
  throws(() => decodePng(longLen), isCode("image_decode"));
  // Cut inside the data: an error naming the truncation.
  throws(
    () => decodePng(png.subarray(0, idat.start + 3)),
    (e: unknown) => isCode("image_decode")(e) && /truncated|ends/.test(String(e)),
  );
  throws(() => decodePng(png.subarray(0, 20)), isCode("image_decode"));
  throws(() => decodePng(Uint8Array.of(0x89, 0x50, 0x4e, 0x47)), isCode("image_decode"));
});

function findChunk(png: Uint8Array, type: string): { start: number; end: number } {
  for (let p = 8; p + 8 <= png.length;) {
    const len = new DataView(png.buffer, png.byteOffset).getUint32(p);
    if (String.fromCharCode(...png.subarray(p + 4, p + 8)) === type) {
      return { start: p + 8, end: p + 8 + len };
    }
    p += 12 + len;
  }
  throw new Error(`no ${type}`);
}
