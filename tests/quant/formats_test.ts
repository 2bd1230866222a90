// Parity of the int8 format constants between assembly/formats.ts and src/quant/formats.ts
// (the TypeScript counterpart of ggml's static_assert on block sizes).

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  ACT_FORMATS,
  actBytes,
  packedBytes,
  packedShape,
  Q8_CONSTS,
} from "../../src/quant/formats.ts";
import { eachVariant } from "../kernels/_backends.ts";

Deno.test("q8 format constants agree between assembly/formats.ts and src/quant/formats.ts", () => {
  eachVariant((k, variant) => {
    const got = Q8_CONSTS.map((_, i) => k.x.q8_const(i) as number);
    deepStrictEqual(got, [...Q8_CONSTS], `variant ${variant}`);
    strictEqual(k.x.q8_const(Q8_CONSTS.length), -1, "q8_const has more constants than the table");
  });
});

Deno.test("q8 size helpers agree with the module", () => {
  eachVariant((k) => {
    for (const [n, kk] of [[1, 1], [8, 8], [9, 7], [768, 3072], [30, 50], [512, 2048]]) {
      strictEqual(k.x.q8_packed_bytes(n, kk), packedBytes(n, kk), `packed [${n}×${kk}]`);
      strictEqual(
        packedShape(n, kk).reduce((a, d) => a * d, 1),
        packedBytes(n, kk),
      );
      for (const fmt of Object.values(ACT_FORMATS)) {
        strictEqual(k.x.q8_act_bytes(n, kk, fmt.id), actBytes(n, kk, fmt), `act ${fmt.name}`);
      }
    }
  });
});
