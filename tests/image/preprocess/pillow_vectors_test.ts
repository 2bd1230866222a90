// Resize results recorded from Pillow 9.4.0 (Debian bookworm's python3-pil, the version behind the
// golden fixtures): every mode (L LA RGB RGBA CMYK I P), every resample code 0–5, down/up/one-axis
// and 1-pixel sizes. Inputs are regenerated here from the same integer formula the recorder used
// (`pixelByte`); only outputs are stored. Recorder: for each case,
// `Image.frombytes(mode, in, bytes).resize(out, resample).tobytes()` (int32 LE for `I`).

import { deepStrictEqual } from "node:assert/strict";
import { kernelResampler, resizeImage, type U8Resampler } from "../../../src/image/resize.ts";
import { type DecodedImage, type ImageMode, MODE_CHANNELS } from "../../../src/image/types.ts";
import { eachVariant } from "../../kernels/_backends.ts";

interface Vector {
  mode: ImageMode;
  in: [number, number];
  out: [number, number];
  resample: number;
  data: string;
}

const VECTORS: { pillow: string; cases: Vector[] } = JSON.parse(
  Deno.readTextFileSync(new URL("./pillow_resize_vectors.json", import.meta.url)),
);

function pixelByte(i: number, salt: number): number {
  let x = (Math.imul(i, 2654435761) + salt * 40503) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  return ((x ^ (x >>> 15)) >>> 0) & 255;
}

function input(mode: ImageMode, w: number, h: number): DecodedImage {
  if (mode === "I") {
    const d = new Int32Array(w * h);
    for (let i = 0; i < d.length; i++) {
      d[i] = (((pixelByte(i, 1) << 8) | pixelByte(i, 2)) * 71) % 71000 - 1000;
    }
    return { width: w, height: h, mode, data: d, format: "RAW" };
  }
  const c = MODE_CHANNELS[mode];
  const d = new Uint8Array(w * h * c);
  for (let i = 0; i < d.length; i++) d[i] = pixelByte(i, 7);
  if (mode === "LA" || mode === "RGBA") {
    for (let p = 0; p < w * h; p++) {
      if (p % 5 === 0) d[p * c + c - 1] = 0;
      else if (p % 7 === 0) d[p * c + c - 1] = 255;
    }
  }
  const palette = new Uint8Array(768).map((_, i) => pixelByte(i, 3));
  return {
    width: w,
    height: h,
    mode,
    data: d,
    format: "RAW",
    ...(mode === "P" ? { palette } : {}),
  };
}

function expected(v: Vector): Uint8Array | Int32Array {
  const raw = Uint8Array.from(atob(v.data), (ch) => ch.charCodeAt(0));
  return v.mode === "I" ? new Int32Array(raw.buffer) : raw;
}

function runAll(label: string, u8?: U8Resampler): void {
  for (const v of VECTORS.cases) {
    const got = resizeImage(input(v.mode, v.in[0], v.in[1]), v.out[0], v.out[1], v.resample, u8);
    const name = `${label} ${v.mode} ${v.in.join("x")}→${v.out.join("x")} resample=${v.resample}`;
    deepStrictEqual([got.width, got.height, got.mode], [v.out[0], v.out[1], v.mode], name);
    deepStrictEqual(Array.from(got.data), Array.from(expected(v)), name);
  }
}

Deno.test(`resizeImage (TS reference) reproduces Pillow ${VECTORS.pillow} on ${VECTORS.cases.length} cases`, () => {
  runAll("ref");
});

Deno.test("resizeImage on the wasm kernels reproduces Pillow on the same cases", () => {
  eachVariant((k, variant) => runAll(variant, kernelResampler(k)));
});
