// crc32 (slicing-by-8) equals zlib's CRC-32 for any length and offset (remainders 0..7).

import { strictEqual } from "node:assert/strict";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "../../../src/image/png/crc32.ts";
import { forAll } from "../../_util/property.ts";

Deno.test("crc32 property: equals zlib's CRC-32 on random ranges", () => {
  forAll(
    "crc32",
    300,
    (r) => ({
      n: r.pick([0, 1, 7, 8, 9, 15, 16, r.int(0, 100), r.int(0, 5000)]),
      seed: r.int(0, 1e9),
    }),
    (c, r) => {
      const a = Uint8Array.from({ length: c.n }, () => r.int(0, 255));
      const s = r.int(0, c.n), e = r.int(s, c.n);
      strictEqual(crc32(a, s, e), zlibCrc32(a.subarray(s, e)) >>> 0);
    },
  );
  strictEqual(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});
