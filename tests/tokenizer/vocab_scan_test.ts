// readVocabTokens scans vocab.json in place: it must read every JSON object of token → id exactly
// as JSON.parse does, and refuse what JSON.parse refuses.

import { deepStrictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { readVocabTokens } from "../../src/tokenizer/vocab.ts";
import { forAll } from "../_util/property.ts";
import { bpeFiles } from "./_load.ts";

const isFormatError = (e: unknown) => e instanceof EdgeClipError && e.code === "model_format";

/** What JSON.parse makes of a vocab.json: id → token. */
function reference(json: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const [tok, id] of Object.entries(JSON.parse(json) as Record<string, number>)) {
    while (out.length < id) out.push(undefined);
    out[id] = tok;
  }
  return out;
}

const PIECES = ["a", "Ġ", "</w>", '"', "\\", "\n", "\u0001", "é", "😀", "猫", " ", "{", ":", ","];

Deno.test("vocab scan: random vocabularies, any JSON layout, read as JSON.parse reads them", () => {
  forAll("scan == JSON.parse", 300, (rng) => {
    const n = rng.int(0, 40), seen = new Set<string>();
    const obj: Record<string, number> = {};
    for (let k = 0; k < n; k++) {
      let t = "";
      const len = rng.int(1, rng.next() < 0.2 ? 30 : 6);
      for (let j = 0; j < len; j++) t += rng.pick(PIECES);
      if (seen.has(t)) continue;
      seen.add(t);
      obj[t] = k * rng.int(1, 3) + (rng.next() < 0.1 ? 1000 : 0);
    }
    const ids = new Set<number>();
    for (const [t, id] of Object.entries(obj)) ids.has(id) ? delete obj[t] : ids.add(id);
    const layout = rng.int(0, 2);
    let json = JSON.stringify(obj, null, layout === 0 ? undefined : layout === 1 ? 2 : "\t");
    if (rng.next() < 0.3) json = ` \r\n${json}\n `;
    return json;
  }, (json) => deepStrictEqual(readVocabTokens(json), reference(json)));
});

Deno.test("vocab scan: the real CLIP vocabulary", { ignore: !bpeFiles() }, () => {
  const json = new TextDecoder().decode(bpeFiles()!.vocab);
  deepStrictEqual(readVocabTokens(json), reference(json));
});

Deno.test("vocab scan: what JSON.parse refuses, or is no token → id object, is model_format", () => {
  const bad = [
    "",
    "[]",
    '{"a":1,}',
    '{"a" 1}',
    '{"a":1 "b":2}',
    '{"a":1',
    '{"a:1}',
    '{"a\n":1}',
    '{"a":01}',
    '{"a":1}x',
    '{"a":-1}',
    '{"a":1.5}',
    '{"a":"1"}',
    '{"a":true}',
    '{"a":{"b":1}}',
    '{"\\q":1}',
    "{a:1}",
    '{"a":1,"b":1}',
    "{,}",
  ];
  for (const json of bad) throws(() => readVocabTokens(json), isFormatError, json);
  // and what JSON.parse accepts, it accepts: exponent ids, escapes, an empty object
  deepStrictEqual(readVocabTokens('{"a":1e1, "\\u00e9\\"":0}'), ['é"', ...Array(9), "a"]);
  deepStrictEqual(readVocabTokens("{ }"), []);
});
