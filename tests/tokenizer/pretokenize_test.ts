// The split pattern: branch order, IGNORECASE oddities and the reference's Unicode 15 classes.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { splitPieces } from "../../src/tokenizer/pretokenize.ts";
import { pyLower } from "../../src/tokenizer/lowercase.ts";

Deno.test("pretokenize: branches in the pattern's order", () => {
  deepStrictEqual(splitPieces("a photo of a cat."), ["a", "photo", "of", "a", "cat", "."]);
  deepStrictEqual(splitPieces("'sup it's we're"), ["'s", "up", "it", "'s", "we", "'re"]);
  deepStrictEqual(splitPieces("''"), ["''"]);
  deepStrictEqual(splitPieces("1234 ½²"), ["1", "2", "3", "4", "½", "²"]);
  deepStrictEqual(splitPieces("<|startoftext|>hi<|endoftext|>"), [
    "<|startoftext|>",
    "hi",
    "<|endoftext|>",
  ]);
  // The punctuation run is greedy and swallows the start of a literal.
  deepStrictEqual(splitPieces("!!<|endoftext|>"), ["!!<|", "endoftext", "|>"]);
  deepStrictEqual(splitPieces("< |endoftext| >"), ["<", "|", "endoftext", "|", ">"]);
  deepStrictEqual(splitPieces("\t\n "), []);
});

Deno.test("pretokenize: IGNORECASE lets ſ stand for s in literals and contractions", () => {
  deepStrictEqual(splitPieces("<|ſtartoftext|>"), ["<|ſtartoftext|>"]);
  deepStrictEqual(splitPieces("it'ſ"), ["it", "'ſ"]);
  deepStrictEqual(splitPieces("'S 'LL"), ["'S", "'LL"]);
});

Deno.test("pretokenize: classes are the regex module's (Unicode 15), not the engine's", () => {
  // U+0345 matches no branch under IGNORECASE and is dropped like whitespace.
  deepStrictEqual(splitPieces("a\u0345b"), ["a", "b"]);
  // Kawi (Unicode 15) is a letter; Todhri (Unicode 16) is unassigned there: "other".
  deepStrictEqual(splitPieces("a\u{11F04}b"), ["a\u{11F04}b"]);
  deepStrictEqual(splitPieces("a\u{105C0}b"), ["a", "\u{105C0}", "b"]);
  // \x1c..\x1f, U+200B and U+FEFF are not whitespace for `regex`; U+2028 and U+00A0 are.
  deepStrictEqual(splitPieces("a\x1cb\u200bc\ufeff\u2028d\u00a0e"), [
    "a",
    "\x1c",
    "b",
    "\u200b",
    "c",
    "\ufeff",
    "d",
    "e",
  ]);
  deepStrictEqual(splitPieces("😀😀 x"), ["😀😀", "x"]);
});

Deno.test("lowercase: CPython 3.11's str.lower()", () => {
  strictEqual(pyLower("İ"), "i\u0307");
  strictEqual(pyLower("ΟΔΟΣ ΑΣ. Σ"), "οδος ας. σ");
  strictEqual(pyLower("\uA7CB"), "\uA7CB"); // Unicode 16 capital: Python 3.11 leaves it
  strictEqual(pyLower("ẞ Ω K ǅ"), "ß ω k ǆ");
  strictEqual(pyLower("ASCII only"), "ascii only");
});
