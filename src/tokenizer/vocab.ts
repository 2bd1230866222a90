// Loads CLIP's BPE tables from a Hugging Face model folder's vocab.json + merges.txt.

import { EdgeClipError } from "../errors.ts";
import { BYTE_ENCODER } from "./bytes.ts";
import { PairTable } from "./pair_table.ts";
import { EOT_TEXT, SOT_TEXT } from "./pretokenize.ts";

/**
 * How many merges CLIP uses: OpenAI reads lines [1, 49152-256-2] of its merges file and Hugging
 * Face's CLIPTokenizer slices merges.txt the same way, so later lines are never used.
 */
export const CLIP_MAX_MERGES = 49152 - 256 - 2;

/** The word-end marker appended to a word's last symbol. */
export const WORD_END = "</w>";

/** Parsed BPE tables. Ids are the vocabulary's. */
export interface Vocab {
  /** id → token string (undefined for ids the file does not use). */
  readonly tokens: readonly (string | undefined)[];
  /** Id of each byte's symbol, and of the symbol with `</w>` (a word's last byte). */
  readonly byteIds: Int32Array;
  readonly byteEndIds: Int32Array;
  /** (left id, right id) → merge rank. */
  readonly ranks: PairTable;
  /** rank → id of the merged token. */
  readonly mergedIds: Int32Array;
  /**
   * True when no merge uses a token that a later-or-equal merge produces. Then merging pairs
   * one at a time by (rank, position) gives exactly OpenAI's "all occurrences of the best pair
   * per round" result, so the fast heap BPE may be used.
   */
  readonly monotonic: boolean;
  readonly sotId: number;
  readonly eotId: number;
}

const fail = (msg: string, ctx: Record<string, unknown> = {}): never => {
  throw new EdgeClipError("model_format", `tokenizer files: ${msg}`, ctx);
};

function text(data: Uint8Array | string, file: string): string {
  if (typeof data === "string") return data;
  if (!(data instanceof Uint8Array)) fail(`${file} must be bytes or a string`);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(data);
  } catch (e) {
    return fail(`${file} is not valid UTF-8`, { file, cause: String(e) });
  }
}

/** Parses vocab.json (token → id) and merges.txt ("a b" per line after a "#version" header). */
export function parseVocab(vocabJson: Uint8Array | string, merges: Uint8Array | string): Vocab {
  let obj: unknown;
  try {
    obj = JSON.parse(text(vocabJson, "vocab.json"));
  } catch (e) {
    if (e instanceof EdgeClipError) throw e;
    fail("vocab.json is not valid JSON", { file: "vocab.json", cause: String(e) });
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    fail("vocab.json must be a JSON object of token → id", { file: "vocab.json" });
  }
  const dict = obj as Record<string, unknown>;
  const tokens: (string | undefined)[] = [];
  for (const tok in dict) {
    const id = dict[tok];
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      fail(`vocab.json: id of ${JSON.stringify(tok)} is not a non-negative integer`);
    }
    if (tokens[id as number] !== undefined) fail(`vocab.json: id ${id} is used twice`);
    tokens[id as number] = tok;
  }
  const idOf = (tok: string): number => {
    const id = dict[tok];
    return typeof id === "number" ? id : -1;
  };
  const need = (tok: string): number => {
    const id = idOf(tok);
    if (id < 0) fail(`vocab.json lacks the token ${JSON.stringify(tok)}`);
    return id;
  };

  const byteIds = new Int32Array(256), byteEndIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    byteIds[b] = need(BYTE_ENCODER[b]);
    byteEndIds[b] = need(BYTE_ENCODER[b] + WORD_END);
  }

  const lines = text(merges, "merges.txt").split("\n");
  let first = 0;
  if (lines.length > 0 && lines[0].startsWith("#version")) first = 1;
  let last = lines.length;
  while (last > first && lines[last - 1].trim() === "") last--;
  const count = Math.min(last - first, CLIP_MAX_MERGES);
  const ranks = new PairTable(count);
  const mergedIds = new Int32Array(count);
  const produced = new Int32Array(tokens.length).fill(-1); // max rank producing each token
  const firstUse = new Int32Array(tokens.length).fill(0x7fffffff); // min rank using it
  for (let r = 0; r < count; r++) {
    const parts = lines[first + r].trim().split(/\s+/);
    if (parts.length !== 2) {
      fail(`merges.txt line ${first + r + 1} is not "a b"`, { line: first + r + 1 });
    }
    const [a, b] = parts;
    const ia = need(a), ib = need(b), iab = need(a + b);
    mergedIds[r] = iab;
    // A repeated pair would silently take its last rank in Python's dict; CLIP's file has none.
    if (!ranks.setIfAbsent(ia, ib, r)) fail(`merges.txt repeats the pair "${a} ${b}"`);
    produced[iab] = Math.max(produced[iab], r);
    if (r < firstUse[ia]) firstUse[ia] = r;
    if (r < firstUse[ib]) firstUse[ib] = r;
  }
  let monotonic = true;
  for (let t = 0; t < produced.length && monotonic; t++) {
    if (produced[t] >= firstUse[t]) monotonic = false;
  }
  return {
    tokens,
    byteIds,
    byteEndIds,
    ranks,
    mergedIds,
    monotonic,
    sotId: need(SOT_TEXT),
    eotId: need(EOT_TEXT),
  };
}
