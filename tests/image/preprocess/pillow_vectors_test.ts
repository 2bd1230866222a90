// Resize results recorded from Pillow 9.4.0 (Debian bookworm's python3-pil, the version behind the
// golden fixtures): every mode (L LA RGB RGBA CMYK I P), every resample code 0–5, down/up/one-axis
// and 1-pixel sizes. Inputs are regenerated here from the same integer formula the recorder used
// (`pixelByte` in _inputs.ts); only outputs are stored. Recorder: for each case,
// `Image.frombytes(mode, in, bytes).resize(out, resample).tobytes()` (int32 LE for `I`).

import { deepStrictEqual } from "node:assert/strict";
import {
  kernelResampler,
  resample32,
  resizeImage,
  type U8Resampler,
} from "../../../src/image/resize.ts";
import { FILTERS, planResample } from "../../../src/image/resample_coeffs.ts";
import type { ImageMode } from "../../../src/image/types.ts";
import { eachVariant } from "../../kernels/_backends.ts";
import { b64, pixelByte, testImage } from "./_inputs.ts";

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

// Mode "F" (float32 grey), recorded the same way: Pillow's 32-bit float path (float64 sums,
// stored as float32). Inputs: ((pixelByte(i,1) << 8) | pixelByte(i,2)) / 7.3 − 4000 as float32.
const F32: {
  cases: { in: [number, number]; out: [number, number]; resample: number; data: string }[];
} = JSON
  .parse(Deno.readTextFileSync(new URL("./pillow_f32_vectors.json", import.meta.url)));

Deno.test(`resample32 reproduces Pillow's mode F resize on ${F32.cases.length} cases`, () => {
  for (const v of F32.cases) {
    const [w, h] = v.in;
    const src = new Float32Array(w * h);
    for (let i = 0; i < src.length; i++) {
      src[i] = ((pixelByte(i, 1) << 8) | pixelByte(i, 2)) / 7.3 - 4000;
    }
    const plan = planResample(w, h, v.out[0], v.out[1], FILTERS[v.resample]);
    const got = resample32(src.subarray(plan.rowFirst * w, plan.rowLast * w), w, plan);
    const want = new Float32Array(b64(v.data).buffer);
    deepStrictEqual(got, want, `F ${v.in.join("x")}→${v.out.join("x")} resample=${v.resample}`);
  }
});
