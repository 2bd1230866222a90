// Shared loader for tokenizer tests: the real CLIP tables from ../shared/data/clip-bpe (or the
// golden model folder), loaded once per test process.

import { ClipTokenizer } from "../../src/tokenizer/mod.ts";
import { goldenPath } from "../_util/golden.ts";

const ROOT = new URL("../../", import.meta.url);

/** Folder holding vocab.json + merges.txt: the shared BPE data, else the golden model folder. */
export function bpeDir(): string {
  const shared = decodeURIComponent(new URL("../shared/data/clip-bpe", ROOT).pathname);
  try {
    Deno.statSync(`${shared}/vocab.json`);
    return shared;
  } catch {
    const model = goldenPath("clip", "model");
    if (model) return model;
    throw new Error(`no vocab.json in ${shared} nor in the golden clip/model folder`);
  }
}

let tok: ClipTokenizer | undefined;

/** The real CLIP tokenizer (shared instance). */
export function clipTokenizer(): ClipTokenizer {
  if (tok) return tok;
  const dir = bpeDir();
  return (tok = ClipTokenizer.fromFiles(
    Deno.readFileSync(`${dir}/vocab.json`),
    Deno.readFileSync(`${dir}/merges.txt`),
  ));
}
