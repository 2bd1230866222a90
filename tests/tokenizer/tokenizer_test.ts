// ClipTokenizer API: tokenize/encodeBatch layout, truncation, validation, and properties
// (decode∘encode, the cache never changes results, random input never throws).

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { BYTE_SYMBOLS } from "../../src/tokenizer/bytes.ts";
import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { WordCache } from "../../src/tokenizer/word_cache.ts";
import type { Prng } from "../_util/prng.ts";
import { forAll } from "../_util/property.ts";
import { bpeFiles, clipTokenizer } from "./_load.ts";

const tok = clipTokenizer();
const SOT = 49406, EOT = 49407;
const code = (c: string) => (e: unknown) => e instanceof EdgeClipError && e.code === c;

Deno.test("tokenize: rows, padding 0 and the attention mask", () => {
  const { inputIds, attentionMask } = tok.tokenize(["a photo of a cat.", ""], {
    contextLength: 10,
  });
  deepStrictEqual(inputIds.shape, [2, 10]);
  deepStrictEqual(Array.from(inputIds.data.subarray(0, 10)), [
    SOT,
    320,
    1125,
    539,
    320,
    2368,
    269,
    EOT,
    0,
    0,
  ]);
  deepStrictEqual(Array.from(inputIds.data.subarray(10)), [SOT, EOT, 0, 0, 0, 0, 0, 0, 0, 0]);
  deepStrictEqual(Array.from(attentionMask.data), [
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  deepStrictEqual(tok.tokenize([]).inputIds.shape, [0, 77]);
});

Deno.test("tokenize: truncation keeps SOT + 75 ids + EOT; exactly 75 ids fit", () => {
  const long = "cat ".repeat(100);
  const ids = tok.encode(long);
  const b = tok.encodeBatch([long, "cat ".repeat(75), "cat ".repeat(76)]);
  deepStrictEqual(Array.from(b.ids[0]), [SOT, ...ids.slice(0, 75), EOT]);
  deepStrictEqual(Array.from(b.lengths), [77, 77, 77]);
  deepStrictEqual(b.truncated, [true, false, true]);
  deepStrictEqual(Array.from(b.poolIndex), [76, 76, 76]);
  throws(
    () => tok.tokenize(long, { truncate: false }),
    (e: unknown) =>
      code("input_too_long")(e) && (e as EdgeClipError).context.tokens === 102 &&
      /102 tokens/.test((e as Error).message) && /77/.test((e as Error).message),
  );
  tok.tokenize("cat ".repeat(75), { truncate: false });
  strictEqual(b.contextLength, 77);
});

Deno.test("encodeBatch: a literal <|endoftext|> moves the pooled position", () => {
  const b = tok.encodeBatch("a <|endoftext|> b");
  deepStrictEqual(Array.from(b.ids[0]), [SOT, 320, EOT, 321, EOT]);
  strictEqual(b.poolIndex[0], 2);
  strictEqual(b.lengths[0], 5);
});

Deno.test("validation: non-strings, bad options, bad ids", () => {
  const bad = code("invalid_input");
  throws(() => tok.encode(42 as unknown as string), bad);
  throws(() => tok.tokenize([1] as unknown as string[]), bad);
  throws(() => tok.tokenize({} as unknown as string[]), bad);
  // deno-lint-ignore no-sparse-arrays
  throws(() => tok.tokenize([, "a"] as unknown as string[]), bad);
  throws(() => tok.tokenize(null as unknown as string), bad);
  throws(() => tok.tokenize("x", { contextLength: 1 }), bad);
  throws(() => tok.tokenize("x", { contextLength: 7.5 }), bad);
  throws(() => tok.tokenize("x", { truncate: "yes" as unknown as boolean }), bad);
  throws(() => tok.decode([49408]), bad);
  throws(() => tok.decode([-1]), bad);
  throws(() => tok.decode([1.5]), bad);
  throws(() => tok.decode("12" as unknown as number[]), bad);
  deepStrictEqual(Array.from(tok.tokenize("x y", { contextLength: 2 }).inputIds.data), [SOT, EOT]);
});

Deno.test("decode: invalid UTF-8 from arbitrary ids becomes U+FFFD", () => {
  strictEqual(tok.decode([]), "");
  strictEqual(tok.decode([SOT, 320, EOT]), "<|startoftext|>a <|endoftext|>");
  // Ids 0..255 are the byte symbols: "!" then the lead byte 0xC7 with no continuation.
  const idOfByte = (b: number) => BYTE_SYMBOLS.findIndex(([x]) => x === b);
  strictEqual(tok.decode([idOfByte(0x21), idOfByte(0xc7)]), "!\ufffd");
  strictEqual(tok.decode([idOfByte(0xe2), idOfByte(0x82), idOfByte(0x41)]), "\ufffdA");
});

// A pool of characters covering the golden categories (scripts, emoji, controls, mojibake
// fragments, entities, whitespace of both kinds).
const POOL = [
  ..."abcxyzABC019 .,;:!?'\"`-_/\\|&#()[]{}@$%^*+=~",
  ..."\t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000\u200b\ufeff\u180e",
  ..."\x00\x07\x1b\x7f\x80\x85\x9f\u200e\u202e\u00ad\ue000\ufffd",
  ..."àéîõüçñßÆØÃÂâ€œ™¢£©®°±²³µ¶·¹¼½¾×÷ΑΣΩαςωАБВабв東京タワーｶﾞＡ１İıſKÅ“”‘’ﬁĳǅ",
  "😀",
  "🐱",
  "👨\u200d👩",
  "🇺🇸",
  "&amp;",
  "&lt;",
  "&#x2019;",
  "&EACUTE;",
  "\x1b[31m",
  "\ud83d",
  "\ude00",
  "<|endoftext|>",
  "\u0345",
  "\u{105C0}",
];
const randomText = (rng: Prng) => {
  let s = "";
  for (let i = rng.int(0, 30); i > 0; i--) s += rng.pick(POOL);
  return s;
};

Deno.test("property: random text never throws, rows are well formed", () => {
  forAll("tokenize(random)", 300, randomText, (text) => {
    const ids = tok.encode(text);
    for (const id of ids) ok(Number.isInteger(id) && id >= 0 && id < 49408);
    const b = tok.encodeBatch(text, { contextLength: 16 });
    const row = b.ids[0];
    strictEqual(row[0], SOT);
    strictEqual(row[row.length - 1], EOT);
    strictEqual(row.length, Math.min(ids.length + 2, 16));
    tok.decode(ids);
  }, (t) => JSON.stringify(t));
});

Deno.test("property: decode(encode(x)) gives the pieces back, each followed by a space", () => {
  forAll("decode∘encode", 300, randomText, (text) => {
    const pieces = tok.pieces(text);
    if (pieces.some((p) => p.includes("<|") || p.includes("</w>"))) return; // specials decode bare
    strictEqual(tok.decode(tok.encode(text)), pieces.map((p) => p + " ").join(""));
  }, (t) => JSON.stringify(t));
});

Deno.test("property: the cache never changes results, and stays bounded", () => {
  const { vocab: v, merges: m } = bpeFiles()!;
  const none = ClipTokenizer.fromFiles(v, m, { cacheSize: 0 });
  const tiny = ClipTokenizer.fromFiles(v, m, { cacheSize: 8 });
  forAll("cache", 300, randomText, (text) => {
    const want = none.encode(text);
    deepStrictEqual(tiny.encode(text), want);
    deepStrictEqual(tiny.encode(text), want);
    deepStrictEqual(tok.encode(text), want);
    ok(tiny.cacheEntries <= 8);
  }, (t) => JSON.stringify(t));
  strictEqual(none.cacheEntries, 0);
  throws(() => ClipTokenizer.fromFiles(v, m, { cacheSize: -1 }), code("invalid_input"));
});

Deno.test("word cache: two generations, promotion, bound", () => {
  const c = new WordCache<number>(4);
  for (let i = 0; i < 10; i++) c.set(`k${i}`, i);
  ok(c.size <= 4);
  strictEqual(c.get("k9"), 9);
  strictEqual(c.get("k0"), undefined);
  strictEqual(c.get("k7"), 7); // old generation, promoted
  c.set("k10", 10);
  strictEqual(c.get("k7"), 7);
});
