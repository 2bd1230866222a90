// int8 quantization: properties of the reference quantizers (tests/_ref/q8.ts) and bit-identity of
// the wasm kernels with them (weights packed, activations per row, token-table rows, gather).

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { ACT_FORMATS } from "../../src/wasm/formats.ts";
import {
  dequantizeRowQ8,
  packActQ8,
  quantizeActQ8,
  quantizeActRow,
  quantizeRowQ8,
  quantizeWeightsQ8,
  roundHalfEven,
  unpackQ8,
} from "../_ref/q8.ts";
import { rawOf } from "./_raw.ts";
import { forAll } from "../_util/property.ts";
import type { Prng } from "../_util/prng.ts";
import { eachVariant } from "./_backends.ts";

const FORMATS = Object.values(ACT_FORMATS);

/** Rows with the shapes quantizers meet: wide ranges, skew, outliers, exact halves, zeros. */
function randomRow(r: Prng, n: number): Float32Array {
  const kind = r.int(0, 5);
  const scale = 10 ** r.uniform(-4, 3);
  return r.f32(n, () => {
    switch (kind) {
      case 0:
        return scale * r.normal();
      case 1:
        return scale * (r.next() < 0.02 ? 30 * r.normal() : r.normal()); // outlier channels
      case 2:
        return scale * Math.abs(r.normal()) - 0.1 * scale; // skewed (post-gelu)
      case 3:
        return r.int(-8, 8) * 0.5; // many exact ties after scaling
      case 4:
        return r.next() < 0.3 ? 0 : scale * r.uniform();
      default:
        return -scale * Math.abs(r.normal()); // all non-positive
    }
  });
}

Deno.test("roundHalfEven rounds ties to even like f32x4.nearest", () => {
  const cases: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [-0.5, -0],
    [-1.5, -2],
    [-2.5, -2],
    [3.4999, 3],
    [-3.5001, -4],
    [126.5, 126],
    [127.5, 128],
  ];
  for (const [x, want] of cases) strictEqual(roundHalfEven(x), want, `round(${x})`);
});

Deno.test("quantizeRowQ8: |x − deq(q(x))| ≤ scale/2, odd symmetry, scale equivariance", () => {
  forAll("q8 row", 200, (r) => ({ n: r.int(1, 300), seed: r.int(0, 1e9) }), (c, r) => {
    const x = randomRow(r, c.n);
    const { q, scale } = quantizeRowQ8(x);
    const back = dequantizeRowQ8(q, scale);
    for (let i = 0; i < c.n; i++) {
      ok(Math.abs(x[i] - back[i]) <= scale / 2 * (1 + 1e-5) + 1e-30, `element ${i}`);
      ok(q[i] >= -127 && q[i] <= 127);
    }
    const neg = quantizeRowQ8(x.map((v) => -v));
    strictEqual(neg.scale, scale);
    for (let i = 0; i < c.n; i++) strictEqual(neg.q[i], -q[i] || 0, `odd symmetry at ${i}`);
    const two = quantizeRowQ8(x.map((v) => 2 * v)); // exact scaling by a power of two
    strictEqual(two.scale, 2 * scale);
    deepStrictEqual(two.q, q);
  });
});

Deno.test("quantizers: zero rows give scale 0 and zeros, never NaN", () => {
  const z = new Float32Array(13);
  const w = quantizeRowQ8(z);
  strictEqual(w.scale, 0);
  ok(w.q.every((v) => v === 0));
  for (const fmt of FORMATS) {
    const a = quantizeActRow(z, fmt);
    deepStrictEqual([a.scale, a.zero], [0, 0]);
    ok(a.q.every((v) => v === 0));
  }
  eachVariant((k) => {
    k.scratch(() => {
      const src = k.mat(5, 13);
      k.fill(src, 0);
      const p = k.packedQ8(5, 13);
      k.q8.quantizePack(src, p);
      ok(k.readBuf(p.scales).every((v) => v === 0));
      const back = k.mat(5, 13);
      k.q8.unpack(p, back);
      ok(k.read(back).every((v) => v === 0 && !Number.isNaN(v)));
    });
  });
});

Deno.test("quantizeActRow: asymmetric range covers [min(x,0), max(x,0)], 0 is exact", () => {
  forAll("act row", 200, (r) => ({ n: r.int(1, 300), fmt: r.pick(FORMATS) }), (c, r) => {
    const x = randomRow(r, c.n);
    const { q, scale, zero } = quantizeActRow(x, c.fmt);
    ok(zero >= 0 && zero <= c.fmt.qmax);
    for (let i = 0; i < c.n; i++) {
      ok(q[i] <= c.fmt.qmax);
      const back = scale * (q[i] - zero);
      // half a step, plus f32 rounding of scale vs 1/inv magnified over up to qmax steps
      const bound = scale * (0.5 + c.fmt.qmax * 2.4e-7) + 1e-30;
      ok(Math.abs(back - x[i]) <= bound, `element ${i}: ${x[i]} vs ${back}`);
      // === : the reference's zero point may be -0 (clamp of a rounded -0), the same integer
      if (x[i] === 0) ok(q[i] === zero, `element ${i}: 0 → ${q[i]}, zero point ${zero}`);
    }
  });
});

Deno.test("quantize_pack_q8 equals the reference packing bit for bit (both builds)", () => {
  eachVariant((k, variant) => {
    forAll(`pack[${variant}]`, 60, (r) => ({
      n: r.pick([1, 2, 7, 8, 9, 11, 12, 13, 15, 16, 17, 24, 25, 30, 64]),
      k: r.pick([1, 3, 4, 5, 7, 8, 9, 16, 31, 50, 64, 70, 100]),
      pad: r.int(0, 3),
    }), (c, r) => {
      const rows: Float32Array[] = Array.from({ length: c.n }, () => randomRow(r, c.k));
      if (c.n > 2) rows[1].fill(0); // a zero channel
      const w = new Float32Array(c.n * c.k);
      rows.forEach((row, i) => w.set(row, i * c.k));
      const want = quantizeWeightsQ8(w, c.n, c.k);
      k.scratch(() => {
        const src = k.view(k.mat(c.n, c.k + c.pad), 0, c.n, 0, c.k);
        for (let i = 0; i < c.n; i++) k.write(k.view(src, i, 1), rows[i]);
        const p = k.packedQ8(c.n, c.k);
        k.q8.quantizePack(src, p);
        deepStrictEqual(k.readBuf(p.data), want.packed, "packed bytes");
        deepStrictEqual(k.readBuf(p.scales), want.scales, "scales");
        deepStrictEqual(k.readBuf(p.sums), want.sums, "sums");
        // dequantized read-back = q·scale
        const back = k.mat(c.n, c.k);
        k.q8.unpack(p, back);
        const q = unpackQ8(want);
        const deq = new Float32Array(c.n * c.k);
        for (let i = 0; i < c.n; i++) {
          deq.set(dequantizeRowQ8(q.subarray(i * c.k, (i + 1) * c.k), want.scales[i]), i * c.k);
        }
        deepStrictEqual(k.read(back), deq, "unpack");
      });
    });
  });
});

Deno.test("quantize_act_q8 equals the reference per-row quantization bit for bit", () => {
  eachVariant((k, variant) => {
    forAll(`act[${variant}]`, 80, (r) => ({
      m: r.pick([1, 2, 3, 4, 5, 7, 8, 9, 13]),
      k: r.pick([1, 2, 3, 4, 5, 8, 9, 31, 64, 70, 97]),
      fmt: r.pick(FORMATS),
      pad: r.int(0, 3),
    }), (c, r) => {
      const x = new Float32Array(c.m * c.k);
      for (let i = 0; i < c.m; i++) x.set(randomRow(r, c.k), i * c.k);
      const want = quantizeActQ8(x, c.m, c.k, c.fmt);
      const bytes = packActQ8(want, c.fmt);
      k.scratch(() => {
        const A = k.view(k.mat(c.m, c.k + c.pad), 0, c.m, 0, c.k);
        k.write(A, x);
        const mp = Math.ceil(c.m / 4) * 4;
        const raw = rawOf(k);
        const dst = raw.alloc(bytes.length);
        const rows = raw.alloc(mp * 8);
        raw.x.quantize_act_q8(A.ptr, A.ld, c.m, c.k, c.fmt.id, dst, rows);
        deepStrictEqual(raw.u8(dst, bytes.length), bytes, "packed activations");
        deepStrictEqual(raw.f32(rows, c.m), want.scales, "scales");
        deepStrictEqual(raw.i32(rows + mp * 4, c.m), want.zeros, "zero points");
      });
    });
  });
});

Deno.test("quantize_rows_q8 and gather_q8 match the reference rows", () => {
  eachVariant((k, variant) => {
    forAll(`rows[${variant}]`, 40, (r) => ({ rows: r.int(1, 9), cols: r.int(1, 70) }), (c, r) => {
      const x = new Float32Array(c.rows * c.cols);
      for (let i = 0; i < c.rows; i++) x.set(randomRow(r, c.cols), i * c.cols);
      k.scratch(() => {
        const src = k.matFrom(x, c.rows, c.cols);
        const q = k.buf("i8", c.rows * c.cols);
        const s = k.vec(c.rows);
        k.q8.quantizeRows(src, q, s);
        const ids = Array.from({ length: 11 }, () => r.int(0, c.rows - 1));
        const out = k.mat(ids.length, c.cols);
        k.q8.gather(q, s, ids, out);
        const got = k.read(out);
        for (let i = 0; i < c.rows; i++) {
          const want = quantizeRowQ8(x.subarray(i * c.cols, (i + 1) * c.cols));
          deepStrictEqual(k.readBuf(k.slice(q, i * c.cols, c.cols)), want.q, `row ${i}`);
          strictEqual(k.readBuf(s)[i], want.scale);
        }
        ids.forEach((id, i) => {
          const want = quantizeRowQ8(x.subarray(id * c.cols, (id + 1) * c.cols));
          deepStrictEqual(
            got.subarray(i * c.cols, (i + 1) * c.cols),
            dequantizeRowQ8(want.q, want.scale),
            `gathered ${i}`,
          );
        });
      });
    });
  });
});
