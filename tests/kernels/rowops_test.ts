import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { forAll } from "../_util/property.ts";
import { assertClose } from "../_util/assert_close.ts";
import { im2colRef, layerNormRef, softmaxRef } from "../_ref/gemm.ts";
import { ACT_REF } from "../_ref/activation.ts";
import { eachVariant } from "./_backends.ts";
import { ACT, type ActName } from "../../src/wasm/abi.ts";

Deno.test("layer_norm_f32 equals the reference; rows have mean 0, variance 1 before affine", () => {
  eachVariant((kr, variant) => {
    forAll(`layer_norm_f32[${variant}]`, 40, (r) => ({
      rows: r.pick([1, 2, 5, 50]),
      cols: r.pick([1, 2, 3, 4, 5, 7, 64, 65, 768]),
      affine: r.next() < 0.7,
      shift: r.uniform(-5, 5),
    }), (c, r) => {
      kr.scratch(() => {
        const x = r.f32(c.rows * c.cols, () => r.normal() * 3 + c.shift);
        const g = c.affine ? r.f32(c.cols) : null, b = c.affine ? r.f32(c.cols) : null;
        const X = kr.matFrom(x, c.rows, c.cols), Y = kr.mat(c.rows, c.cols);
        kr.layerNorm(X, Y, g ? kr.vecFrom(g) : undefined, b ? kr.vecFrom(b) : undefined, 1e-5);
        assertClose(kr.read(Y), layerNormRef(x, c.rows, c.cols, g, b, 1e-5), 2e-5, 1e-5);
        if (!c.affine && c.cols > 1) {
          const y = kr.read(Y);
          for (let i = 0; i < c.rows; i++) {
            const row = y.subarray(i * c.cols, (i + 1) * c.cols);
            const mean = row.reduce((s, v) => s + v, 0) / c.cols;
            const v = row.reduce((s, x) => s + (x - mean) ** 2, 0) / c.cols;
            assertClose([mean, v], [0, 1], 1e-4, 1e-3);
          }
        }
      });
    });
  });
});

Deno.test("softmax_f32: equals reference, rows sum to 1, masked (f32 min) entries are exactly 0", () => {
  eachVariant((kr, variant) => {
    forAll(`softmax_f32[${variant}]`, 40, (r) => ({
      rows: r.pick([1, 3, 8]),
      cols: r.pick([1, 2, 3, 4, 5, 9, 77, 100]),
    }), (c, r) => {
      kr.scratch(() => {
        const x = r.f32(c.rows * c.cols, () => r.normal() * 4);
        if (c.cols > 1) x[c.cols - 1] = -3.4028234663852886e38;
        const X = kr.matFrom(x, c.rows, c.cols);
        kr.softmax(X);
        const y = kr.read(X);
        assertClose(y, softmaxRef(x, c.rows, c.cols), 1e-6, 1e-5);
        for (let i = 0; i < c.rows; i++) {
          const s = y.subarray(i * c.cols, (i + 1) * c.cols).reduce((a, b) => a + b, 0);
          assertClose([s], [1], 1e-6);
        }
        if (c.cols > 1) assertEquals(y[c.cols - 1], 0);
      });
    });
  });
});

// Bound: f32 rounding of the inputs plus the rational erf (abs error ≤ 3e-7 where 1 + erf cancels,
// so gelu's far negative tail is accurate in absolute, not relative, terms — as torch's f32 gelu).
Deno.test("act_f32: every activation within 1.5e-6 abs / 2e-6 rel of the double reference", () => {
  eachVariant((kr, variant) => {
    for (const name of Object.keys(ACT) as ActName[]) {
      kr.scratch(() => {
        const n = 4001;
        // dense sweep over [-12, 12] plus tails and zero
        const x = new Float32Array(n).map((_, i) => -12 + (24 * i) / (n - 1));
        x[0] = 0;
        x[1] = -100;
        x[2] = 100;
        x[3] = 1e-6;
        const X = kr.matFrom(x, 1, n), Y = kr.mat(1, n);
        kr.act(X, Y, name);
        const want = Array.from(x, ACT_REF[name]);
        assertClose(kr.read(Y), want, 1.5e-6, 2e-6, `${name}[${variant}]`);
      });
    }
  });
});

Deno.test("binary_f32 / affine_f32 with broadcast rows and strides", () => {
  eachVariant((kr, variant) => {
    forAll(`binary[${variant}]`, 30, (r) => ({
      rows: r.pick([1, 2, 5]),
      cols: r.pick([1, 3, 4, 7, 33]),
      bcast: r.next() < 0.5,
      alpha: r.pick([1, 0.5, -2]),
    }), (c, r) => {
      kr.scratch(() => {
        const a = r.f32(c.rows * c.cols), b = r.f32((c.bcast ? 1 : c.rows) * c.cols);
        const A = kr.matFrom(a, c.rows, c.cols);
        const B = kr.matFrom(b, c.bcast ? 1 : c.rows, c.cols);
        const O = kr.mat(c.rows, c.cols);
        const bi = (i: number) => b[c.bcast ? i % c.cols : i];
        kr.add(A, B, O, c.alpha);
        assertClose(kr.read(O), Array.from(a, (v, i) => v + c.alpha * bi(i)), 1e-6, 1e-6);
        kr.mul(A, B, O, c.alpha);
        assertClose(kr.read(O), Array.from(a, (v, i) => v * bi(i) * c.alpha), 1e-6, 1e-6);
        kr.affine(A, O, c.alpha, 0.25);
        assertClose(kr.read(O), Array.from(a, (v) => v * c.alpha + 0.25), 1e-6, 1e-6);
      });
    });
  });
});

Deno.test("im2col_f32 equals the reference", () => {
  eachVariant((kr) => {
    for (const [ch, h, w, p] of [[3, 8, 8, 4], [1, 5, 7, 2], [3, 224, 224, 32], [2, 3, 3, 1]]) {
      kr.scratch(() => {
        const img = new Float32Array(ch * h * w).map((_, i) => i * 0.01);
        const rows = Math.floor(h / p) * Math.floor(w / p);
        const out = kr.mat(rows, ch * p * p);
        kr.im2col(kr.vecFrom(img), ch, h, w, p, out);
        assertEquals(Array.from(kr.read(out)), Array.from(im2colRef(img, ch, h, w, p)));
      });
    }
  });
});

// exp4 clamps its input to [-87.34, 88.38] and builds 2^n from bits; the activations built on it
// must stay right at and past those edges, and a NaN must come out as NaN (not a clamped value).
Deno.test("act_f32 / softmax_f32 at exp's clamp edges and with NaN", () => {
  eachVariant((kr, variant) => {
    const edges = [-1e10, -89, -88.4, -87.4, -87.33, -87.3, -44, 44, 87.3, 88.3, 88.4, 89, 1e10];
    for (const name of Object.keys(ACT) as ActName[]) {
      kr.scratch(() => {
        const x = Float32Array.from([...edges, NaN, ...edges.map((e) => e / 64)]);
        const X = kr.matFrom(x, 1, x.length), Y = kr.mat(1, x.length);
        kr.act(X, Y, name);
        const got = kr.read(Y);
        assertClose(got, Array.from(x, ACT_REF[name]), 1.5e-6, 2e-6, `${name}[${variant}]`);
        assertEquals(Number.isNaN(got[edges.length]), true, `${name}(NaN)[${variant}]`);
      });
    }
    kr.scratch(() => {
      // a row whose spread crosses the clamp: e^(x - max) underflows to exactly 0 below -87.34
      const x = Float32Array.from([0, -87.3, -87.4, -88.4, -200, 1e-3, -3.4028234663852886e38]);
      const X = kr.matFrom(x, 1, x.length);
      kr.softmax(X);
      const y = kr.read(X);
      assertClose(y, softmaxRef(x, 1, x.length), 1e-7, 1e-5, `softmax[${variant}]`);
      assertEquals([y[3], y[4], y[6]], [0, 0, 0]);
    });
  });
});
