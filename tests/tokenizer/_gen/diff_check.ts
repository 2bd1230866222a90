// Compares src/tokenizer with a file written by diff_reference.py (development tool):
//   deno run --allow-read tests/tokenizer/_gen/diff_check.ts OUT.json

import { MOJIBAKE } from "../../../src/tokenizer/clean/badness.ts";
import { isBad } from "../../../src/tokenizer/clean/badness.ts";
import { fixText } from "../../../src/tokenizer/clean/ftfy.ts";
import { ftfyEntityTable, pyHtmlUnescape } from "../../../src/tokenizer/clean/html.ts";
import { clipTokenizer } from "../_load.ts";

interface DiffCase {
  gen: string;
  text: string;
  fix_text: string;
  is_bad: boolean;
  unescape: string;
  normalized: string;
  pieces: string[];
  ids: number[];
  rand_ids: number[];
  rand_decoded: string;
}

const file = JSON.parse(Deno.readTextFileSync(Deno.args[0])) as {
  cases: DiffCase[];
  tables: {
    ftfy_entities: Record<string, string>;
    mojibake: Record<string, number[]>;
  };
};
const tok = clipTokenizer();
const fails: Record<string, number> = {};
let shown = 0;
const show = (what: string, c: DiffCase, got: unknown, want: unknown) => {
  fails[what] = (fails[what] ?? 0) + 1;
  if (shown++ < 25) {
    console.log(
      `${what} [${c.gen}] ${JSON.stringify(c.text)}\n  got  ${JSON.stringify(got)}\n  want ${
        JSON.stringify(want)
      }`,
    );
  }
};
for (const c of file.cases) {
  const checks: [string, unknown, unknown][] = [
    ["fix_text", fixText(c.text), c.fix_text],
    ["is_bad", isBad(c.text), c.is_bad],
    ["unescape", pyHtmlUnescape(c.text), c.unescape],
    ["normalized", tok.normalize(c.text), c.normalized],
    ["pieces", tok.pieces(c.text), c.pieces],
    ["ids", tok.encode(c.text), c.ids],
    ["decode", tok.decode(c.rand_ids), c.rand_decoded],
  ];
  for (const [what, got, want] of checks) {
    if (JSON.stringify(got) !== JSON.stringify(want)) show(what, c, got, want);
  }
}

// Tables: ftfy's entity table and mojibake categories.
const ents = ftfyEntityTable();
const want = file.tables.ftfy_entities;
let entDiff = 0;
for (const [k, v] of Object.entries(want)) if (ents.get(k) !== v) entDiff++;
if (ents.size !== Object.keys(want).length) entDiff++;
console.log(`entity table: ${ents.size} vs ${Object.keys(want).length}, ${entDiff} differences`);
for (const [name, cps] of Object.entries(file.tables.mojibake)) {
  const cls = new RegExp(`^[${(MOJIBAKE as Record<string, string>)[name]}]$`, "u");
  const mine: number[] = [];
  for (let cp = 0; cp < 0x10000; cp++) if (cls.test(String.fromCharCode(cp))) mine.push(cp);
  if (JSON.stringify(mine) !== JSON.stringify(cps)) console.log(`category ${name} differs`);
}
console.log(`${file.cases.length} cases; failures:`, fails);
