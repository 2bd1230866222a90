// Loading vocab.json + merges.txt (real tables, other layouts, malformed files) and the two BPE
// implementations (OpenAI's literal algorithm vs the heap one).

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { bpeHeap, bpeReference } from "../../src/tokenizer/bpe.ts";
import { BYTE_ENCODER, BYTE_SYMBOLS } from "../../src/tokenizer/bytes.ts";
import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { CLIP_MAX_MERGES, parseVocab } from "../../src/tokenizer/vocab.ts";
import { forAll } from "../_util/property.ts";
import { bpeFiles } from "./_load.ts";

const bpe = bpeFiles()!;
const vocabText = new TextDecoder().decode(bpe.vocab);
const mergesText = new TextDecoder().decode(bpe.merges);
const real = parseVocab(vocabText, mergesText);
const isFormatError = (e: unknown) => e instanceof EdgeClipError && e.code === "model_format";

Deno.test("vocab: the real CLIP tables have OpenAI's layout", () => {
  strictEqual(real.tokens.length, 49408);
  strictEqual(real.mergedIds.length, CLIP_MAX_MERGES);
  strictEqual(real.sotId, 49406);
  strictEqual(real.eotId, 49407);
  strictEqual(real.monotonic, true);
  for (let k = 0; k < 256; k++) {
    const [b, sym] = BYTE_SYMBOLS[k];
    strictEqual(real.byteIds[b], k);
    strictEqual(real.byteEndIds[b], 256 + k);
    strictEqual(real.tokens[k], sym);
  }
  for (let r = 0; r < real.mergedIds.length; r++) strictEqual(real.mergedIds[r], 512 + r);
  strictEqual(BYTE_ENCODER[0x20], "Ġ");
});

Deno.test("vocab: a pretty-printed, key-sorted vocab.json (HF save format) loads the same", () => {
  const obj = JSON.parse(vocabText) as Record<string, number>;
  const sorted = Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)));
  const pretty = JSON.stringify(sorted, null, 2) + "\n";
  const tokA = ClipTokenizer.fromFiles(vocabText, mergesText);
  const tokB = ClipTokenizer.fromFiles(new TextEncoder().encode(pretty), mergesText);
  for (
    const t of ['say "hi" \\ back\\slash', "a photo of a cat.", "東京タワー 😀", "<|endoftext|>"]
  ) {
    deepStrictEqual(tokB.encode(t), tokA.encode(t));
  }
  deepStrictEqual(tokB.decode([1, 2, 59, 60]), tokA.decode([1, 2, 59, 60]));
});

/** A small vocabulary with ids out of OpenAI's order, built from byte symbols + merges. */
function tinyFiles(merges: [string, string][], shuffle = true) {
  const toks = [
    ...BYTE_SYMBOLS.map(([, s]) => s),
    ...BYTE_SYMBOLS.map(([, s]) => s + "</w>"),
    ...merges.map(([a, b]) => a + b),
    "<|startoftext|>",
    "<|endoftext|>",
  ];
  const ids = toks.map((_, i) => (shuffle ? (i * 7919) % toks.length : i));
  const vocab = JSON.stringify(Object.fromEntries(toks.map((t, i) => [t, ids[i]])));
  const mergeTxt = "#version: 0.2\n" + merges.map(([a, b]) => `${a} ${b}`).join("\n") + "\n";
  return { vocab, mergeTxt, idOf: (t: string) => ids[toks.indexOf(t)] };
}

Deno.test("vocab: ids in any order and a short merge list", () => {
  const { vocab, mergeTxt, idOf } = tinyFiles([["a", "b"], ["ab", "c</w>"], ["c", "c"]]);
  const tok = ClipTokenizer.fromFiles(vocab, mergeTxt);
  deepStrictEqual(tok.encode("abc"), [idOf("abc</w>")]);
  // "b</w>" ends the word, so the second "ab" cannot merge; "c c</w>" is not a merge.
  deepStrictEqual(tok.encode("abab ccc"), [
    idOf("ab"),
    idOf("a"),
    idOf("b</w>"),
    idOf("cc"),
    idOf("c</w>"),
  ]);
  strictEqual(tok.decode(tok.encode("abab ccc")), "abab ccc ");
  deepStrictEqual(tok.encode("<|endoftext|>"), [idOf("<|endoftext|>")]);
});

Deno.test("vocab: non-monotonic merges fall back to OpenAI's algorithm", () => {
  // "b c" is ranked before "a b" creates... nothing; but "ab c" (rank 0) uses ab from rank 1.
  const { vocab, mergeTxt, idOf } = tinyFiles([["ab", "c</w>"], ["a", "b"]], false);
  const v = parseVocab(vocab, mergeTxt);
  strictEqual(v.monotonic, false);
  const tok = ClipTokenizer.fromFiles(vocab, mergeTxt);
  deepStrictEqual(tok.encode("abc"), [idOf("abc</w>")]);
});

Deno.test("vocab: malformed files are model_format errors", () => {
  const { vocab, mergeTxt } = tinyFiles([["a", "b"]]);
  const bad: [unknown, unknown][] = [
    ["not json", mergeTxt],
    ["[1, 2]", mergeTxt],
    ['{"a": "x"}', mergeTxt],
    ['{"a": 1.5}', mergeTxt],
    ['{"a": -1}', mergeTxt],
    ["{}", mergeTxt], // no byte symbols
    [vocab, "#version: 0.2\na b c\n"],
    [vocab, "#version: 0.2\nq zz\n"],
    [vocab, "#version: 0.2\na b\na b\n"],
    [new Uint8Array([0xff, 0xfe]), mergeTxt],
    [42, mergeTxt],
  ];
  for (const [v, m] of bad) {
    throws(() => parseVocab(v as string, m as string), isFormatError, String(v).slice(0, 40));
  }
  throws(
    () => parseVocab(vocab.replace('"<|endoftext|>"', '"<|end|>"'), mergeTxt),
    isFormatError,
  );
});

Deno.test("vocab: merges.txt with CRLF line ends or no header", () => {
  const { vocab, mergeTxt, idOf } = tinyFiles([["a", "b"], ["ab", "c</w>"]]);
  const crlf = ClipTokenizer.fromFiles(vocab, mergeTxt.replaceAll("\n", "\r\n"));
  deepStrictEqual(crlf.encode("abc"), [idOf("abc</w>")]);
  const bare = ClipTokenizer.fromFiles(vocab, "a b\nab c</w>");
  deepStrictEqual(bare.encode("abc"), [idOf("abc</w>")]);
});

Deno.test("bpe: heap BPE equals OpenAI's algorithm on random words", () => {
  const pool = [..."aaaabcdeilnorst", "é", "😀", "猫", "ab", "th", "ing", "er"];
  forAll(
    "bpeHeap == bpeReference",
    400,
    (rng) => {
      const n = rng.int(1, rng.next() < 0.1 ? 300 : 24);
      let s = "";
      for (let i = 0; i < n; i++) s += rng.pick(pool);
      return s;
    },
    (word) => {
      const bytes = new TextEncoder().encode(word);
      const sym = Array.from(
        bytes,
        (b, i) => (i === bytes.length - 1 ? real.byteEndIds[b] : real.byteIds[b]),
      );
      deepStrictEqual(bpeHeap(real, Int32Array.from(sym), sym.length), bpeReference(real, sym));
    },
  );
});

Deno.test("vocab: a token listed twice, or an id used twice, is malformed", () => {
  const { vocab, mergeTxt } = tinyFiles([["a", "b"]]);
  const obj = JSON.parse(vocab) as Record<string, number>;
  const body = vocab.slice(1, -1);
  throws(() => parseVocab(`{${body},"!":${Object.keys(obj).length + 5}}`, mergeTxt), isFormatError);
  throws(() => parseVocab(`{${body},"zz":0}`, mergeTxt), isFormatError);
  // Unused ids (holes) are fine.
  const holes = parseVocab(`{${body},"zz":${Object.keys(obj).length + 9}}`, mergeTxt);
  strictEqual(holes.tokens[Object.keys(obj).length + 3], undefined);
});
