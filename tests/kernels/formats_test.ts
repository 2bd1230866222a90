// Parity of the int8 format table (src/wasm/formats.ts, the one copy on the TypeScript side) with
// assembly/formats.ts: the TypeScript counterpart of ggml's static_assert on block sizes.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  ACT_FORMATS,
  actBytes,
  packedBytes,
  packedShape,
  Q4_WEIGHTS,
  Q8_CONSTS,
  QA,
  WEIGHT_FORMATS,
} from "../../src/wasm/formats.ts";
import { eachVariant } from "./_backends.ts";
import { rawOf } from "./_raw.ts";

Deno.test("q8 format constants agree between assembly/formats.ts and src/wasm/formats.ts", () => {
  eachVariant((k, variant) => {
    const { x } = rawOf(k);
    const got = Q8_CONSTS.map((_, i) => x.q8_const(i) as number);
    deepStrictEqual(got, [...Q8_CONSTS], `variant ${variant}`);
    strictEqual(x.q8_const(Q8_CONSTS.length), -1, "q8_const has more constants than the table");
  });
});

Deno.test("q8 size helpers agree with the module", () => {
  eachVariant((k) => {
    const { x } = rawOf(k);
    for (const [n, kk] of [[1, 1], [8, 8], [9, 7], [768, 3072], [30, 50], [512, 2048]]) {
      strictEqual(x.q8_packed_bytes(n, kk), packedBytes(n, kk), `packed [${n}×${kk}]`);
      strictEqual(x.q4_packed_bytes(n, kk), packedBytes(n, kk, Q4_WEIGHTS), `q4 [${n}×${kk}]`);
      strictEqual(
        packedShape(n, kk).reduce((a, d) => a * d, 1),
        packedBytes(n, kk),
      );
      for (const fmt of Object.values(ACT_FORMATS)) {
        strictEqual(x.q8_act_bytes(n, kk, fmt.id), actBytes(n, kk, fmt), `act ${fmt.name}`);
      }
    }
  });
});

Deno.test("int8 handles are sized from the table as the module sizes them", () => {
  eachVariant((k) =>
    k.scratch(() => {
      const { x } = rawOf(k);
      for (const [n, kk] of [[1, 1], [13, 9], [768, 3072], [25, 8]]) {
        const p = k.packedQ8(n, kk);
        strictEqual(p.data.length, x.q8_packed_bytes(n, kk), `packed [${n}×${kk}]`);
        strictEqual(p.scales.length, Math.ceil(n / x.q8_const(1)) * x.q8_const(1));
        strictEqual(p.sums.length, p.scales.length);
      }
    })
  );
});

Deno.test("the format table: every weight format pairs with known activation formats", () => {
  for (const f of Object.values(WEIGHT_FORMATS)) {
    for (const a of f.acts) strictEqual(ACT_FORMATS[a].name, a, `${f.name} pairs with ${a}`);
    strictEqual(f.kstep % f.kg, 0, `${f.name}: K steps hold whole groups`);
  }
  deepStrictEqual(QA, { u8: ACT_FORMATS.u8.id, u7: ACT_FORMATS.u7.id, u12: ACT_FORMATS.u12.id });
});
