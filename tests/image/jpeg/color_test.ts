// assembly/jpeg_color.ts against src/image/jpeg/ref/color.ts (jdcolor.c's tables, Pillow's CMYK
// byte layout): random rows of every length around the 16-pixel SIMD step, and every one of the
// 2^24 (Y, Cb, Cr) triples.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type ColorKind, convertRow } from "../../../src/wasm/jpeg.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import {
  interleaveRef,
  ycckToPilCmykRef,
  yccTables,
  yccToRgbRef,
} from "../../../src/image/jpeg/ref/color.ts";
import { forAll } from "../../_util/property.ts";

const k = Kernels.create();

function reference(kind: ColorKind, rows: Uint8Array[]): Uint8Array {
  const n = rows[0].length;
  const out = new Uint8Array((kind === "ycc" || kind === "interleave3" ? 3 : 4) * n);
  if (kind === "ycc") yccToRgbRef(rows[0], rows[1], rows[2], n, out);
  else if (kind === "ycck") ycckToPilCmykRef(rows[0], rows[1], rows[2], rows[3], n, out);
  else interleaveRef(rows, n, kind === "interleave4inv", out);
  return out;
}

Deno.test("colour: random rows, lengths 1..70, every conversion", () => {
  forAll("colour", 400, (rng) => {
    const kind = rng.pick(["ycc", "ycck", "interleave3", "interleave4inv"] as const);
    const n = rng.int(1, 70), ch = kind === "ycc" || kind === "interleave3" ? 3 : 4;
    const rows = Array.from(
      { length: ch },
      () => Uint8Array.from({ length: n }, () => rng.pick([0, 255, rng.int(0, 255)])),
    );
    return { kind, rows };
  }, ({ kind, rows }) => {
    deepStrictEqual(convertRow(k, kind, rows), reference(kind, rows));
  }, ({ kind, rows }) => `${kind} n=${rows[0].length}`);
});

Deno.test("colour: YCbCr → RGB exact for all 2^24 inputs", () => {
  const n = 65536, y = new Uint8Array(n), cb = new Uint8Array(n), cr = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i & 255;
    cb[i] = i >> 8;
  }
  const want = new Uint8Array(3 * n);
  for (let v = 0; v < 256; v++) {
    cr.fill(v);
    yccToRgbRef(y, cb, cr, n, want);
    deepStrictEqual(convertRow(k, "ycc", [y, cb, cr]), want, `Cr=${v}`);
  }
});

Deno.test("colour: tables equal libjpeg's known entries", () => {
  const t = yccTables();
  // FIX(1.40200)=91881, FIX(1.77200)=116130, FIX(0.71414)=46802, FIX(0.34414)=22554
  strictEqual(t.crR[0], -179);
  strictEqual(t.crR[255], 178);
  strictEqual(t.cbB[0], -227);
  strictEqual(t.cbB[255], 225);
  strictEqual(t.crG[0], 46802 * 128);
  strictEqual(t.cbG[255], -22554 * 127 + 32768);
});
