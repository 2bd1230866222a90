// Golden runner: every case of $CLIP_GOLDEN_DIR/tokenizer/cases.json (OpenAI CLIP reference),
// one test step per case id, comparing normalized text, pieces, ids, the 77-row, the pooled
// position, the truncate:false behaviour and decode. Data-driven: a held-back file of the same
// schema runs unchanged.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { goldenPath } from "../_util/golden.ts";
import { readJson } from "../_util/files.ts";
import { clipTokenizer } from "./_load.ts";

interface Case {
  id: string;
  category: string;
  text: string;
  normalized: string;
  pieces: string[];
  ids: number[];
  n_ids: number;
  tokenize_77: number[];
  fits_without_truncate: boolean;
  truncated: boolean;
  argmax_index: number;
  decoded: string;
}
interface CasesFile {
  context_length: number;
  sot_id: number;
  eot_id: number;
  count?: number;
  cases: Case[];
}

const path = goldenPath("tokenizer", "cases.json");

// Shows as ignored, by name, when the fixture folder has no tokenizer part.
Deno.test({
  name: "tokenizer golden: tokenizer/cases.json is present",
  ignore: path === null,
  fn() {
    if (readJson<CasesFile>(path!).cases.length === 0) throw new Error(`${path} lists no cases`);
  },
});

if (path) {
  const file = readJson<CasesFile>(path);
  const L = file.context_length;

  Deno.test("tokenizer golden: file header", () => {
    const tok = clipTokenizer();
    strictEqual(tok.sotId, file.sot_id);
    strictEqual(tok.eotId, file.eot_id);
    if (file.count !== undefined) strictEqual(file.cases.length, file.count);
  });

  Deno.test("tokenizer golden: every case", async (t) => {
    const tok = clipTokenizer();
    for (const c of file.cases) {
      await t.step(`${c.id} [${c.category}]`, () => {
        strictEqual(tok.normalize(c.text), c.normalized, "normalized");
        deepStrictEqual(tok.pieces(c.text), c.pieces, "pieces");
        const ids = tok.encode(c.text);
        deepStrictEqual(ids, c.ids, "ids");
        strictEqual(ids.length, c.n_ids, "n_ids");

        const { inputIds, attentionMask } = tok.tokenize(c.text, { contextLength: L });
        deepStrictEqual(inputIds.shape, [1, L]);
        deepStrictEqual(Array.from(inputIds.data), c.tokenize_77, "tokenize row");
        const batch = tok.encodeBatch([c.text], { contextLength: L });
        strictEqual(batch.poolIndex[0], c.argmax_index, "argmax_index");
        strictEqual(batch.truncated[0], c.truncated, "truncated");
        const len = batch.lengths[0];
        deepStrictEqual(
          Array.from(attentionMask.data),
          Array.from({ length: L }, (_, i) => (i < len ? 1 : 0)),
          "attention mask",
        );

        if (c.fits_without_truncate) {
          deepStrictEqual(
            Array.from(tok.tokenize(c.text, { contextLength: L, truncate: false }).inputIds.data),
            c.tokenize_77,
          );
        } else {
          throws(
            () => tok.tokenize(c.text, { contextLength: L, truncate: false }),
            (e: unknown) =>
              e instanceof EdgeClipError && e.code === "input_too_long" &&
              e.context.tokens === c.n_ids + 2 && e.context.contextLength === L,
          );
        }
        strictEqual(tok.decode(c.ids), c.decoded, "decoded");
      });
    }
  });
}
