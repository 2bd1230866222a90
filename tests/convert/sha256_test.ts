// The streaming SHA-256 of the converter equals WebCrypto's digest, however the input is split.

import { strictEqual } from "node:assert/strict";
import { Sha256 } from "../../src/convert/sha256.ts";
import { forAll } from "../_util/property.ts";

async function webcrypto(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("sha256: known vectors", () => {
  strictEqual(
    new Sha256().hex(),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  strictEqual(
    new Sha256().update(new TextEncoder().encode("abc")).hex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("sha256 equals WebCrypto at block edges and for any split", async () => {
  const cases: { n: number; cuts: number[] }[] = [];
  forAll("sha256 cases", 40, (r) => {
    const n = r.pick([0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 70000]);
    return {
      n,
      cuts: Array.from({ length: r.int(0, 4) }, () => r.int(0, n)).sort((a, b) => a - b),
    };
  }, (c) => void cases.push(c));
  for (const c of cases) {
    const data = new Uint8Array(c.n).map((_, i) => (i * 131 + c.n) & 255);
    const h = new Sha256();
    let at = 0;
    for (const cut of [...c.cuts, c.n]) {
      h.update(data.subarray(at, cut));
      at = cut;
    }
    strictEqual(h.hex(), await webcrypto(data), `n=${c.n} cuts=${c.cuts}`);
  }
});
