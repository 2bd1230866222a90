// Resolved tables (tokenizer/resolved.ts): what an edgeclip package carries beside vocab.json and
// merges.txt gives the very tables the text gives; a file made for other files, or malformed,
// is not used; ids outside the vocabulary are a model_format error.

import { deepStrictEqual, notStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import {
  readResolved,
  resolvedKey,
  resolveMergesFile,
  writeResolved,
} from "../../src/tokenizer/resolved.ts";
import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { parseVocab } from "../../src/tokenizer/vocab.ts";
import { bpeFiles } from "./_load.ts";

const { vocab, merges } = bpeFiles()!;

Deno.test("resolved tables: the real CLIP tables read back equal to parsing the files", async () => {
  const key = await resolvedKey(vocab, merges);
  const text = await resolveMergesFile(vocab, merges);
  const r = readResolved(text, key);
  if (!r) throw new Error("resolved file not accepted");
  const a = parseVocab(vocab, merges), b = parseVocab("(not read)", "(not read)", r);
  deepStrictEqual(b.tokens, a.tokens);
  deepStrictEqual([b.sotId, b.eotId], [a.sotId, a.eotId]);
  deepStrictEqual(b.mergedIds, a.mergedIds);
  deepStrictEqual(b.mergePairs, a.mergePairs);
  deepStrictEqual(b.byteIds, a.byteIds);
  deepStrictEqual(b.byteEndIds, a.byteEndIds);
  strictEqual(b.monotonic, a.monotonic);
  for (let x = 0; x < 600; x++) {
    for (const y of [x, 512 + x, 40000 + x]) strictEqual(b.ranks.get(x, y), a.ranks.get(x, y));
  }
  for (let rank = 0; rank < a.mergedIds.length; rank += 97) {
    strictEqual(b.ranks.get(a.mergePairs[2 * rank], a.mergePairs[2 * rank + 1]), rank);
  }
  const ta = ClipTokenizer.fromFiles(vocab, merges);
  const tb = ClipTokenizer.fromFiles(vocab, merges, {}, r);
  for (
    const t of ["a photo of a cat.", "東京タワー 😀 naïve déjà-vu", "supercalifragilistic 1234"]
  ) {
    deepStrictEqual(tb.encode(t), ta.encode(t));
  }
});

Deno.test("resolved tables: a file for other files, or malformed, is not used", async () => {
  const key = await resolvedKey(vocab, merges);
  const text = await resolveMergesFile(vocab, merges);
  // one byte more in merges.txt changes the key
  const other = await resolvedKey(vocab, new Uint8Array([...merges, 0x0a]));
  notStrictEqual(other, key);
  strictEqual(readResolved(text, other), undefined);
  const o = JSON.parse(text);
  for (
    const bad of [
      "not json",
      "null",
      JSON.stringify({ ...o, version: 2 }),
      JSON.stringify({ ...o, format: "x" }),
      JSON.stringify({ ...o, pairs: [1, 2, 3] }),
      JSON.stringify({ ...o, pairs: [1.5, 2] }),
      JSON.stringify({ ...o, merged: [1, "a"] }),
      JSON.stringify({ ...o, tokens: [1, "a"] }),
      JSON.stringify({ ...o, byteIds: undefined }),
      JSON.stringify({ ...o, sotId: "x" }),
    ]
  ) {
    strictEqual(readResolved(bad, key), undefined, bad.slice(0, 60));
  }
});

Deno.test("resolved tables: ids outside the vocabulary or repeated pairs are model_format", () => {
  const v = parseVocab(vocab, merges);
  const base = {
    tokens: v.tokens,
    byteIds: v.byteIds,
    byteEndIds: v.byteEndIds,
    sotId: v.sotId,
    eotId: v.eotId,
    pairs: v.mergePairs,
    merged: v.mergedIds,
  };
  const isFormat = (e: unknown) => e instanceof EdgeClipError && e.code === "model_format";
  deepStrictEqual(parseVocab("", "", base).mergedIds, v.mergedIds);
  const pairs = v.mergePairs.slice(), merged = v.mergedIds.slice(), bytes = v.byteIds.slice();
  pairs[10] = 49408;
  merged[3] = -1;
  bytes[7] = 1e6;
  const dup = v.mergePairs.slice();
  dup[2] = dup[0];
  dup[3] = dup[1];
  const holes = [...v.tokens];
  holes[v.mergedIds[5]] = undefined;
  for (
    const bad of [
      { pairs },
      { merged },
      { byteIds: bytes },
      { byteEndIds: v.byteEndIds.slice(1) },
      { sotId: 49408 },
      { pairs: dup },
      { pairs: v.mergePairs.slice(1) },
      { tokens: holes },
    ]
  ) {
    throws(() => parseVocab("", "", { ...base, ...bad }), isFormat, Object.keys(bad)[0]);
  }
  // the written file leaves OpenAI's merged ids (512 + rank) implicit
  strictEqual(JSON.parse(writeResolved(v, "k")).merged, null);
});
