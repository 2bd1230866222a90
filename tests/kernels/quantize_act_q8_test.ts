// quantize_act_q8 (the 4-row block kernel) against the reference quantizeActQ8 + packActQ8 on the
// rows that stress it: K tails (k mod 4, k mod 8, k mod 16), partial last blocks (m = 1..9),
// zero, constant, one-signed, huge (hi − lo overflows), tiny (1/step overflows) rows, NaN and
// ±inf anywhere in a row, and a row stride with NaN past k (the kernel must not read there).

import { deepStrictEqual } from "node:assert/strict";
import { ACT_FORMATS } from "../../src/wasm/formats.ts";
import { packActQ8, quantizeActQ8 } from "../_ref/q8.ts";
import { forAll } from "../_util/property.ts";
import type { Prng } from "../_util/prng.ts";
import { eachVariant } from "./_backends.ts";
import { rawOf } from "./_raw.ts";

const FORMATS = Object.values(ACT_FORMATS);
const KS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 33, 63, 100, 767, 769];
const KINDS = [
  "normal",
  "zeros",
  "negZeros",
  "negative",
  "positive",
  "constant",
  "ties",
  "huge",
  "tiny",
  "subnormal",
  "nan",
  "posInf",
  "negInf",
  "bothInf",
] as const;
type Kind = typeof KINDS[number];

function row(r: Prng, n: number, kind: Kind): Float32Array {
  const s = 10 ** r.uniform(-3, 3);
  const x = r.f32(n, () => s * r.normal());
  const at = () => r.int(0, n - 1);
  switch (kind) {
    case "normal":
      return x;
    case "zeros":
      return new Float32Array(n);
    case "negZeros":
      return new Float32Array(n).fill(-0);
    case "negative":
      return x.map((v) => -Math.abs(v) - s);
    case "positive":
      return x.map((v) => Math.abs(v) + s);
    case "constant":
      return x.fill(r.pick([-1, 1]) * s);
    case "ties":
      return x.map(() => r.int(-8, 8) * 0.5);
    case "huge": // |x| near f32 max: hi − lo overflows to +inf
      return x.map(() => r.pick([-1, 1]) * 3e38 * r.uniform(0.5, 1));
    case "tiny": // range ≲ 1e-37: L/(hi − lo) overflows to +inf
      return x.map((v) => v * 1e-41);
    case "subnormal":
      return x.map(() => r.int(-3, 3) * 1.4e-45);
    case "nan":
      x[at()] = NaN;
      return x;
    case "posInf":
      x[at()] = Infinity;
      return x;
    case "negInf":
      x[at()] = -Infinity;
      return x;
    case "bothInf":
      x[at()] = Infinity;
      x[at()] = -Infinity;
      return x;
  }
}

Deno.test("quantize_act_q8 equals the reference on edge rows, K tails and partial blocks", () => {
  eachVariant((kr, variant) => {
    forAll(`act edge[${variant}]`, 300, (r) => ({
      m: r.int(1, 9),
      k: r.pick(KS),
      fmt: r.pick(FORMATS).name,
      pad: r.pick([0, 0, 1, 3, 5]),
      kinds: Array.from({ length: 9 }, () => r.next() < 0.4 ? "normal" : r.pick(KINDS)),
    }), (c, r) => {
      const fmt = ACT_FORMATS[c.fmt];
      const x = new Float32Array(c.m * c.k);
      for (let i = 0; i < c.m; i++) x.set(row(r, c.k, c.kinds[i]), i * c.k);
      const want = quantizeActQ8(x, c.m, c.k, fmt);
      const bytes = packActQ8(want, fmt);
      const mp = Math.ceil(c.m / 4) * 4;
      kr.scratch(() => {
        const raw = rawOf(kr);
        const ld = c.k + c.pad;
        const strided = new Float32Array(c.m * ld).fill(NaN); // NaN between rows: never read
        for (let i = 0; i < c.m; i++) strided.set(x.subarray(i * c.k, (i + 1) * c.k), i * ld);
        const src = raw.put(strided);
        const dst = raw.put(new Uint8Array(bytes.length).fill(0xa5)); // padding must be written
        const rows = raw.put(new Uint8Array(mp * 8).fill(0x5a));
        raw.x.quantize_act_q8(src, ld, c.m, c.k, fmt.id, dst, rows);
        deepStrictEqual(raw.u8(dst, bytes.length), bytes, "packed activations");
        const scales = new Float32Array(mp), zeros = new Int32Array(mp);
        scales.set(want.scales), zeros.set(want.zeros);
        deepStrictEqual(raw.f32(rows, mp), scales, "scales");
        deepStrictEqual(raw.i32(rows + mp * 4, mp), zeros, "zero points");
      });
    });
  });
});

Deno.test("quantize_act_q8 equals the reference on model-sized blocks", () => {
  eachVariant((kr, variant) => {
    forAll(`act wide[${variant}]`, 6, (r) => ({
      m: r.pick([4, 7, 50]),
      k: r.pick([512, 768, 2048, 3072]),
      fmt: r.pick(FORMATS).name,
    }), (c, r) => {
      const fmt = ACT_FORMATS[c.fmt];
      const x = new Float32Array(c.m * c.k);
      for (let i = 0; i < c.m; i++) x.set(row(r, c.k, "normal"), i * c.k);
      const want = quantizeActQ8(x, c.m, c.k, fmt);
      const bytes = packActQ8(want, fmt);
      const mp = Math.ceil(c.m / 4) * 4;
      kr.scratch(() => {
        const raw = rawOf(kr);
        const src = raw.put(x);
        const dst = raw.alloc(bytes.length);
        const rows = raw.alloc(mp * 8);
        raw.x.quantize_act_q8(src, c.k, c.m, c.k, fmt.id, dst, rows);
        deepStrictEqual(raw.u8(dst, bytes.length), bytes, "packed activations");
        deepStrictEqual(raw.f32(rows, c.m), want.scales, "scales");
        deepStrictEqual(raw.i32(rows + mp * 4, c.m), want.zeros, "zero points");
      });
    });
  });
});
