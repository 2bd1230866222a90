// Code pages and the UTF-8 decoder used by fix_encoding.

import { strictEqual } from "node:assert/strict";
import {
  charmap,
  charmaps,
  decodeCharmap,
  decodeUtf8Variants,
  encodeCharmap,
  possibleEncoding,
} from "../../src/tokenizer/clean/codecs.ts";

const bin = (...b: number[]) => String.fromCharCode(...b);

Deno.test("codecs: code pages agree with the WHATWG decoders where both define a byte", () => {
  const pairs: [string, string][] = [
    ["sloppy-windows-1252", "windows-1252"],
    ["sloppy-windows-1251", "windows-1251"],
    ["sloppy-windows-1250", "windows-1250"],
    ["sloppy-windows-1253", "windows-1253"],
    ["sloppy-windows-1254", "windows-1254"],
    ["sloppy-windows-1257", "windows-1257"],
    ["iso-8859-2", "iso-8859-2"],
    ["macroman", "macintosh"],
  ];
  for (const [ours, whatwg] of pairs) {
    const dec = new TextDecoder(whatwg);
    const cm = charmap(ours);
    for (let b = 0x80; b < 0x100; b++) {
      const w = dec.decode(new Uint8Array([b]));
      if (w !== "\ufffd") strictEqual(String.fromCharCode(cm.decode[b]), w, `${ours} byte ${b}`);
    }
  }
  const cp437 = charmap("cp437");
  strictEqual(decodeCharmap(bin(0x80, 0xb3, 0xe1, 0xff), cp437), "Ç│ß\u00a0");
  strictEqual(charmaps().length, 10);
});

Deno.test("codecs: sloppy pages keep undefined bytes and use 0x1A for U+FFFD", () => {
  const cm = charmap("sloppy-windows-1252");
  strictEqual(decodeCharmap(bin(0x81, 0x8d, 0x80, 0x1a), cm), "\x81\x8d\u20ac\ufffd");
  strictEqual(possibleEncoding("\x1a", cm), false);
  strictEqual(possibleEncoding("\ufffd€", cm), true);
  strictEqual(encodeCharmap("\ufffd€a", cm), bin(0x1a, 0x80, 0x61));
  strictEqual(possibleEncoding("\x1a", charmap("latin-1")), true);
  strictEqual(possibleEncoding("Ā", charmap("latin-1")), false);
});

Deno.test("codecs: strict UTF-8 with CESU-8 and Java NUL", () => {
  strictEqual(decodeUtf8Variants(bin(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac)), "aé€");
  strictEqual(decodeUtf8Variants(bin(0xf0, 0x9f, 0x98, 0x80)), "😀");
  strictEqual(decodeUtf8Variants(bin(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80)), "😀"); // CESU-8
  strictEqual(decodeUtf8Variants(bin(0xc0, 0x80)), "\0");
  strictEqual(decodeUtf8Variants(bin(0xed, 0x9f, 0xbf)), "\ud7ff");
  for (
    const bad of [
      [0xc0, 0xaf], // overlong
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // lone surrogate
      [0xf4, 0x90, 0x80, 0x80], // > U+10FFFF
      [0xf5, 0x80, 0x80, 0x80],
      [0xc3], // truncated
      [0xe2, 0x82],
      [0x80],
      [0xc0],
    ]
  ) {
    strictEqual(decodeUtf8Variants(bin(...bad)), null, JSON.stringify(bad));
  }
});
