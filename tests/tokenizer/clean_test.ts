// Clean-up stages against values computed by the reference (fixtures/clean_expected.json, made
// by _gen/gen_clean_expected.py with ftfy 6.3.1 / CPython 3.11 / regex 2022.10.31), plus the
// ftfy docstring examples and each fixer on its own.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { isBad } from "../../src/tokenizer/clean/badness.ts";
import { pyStrip, whitespaceClean } from "../../src/tokenizer/clean/clean.ts";
import { fixEncoding } from "../../src/tokenizer/clean/fix_encoding.ts";
import {
  fixC1Controls,
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
} from "../../src/tokenizer/clean/fixes.ts";
import { fixText } from "../../src/tokenizer/clean/ftfy.ts";
import { ftfyUnescapeHtml, pyHtmlUnescape } from "../../src/tokenizer/clean/html.ts";
import { pyLower } from "../../src/tokenizer/lowercase.ts";

type Table = [string, unknown][];
const expected = JSON.parse(
  Deno.readTextFileSync(new URL("./fixtures/clean_expected.json", import.meta.url)),
) as Record<string, Table>;

function table(name: string, f: (s: string) => unknown) {
  Deno.test(`clean: ${name} matches the reference`, () => {
    const rows = expected[name];
    if (!rows?.length) throw new Error(`no ${name} rows in clean_expected.json`);
    for (const [input, want] of rows) strictEqual(f(input), want, JSON.stringify(input));
  });
}

table("fix_text", fixText);
table("unescape", pyHtmlUnescape);
table("ftfy_unescape", ftfyUnescapeHtml);
table("fix_encoding", fixEncoding);
table("is_bad", isBad);
table("whitespace", whitespaceClean);
table("lower", pyLower);

Deno.test("clean: terminal escapes", () => {
  strictEqual(removeTerminalEscapes("\x1b[36;44mI'm blue\x1b[0m"), "I'm blue");
  strictEqual(removeTerminalEscapes("\x1b[1;٣2mx"), "x"); // Python's \d takes any decimal digit
  strictEqual(removeTerminalEscapes("\x1b[ x"), "\x1b[ x");
});

Deno.test("clean: quotes, ligatures, widths, line breaks", () => {
  strictEqual(
    uncurlQuotes("\u201chere\u2019s a test\u201d \u02bc\u201b\u201f"),
    `"here's a test" ''"`,
  );
  strictEqual(fixLatinLigatures("ﬂuﬃeﬆ Ĳssel ǅ æ œ"), "fluffiest IJssel Dž æ œ");
  strictEqual(fixCharacterWidth("ＬＯＵＤ　ＮＯＩＳＥＳ"), "LOUD NOISES");
  strictEqual(fixCharacterWidth("Ｕﾀｰﾝ ￦"), "Uターン ₩");
  strictEqual(fixLineBreaks("a\r\nb\rc\u2028d\u2029e\x85f"), "a\nb\nc\nd\ne\nf");
});

Deno.test("clean: surrogates, control characters, C1", () => {
  strictEqual(fixSurrogates("a\ud83d\ude00b\ud83dc\ude00"), "a\ud83d\ude00b\ufffdc\ufffd");
  strictEqual(
    removeControlChars("a\x00\x08\t\n\x0b\x0c\r\x0e\x1f\x7f\u200d\u206a\ufeff\ufffc\ufffdz"),
    "a\t\n\x0c\r\u200d\ufffdz",
  );
  strictEqual(fixC1Controls("\x80\x81\x85\x9f"), "\u20ac\x81\u2026\u0178");
});

Deno.test("clean: strip and whitespace use Python's two notions of whitespace", () => {
  strictEqual(pyStrip("\x1c\x85 a \u3000"), "a"); // str.isspace
  strictEqual(whitespaceClean("a\x1cb"), "a\x1cb"); // regex \s has no \x1c
  strictEqual(whitespaceClean("a \u00a0\u2009\t b\ufeff"), "a b\ufeff");
});

Deno.test("clean: ftfy's HTML setting stays off after a line with '<'", () => {
  deepStrictEqual(fixText("&amp;\n<b>&amp;\n&amp;"), "&\n<b>&amp;\n&amp;");
});
