// assembly/jpeg_upsample.ts against src/image/jpeg/ref/upsample.ts (jdsample.c's arithmetic):
// random rows of every width around the SIMD step (8/16 samples) and the edge cases.

import { deepStrictEqual } from "node:assert/strict";
import { upsampleRow } from "../../../src/wasm/jpeg.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import {
  boxRowRef,
  h1v2FancyRef,
  h2v1FancyRef,
  h2v2FancyRef,
} from "../../../src/image/jpeg/ref/upsample.ts";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";

const k = Kernels.create();
const bytes = (rng: Prng, n: number) => {
  // mostly extreme values (0/255 edges stress the rounding) with some noise
  return Uint8Array.from({ length: n }, () => rng.pick([0, 255, rng.int(0, 255), rng.int(0, 255)]));
};

Deno.test("upsample h2v1 fancy: every width 3..80", () => {
  forAll("h2v1", 240, (rng) => bytes(rng, 3 + (rng.int(0, 1000) % 78)), (row) => {
    const want = new Uint8Array(2 * row.length);
    h2v1FancyRef(row, 0, row.length, want, 0);
    deepStrictEqual(upsampleRow(k, row, { kind: "h2v1" }), want);
  }, (r) => `dw=${r.length}`);
});

Deno.test("upsample h2v2 fancy: every width 3..80", () => {
  forAll("h2v2", 240, (rng) => {
    const dw = 3 + rng.int(0, 77);
    return { near: bytes(rng, dw), far: bytes(rng, dw) };
  }, ({ near, far }) => {
    const want = new Uint8Array(2 * near.length);
    h2v2FancyRef(near, 0, far, 0, near.length, want, 0);
    deepStrictEqual(upsampleRow(k, near, { kind: "h2v2", far }), want);
  }, ({ near }) => `dw=${near.length}`);
});

Deno.test("upsample h1v2 fancy: widths 1..80, both biases", () => {
  forAll("h1v2", 240, (rng) => {
    const dw = rng.int(1, 80);
    return { near: bytes(rng, dw), far: bytes(rng, dw), bias: rng.pick([1, 2] as const) };
  }, ({ near, far, bias }) => {
    const want = new Uint8Array(near.length);
    h1v2FancyRef(near, 0, far, 0, near.length, bias, want, 0);
    deepStrictEqual(upsampleRow(k, near, { kind: "h1v2", far, bias }), want);
  }, ({ near, bias }) => `dw=${near.length} bias=${bias}`);
});

Deno.test("upsample box: factors 1..4, any output width", () => {
  forAll("box", 300, (rng) => {
    const hExpand = rng.int(1, 4), outW = rng.int(1, 150);
    return { row: bytes(rng, Math.ceil(outW / hExpand)), hExpand, outW };
  }, ({ row, hExpand, outW }) => {
    const want = new Uint8Array(outW);
    boxRowRef(row, 0, outW, hExpand, want, 0);
    deepStrictEqual(upsampleRow(k, row, { kind: "box", outW, hExpand }), want);
  }, ({ hExpand, outW }) => `outW=${outW} h=${hExpand}`);
});
