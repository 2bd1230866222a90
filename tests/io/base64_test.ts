// Base64 without the built-ins (as on Node 20) agrees with Uint8Array.fromBase64/toBase64 on
// random bytes, both alphabets, missing padding and whitespace, and refuses what they refuse.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { base64DecodePortable, base64EncodePortable } from "../../src/io/base64.ts";
import { Prng } from "../_util/prng.ts";

Deno.test("base64 portable: the built-ins' answers on random bytes and forms", () => {
  const rand = new Prng(13);
  for (const n of [0, 1, 2, 3, 4, 5, 31, 32, 33, 1000, 0x8001]) {
    const bytes = Uint8Array.from({ length: n }, () => rand.int(0, 255));
    const std = bytes.toBase64();
    strictEqual(base64EncodePortable(bytes), std);
    const url = bytes.toBase64({ alphabet: "base64url", omitPadding: true });
    for (const [text, alphabet] of [[std, "base64"], [url, "base64url"]] as const) {
      const spaced = text.replace(/(.{7})/g, "$1\n ");
      for (const t of [text, text.replace(/=+$/, ""), spaced]) {
        deepStrictEqual(base64DecodePortable(t, alphabet), bytes, `${n} ${alphabet}`);
      }
    }
  }
});

Deno.test("base64 portable: refuses what the built-in refuses", () => {
  for (
    const [text, alphabet] of [["ab-c", "base64"], ["ab+c", "base64url"], ["a", "base64"], [
      "ab$c",
      "base64",
    ], ["a=bc", "base64"]] as const
  ) {
    throws(
      () => Uint8Array.fromBase64(text, { alphabet, lastChunkHandling: "loose" }),
      SyntaxError,
    );
    throws(() => base64DecodePortable(text, alphabet), SyntaxError, text);
  }
});
