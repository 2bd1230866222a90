// assembly/jpeg_idct.ts against the TypeScript port of jidctint.c (src/image/jpeg/ref/
// idct_islow.ts): exact equality on random blocks shaped like real JPEG data (sparse, decaying,
// 8- and 16-bit quantisers), flat blocks, single coefficients and out-of-range outputs.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { idctBlocks } from "../../../src/wasm/jpeg.ts";
import { Kernels } from "../../../src/wasm/kernels.ts";
import { idctIslowRef, idctRangeLimit } from "../../../src/image/jpeg/ref/idct_islow.ts";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";

const k = Kernels.create();

/** Reference output of n blocks laid side by side (as idctBlocks lays them). */
function reference(coefs: Int16Array, q: Int32Array): Uint8Array {
  const n = coefs.length / 64, out = new Uint8Array(64 * n);
  for (let b = 0; b < n; b++) idctIslowRef(coefs, 64 * b, q, out, 8 * b, 8 * n);
  return out;
}

function randomQuant(rng: Prng): Int32Array {
  const q = new Int32Array(64);
  const wide = rng.next() < 0.2; // 16-bit DQT entries (cjpeg -quality 5 writes up to ~1000)
  for (let i = 0; i < 64; i++) q[i] = rng.int(1, wide ? 1200 : 255);
  return q;
}

/** Sparse blocks with magnitudes a real 8-bit encoder can produce: |coef·q| ≲ 2^11. */
function randomBlocks(rng: Prng, n: number, q: Int32Array): Int16Array {
  const c = new Int16Array(64 * n);
  for (let b = 0; b < n; b++) {
    const density = rng.next();
    for (let i = 0; i < 64; i++) {
      if (i > 0 && rng.next() > density) continue;
      const limit = Math.max(1, Math.floor(2048 / q[i] / (1 + (i >> 3) + (i & 7))));
      c[64 * b + i] = rng.int(-limit, limit);
    }
  }
  return c;
}

Deno.test("idct: random sparse blocks match jidctint.c exactly", () => {
  forAll(
    "idct",
    300,
    (rng) => {
      const q = randomQuant(rng);
      return { q, coefs: randomBlocks(rng, rng.int(1, 6), q) };
    },
    ({ q, coefs }) => deepStrictEqual(idctBlocks(k, coefs, q), reference(coefs, q)),
    ({ coefs }) => `${coefs.length / 64} blocks`,
  );
});

Deno.test("idct: sparse shapes (columns 4-7 zero, 4×4 corner, one row, one column)", () => {
  forAll(
    "idct-sparse",
    300,
    (rng) => {
      const q = randomQuant(rng), n = rng.int(1, 5);
      const coefs = randomBlocks(rng, n, q);
      const shape = rng.pick(["left", "corner", "row", "col"] as const);
      for (let i = 0; i < coefs.length; i++) {
        const r = (i & 63) >> 3, c = i & 7;
        const keep = shape === "left"
          ? c < 4
          : shape === "corner"
          ? c < 4 && r < 4
          : shape === "row"
          ? r === 0
          : c === 0;
        if (!keep) coefs[i] = 0;
      }
      return { q, coefs, shape };
    },
    ({ q, coefs }) => deepStrictEqual(idctBlocks(k, coefs, q), reference(coefs, q)),
    ({ coefs, shape }) => `${shape} ×${coefs.length / 64}`,
  );
});

Deno.test("idct: dense blocks with full-range coefficients (|coef·q| up to 2^15)", () => {
  forAll(
    "idct-dense",
    200,
    (rng) => {
      const q = new Int32Array(64).map(() => rng.int(1, 64));
      const coefs = new Int16Array(64 * 3).map((_, i) => {
        const lim = Math.floor(32767 / q[i & 63]);
        return rng.int(-lim, lim) >> rng.int(0, 8);
      });
      return { q, coefs };
    },
    ({ q, coefs }) => deepStrictEqual(idctBlocks(k, coefs, q), reference(coefs, q)),
  );
});

Deno.test("idct: flat (DC-only) blocks, including outputs far outside 0..255", () => {
  const q = new Int32Array(64).fill(1);
  for (let dc = -2048; dc <= 2048; dc += 7) {
    for (const q0 of [1, 3, 16, 99]) {
      q[0] = q0;
      const coefs = new Int16Array(64);
      coefs[0] = dc;
      deepStrictEqual(idctBlocks(k, coefs, q), reference(coefs, q), `dc=${dc} q0=${q0}`);
    }
  }
});

Deno.test("idct: each single coefficient alone, both signs", () => {
  const q = new Int32Array(64).map((_, i) => 1 + (i % 13));
  for (let i = 0; i < 64; i++) {
    for (const v of [-300, -17, -1, 1, 5, 120, 511]) {
      const coefs = new Int16Array(64);
      coefs[i] = v;
      deepStrictEqual(idctBlocks(k, coefs, q), reference(coefs, q), `coef ${i} = ${v}`);
    }
  }
});

Deno.test("idct: range limit is libjpeg's table (wraps past ±512)", () => {
  strictEqual(idctRangeLimit(-128), 0);
  strictEqual(idctRangeLimit(127), 255);
  strictEqual(idctRangeLimit(128), 255);
  strictEqual(idctRangeLimit(511), 255);
  strictEqual(idctRangeLimit(512), 0);
  strictEqual(idctRangeLimit(-129), 0);
  strictEqual(idctRangeLimit(-512), 0);
  strictEqual(idctRangeLimit(-513), 255); // ≡ 511 mod 1024
  strictEqual(idctRangeLimit(1024), 128); // ≡ 0
  // the kernel: a flat block whose value is 600 (DC 4800·1 ⇒ (4800·4 + 16) >> 5 = 600) is black
  const q = new Int32Array(64).fill(1), coefs = new Int16Array(64);
  coefs[0] = 4800;
  deepStrictEqual(idctBlocks(k, coefs, q), new Uint8Array(64));
});
