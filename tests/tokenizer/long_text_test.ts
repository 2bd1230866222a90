// Long texts: tokenize reads at most maxScanChars of a text, cut at a line end, and still gives
// exactly the row of the whole text (checked against encode(), which reads everything); a text
// whose row cannot be filled that way (a 10 MiB single word) is refused with input_too_long.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { ClipTokenizer, MAX_SCAN_CHARS } from "../../src/tokenizer/mod.ts";
import { pyStrip, whitespaceClean } from "../../src/tokenizer/clean/clean.ts";
import { goldenPath } from "../_util/golden.ts";
import { readJson } from "../_util/files.ts";
import { forAll } from "../_util/property.ts";
import { bpeFiles, clipTokenizer } from "./_load.ts";

const tok = clipTokenizer();
const tooLong = (e: unknown) => e instanceof EdgeClipError && e.code === "input_too_long";

/** The row OpenAI's clip.tokenize(truncate=True) gives, from the ids of the whole text. */
function referenceRow(ids: number[], L: number): number[] {
  const content = ids.length > L - 2 ? ids.slice(0, L - 2) : ids;
  return [tok.sotId, ...content, tok.eotId];
}

Deno.test("long text: a 10 MiB single word, spaces or newlines are refused, not scanned", () => {
  const MiB = 2 ** 20;
  for (
    const text of [
      "a".repeat(10 * MiB),
      "é".repeat(10 * MiB),
      " ".repeat(10 * MiB) + "cat",
      "\n".repeat(10 * MiB) + "cat",
      "Ã©".repeat(5 * MiB),
    ]
  ) {
    for (const truncate of [true, false]) {
      throws(() => tok.tokenize(text, { truncate }), (e: unknown) => {
        ok(tooLong(e), String(e));
        strictEqual((e as EdgeClipError).context.maxScanChars, MAX_SCAN_CHARS);
        return true;
      });
    }
  }
});

Deno.test("long text: many short lines are cut after the row is full, exactly", () => {
  const line = "a photo of a cat on the mat\n";
  const text = line.repeat(Math.ceil((4 * MAX_SCAN_CHARS) / line.length));
  const b = tok.encodeBatch([text]);
  deepStrictEqual(Array.from(b.ids[0]), referenceRow(tok.encode(line.repeat(20)), 77));
  strictEqual(b.truncated[0], true);
  throws(() => tok.tokenize(text, { truncate: false }), (e: unknown) => {
    ok(tooLong(e));
    strictEqual((e as EdgeClipError).context.minTokens, 78);
    return true;
  });
});

Deno.test("long text: regex's \\s is within str.isspace(), and no str.isspace() is case-ignorable", () => {
  // The prefix argument of ClipTokenizer#encodeLong rests on these two facts.
  const caseIgnorable = /\p{Case_Ignorable}/u;
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    const pySpace = pyStrip(`a${ch}b`) === `a${ch}b` && pyStrip(ch) === "";
    if (whitespaceClean(`a${ch}b`) === "a b") ok(pySpace, `U+${c.toString(16)}: \\s, not isspace`);
    if (pySpace) ok(!caseIgnorable.test(ch), `U+${c.toString(16)} is space and case-ignorable`);
  }
});

// Lines that stress each stage at a cut: mojibake, entities split by a newline, "<" turning
// ftfy's HTML unescaping off, final sigma, \x1c after a word, CRLF, U+2028, contractions and
// special tokens at line ends, combining marks.
const TRICKY = [
  "ΑΣ",
  "cat\x1c",
  "wow!",
  "dog\x1c\x1d",
  "&amp",
  ";x",
  "Ã©tÃ©",
  "<b>bold</b> &amp; more",
  "&EACUTE;t&eacute;",
  "it's",
  "'s",
  "<|endoftext|>",
  "<|startof",
  "text|>",
  "a\u0301",
  "\u0301b",
  "ﬁne ｗｉｄｅ “quotes”",
  "\ud83d\ude00\ud83d",
  "\ude00",
  "  spaced   out  ",
  "",
  "\t",
  "1234567",
  "Σ'",
];
const SEPARATORS = ["\n", "\r\n", " \n", "\x1c\n", "\n\n", "\u2028\n", "\u00a0\n"];

const casesPath = goldenPath("tokenizer", "cases.json");
const golden: string[] = casesPath
  ? readJson<{ cases: { text: string }[] }>(casesPath).cases.map((c) => c.text)
  : [];

Deno.test("long text: rows from a line-cut prefix equal the whole text's rows (random texts)", () => {
  const { vocab, merges } = bpeFiles()!;
  const material = [...TRICKY, ...golden];
  let exact = 0, refused = 0, longExact = 0;
  forAll(
    "line-cut prefix",
    60,
    (rng) => {
      const parts: string[] = [];
      const lines = rng.int(5, 60);
      for (let i = 0; i < lines; i++) {
        const words = Array.from(
          { length: rng.int(1, 3) },
          () => material[rng.int(0, material.length - 1)],
        );
        const end = rng.next() < 0.5 ? " " : ""; // a line may end right after a word
        parts.push(words.join(" ") + end + SEPARATORS[rng.int(0, SEPARATORS.length - 1)]);
      }
      return { text: parts.join(""), maxScan: rng.int(20, 600), L: rng.int(2, 40) };
    },
    ({ text, maxScan, L }) => {
      const small = ClipTokenizer.fromFiles(vocab, merges, { maxScanChars: maxScan });
      let b;
      try {
        b = small.encodeBatch([text], { contextLength: L });
      } catch (e) {
        ok(tooLong(e) && text.length > maxScan, String(e));
        refused++;
        return;
      }
      const ids = tok.encode(text);
      deepStrictEqual(Array.from(b.ids[0]), referenceRow(ids, L));
      strictEqual(b.truncated[0], ids.length > L - 2);
      exact++;
      if (text.length > maxScan) longExact++;
    },
    ({ text, maxScan, L }) => `maxScan=${maxScan} L=${L} text=${JSON.stringify(text)}`,
  );
  ok(
    longExact >= 15 && refused >= 3,
    `cut ${longExact} of ${exact}, refused ${refused}: the cases miss a branch`,
  );
});
