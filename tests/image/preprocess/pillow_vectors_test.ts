// Resize results recorded from Pillow 9.4.0 (Debian bookworm's python3-pil, the version behind the
// golden fixtures): every mode (L LA RGB RGBA CMYK I P), every resample code 0–5, down/up/one-axis
// and 1-pixel sizes. Inputs are regenerated here from the same integer formula the recorder used
// (`pixelByte` in _inputs.ts); only outputs are stored. Recorder: for each case,
// `Image.frombytes(mode, in, bytes).resize(out, resample).tobytes()` (int32 LE for `I`).

import { deepStrictEqual } from "node:assert/strict";
import { kernelResampler, resizeImage, type U8Resampler } from "../../../src/image/resize.ts";
import type { ImageMode } from "../../../src/image/types.ts";
import { eachVariant } from "../../kernels/_backends.ts";
import { b64, testImage } from "./_inputs.ts";

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

function expected(v: Vector): Uint8Array | Int32Array {
  const raw = b64(v.data);
  return v.mode === "I" ? new Int32Array(raw.buffer) : raw;
}

function runAll(label: string, u8?: U8Resampler): void {
  for (const v of VECTORS.cases) {
    const got = resizeImage(
      testImage(v.mode, v.in[0], v.in[1]),
      v.out[0],
      v.out[1],
      v.resample,
      u8,
    );
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
