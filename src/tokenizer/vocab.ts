// Loads CLIP's BPE tables from a Hugging Face model folder's vocab.json + merges.txt.

import { EdgeClipError } from "../errors.ts";
import { BYTE_ENCODER } from "./bytes.ts";
import { PairTable } from "./pair_table.ts";
import { TokenIndex } from "./token_index.ts";
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
  /** rank r → its (left, right) ids at [2r], [2r + 1]. */
  readonly mergePairs: Int32Array;
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

/**
 * vocab.json as an id → token array (undefined for unused ids), scanned in place: one pass over the
 * text with no copy of it. (JSON.parse into a 49k-key object is slow, and rewriting the text into a
 * flat array to parse left ~12 MB of garbage: a first text call from a Hugging Face folder peaked
 * ~10 MiB higher.) A token with escapes, or long enough that its slice would keep the whole text
 * alive (V8 slices strings of ≥ 13 characters), is parsed on its own by JSON.parse. Anything but a
 * JSON object of string keys is refused as JSON.parse would refuse it.
 */
export function readVocabTokens(json: string): (string | undefined)[] {
  const n = json.length;
  let i = 0;
  const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9; // JSON's four
  const space = () => {
    while (isSpace(json.charCodeAt(i))) i++;
  };
  const invalid = (): never => fail("vocab.json is not valid JSON", { file: "vocab.json", at: i });
  space();
  if (json.charCodeAt(i) !== 0x7b) {
    return fail("vocab.json must be a JSON object of token → id", { file: "vocab.json" });
  }
  i++;
  space();
  const tokens: (string | undefined)[] = [];
  let more = json.charCodeAt(i) !== 0x7d;
  if (!more) i++;
  while (more) {
    // a key: "…" with escapes only via JSON.parse
    if (json.charCodeAt(i) !== 0x22) invalid();
    const open = i++;
    let escaped = false;
    for (;; i++) {
      if (i >= n) invalid();
      const c = json.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) invalid();
      if (c === 0x5c) {
        escaped = true;
        i++;
      }
    }
    const close = i++;
    let tok: string;
    if (escaped || close - open - 1 >= 13) {
      try {
        tok = JSON.parse(json.slice(open, close + 1));
      } catch {
        return invalid();
      }
    } else tok = json.slice(open + 1, close);
    space();
    if (json.charCodeAt(i) !== 0x3a) invalid();
    i++;
    space();
    // the value: plain digits are the id; any other JSON value is parsed to say what it is
    const from = i;
    let id = 0;
    for (let c = json.charCodeAt(i); c >= 0x30 && c <= 0x39; c = json.charCodeAt(++i)) {
      id = id * 10 + (c - 0x30);
    }
    const end = json.charCodeAt(i);
    const plain = i > from && (i - from === 1 || json.charCodeAt(from) !== 0x30) &&
      (end === 0x2c || end === 0x7d || isSpace(end));
    let value: unknown = id;
    if (!plain) {
      while (i < n && !",}".includes(json[i])) i++;
      try {
        value = JSON.parse(json.slice(from, i));
      } catch {
        return invalid();
      }
    }
    if (
      typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff
    ) {
      return fail(`vocab.json: the id of ${JSON.stringify(tok)} is not a non-negative integer`);
    }
    if (value < tokens.length && tokens[value] !== undefined) {
      fail(`vocab.json: id ${value} is used twice`);
    }
    while (tokens.length < value) tokens.push(undefined); // holes stay undefined
    tokens[value] = tok;
    space();
    const c = json.charCodeAt(i++);
    if (c === 0x7d) more = false;
    else if (c === 0x2c) space();
    else invalid();
  }
  space();
  if (i < n) invalid();
  return tokens;
}

/** Whether s[lo, hi) has a whitespace character (str.isspace) other than the one at `sp`. */
function hasOtherSpace(s: string, lo: number, hi: number, sp: number): boolean {
  for (let i = lo; i < hi; i++) {
    const c = s.charCodeAt(i);
    if (i !== sp && (c <= 0x20 || (c >= 0x85 && isWideSpace(c)))) return true;
  }
  return false;
}

function isWideSpace(c: number): boolean {
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/**
 * The tables of a vocab.json + merges.txt pair already resolved (see resolved.ts): tokens by id,
 * byte and special ids, and every merge as ids.
 */
export interface ResolvedTables {
  readonly tokens: readonly (string | undefined)[];
  readonly byteIds: Int32Array;
  readonly byteEndIds: Int32Array;
  readonly sotId: number;
  readonly eotId: number;
  /** rank r → (left, right) ids at [2r], [2r + 1]. */
  readonly pairs: Int32Array;
  /** rank → id of the merged token. */
  readonly merged: Int32Array;
}

/**
 * Parses vocab.json (token → id) and merges.txt ("a b" per line after a "#version" header).
 * With `resolved` (the same tables, checked by the caller to come from these very files) neither
 * file is read: parsing them is most of a cold load.
 */
export function parseVocab(
  vocabJson: Uint8Array | string,
  merges: Uint8Array | string,
  resolved?: ResolvedTables,
): Vocab {
  const t = resolved ? checkResolved(resolved) : parseFiles(vocabJson, merges);
  const count = t.merged.length, pairs = t.pairs;
  const ranks = new PairTable(count);
  const produced = new Int32Array(t.tokens.length).fill(-1); // max rank producing each token
  const firstUse = new Int32Array(t.tokens.length).fill(0x7fffffff); // min rank using it
  for (let r = 0; r < count; r++) {
    const ia = pairs[2 * r], ib = pairs[2 * r + 1], iab = t.merged[r];
    // A repeated pair would silently take its last rank in Python's dict; CLIP's file has none.
    if (!ranks.setIfAbsent(ia, ib, r)) fail(`merges.txt repeats a pair (merge ${r + 1})`);
    produced[iab] = Math.max(produced[iab], r);
    if (r < firstUse[ia]) firstUse[ia] = r;
    if (r < firstUse[ib]) firstUse[ib] = r;
  }
  let monotonic = true;
  for (let i = 0; i < produced.length && monotonic; i++) {
    if (produced[i] >= firstUse[i]) monotonic = false;
  }
  return {
    tokens: t.tokens,
    byteIds: t.byteIds,
    byteEndIds: t.byteEndIds,
    ranks,
    mergedIds: t.merged,
    mergePairs: pairs,
    monotonic,
    sotId: t.sotId,
    eotId: t.eotId,
  };
}

/** The tables from the text of vocab.json and merges.txt. */
function parseFiles(vocabJson: Uint8Array | string, merges: Uint8Array | string): ResolvedTables {
  const tokens = readVocabTokens(text(vocabJson, "vocab.json"));
  const index = new TokenIndex(tokens);
  let entries = 0;
  for (const t of tokens) if (t !== undefined) entries++;
  if (index.size !== entries) fail("vocab.json: a token appears twice");
  const need = (tok: string): number => {
    const id = index.get(tok);
    if (id < 0) fail(`vocab.json lacks the token ${JSON.stringify(tok)}`);
    return id;
  };
  const byteIds = new Int32Array(256), byteEndIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    byteIds[b] = need(BYTE_ENCODER[b]);
    byteEndIds[b] = need(BYTE_ENCODER[b] + WORD_END);
  }
  const sotId = need(SOT_TEXT), eotId = need(EOT_TEXT);
  const { pairs, mergedIds } = readMerges(text(merges, "merges.txt"), index);
  return { tokens, byteIds, byteEndIds, sotId, eotId, pairs, merged: mergedIds };
}

/** Resolved tables whose ids all name tokens of their vocabulary (else a model_format error). */
function checkResolved(r: ResolvedTables): ResolvedTables {
  const n = r.tokens.length;
  const ok = (id: number) => id >= 0 && id < n && r.tokens[id] !== undefined;
  const all = (a: Int32Array) => {
    for (let i = 0; i < a.length; i++) if (!ok(a[i])) fail("resolved tables: an id names no token");
  };
  if (
    r.pairs.length !== 2 * r.merged.length || r.merged.length > CLIP_MAX_MERGES ||
    r.byteIds.length !== 256 || r.byteEndIds.length !== 256 || !ok(r.sotId) || !ok(r.eotId)
  ) {
    fail("resolved tables: sizes or special ids do not match");
  }
  for (const a of [r.pairs, r.merged, r.byteIds, r.byteEndIds]) all(a);
  return r;
}

/** Resolves merges.txt's lines to (left, right, merged) ids. */
function readMerges(
  src: string,
  index: TokenIndex,
): { pairs: Int32Array; mergedIds: Int32Array } {
  // merges.txt is read in place (ranges of one string, no per-line strings): line r is
  // [starts[r], ends[r]).
  const starts: number[] = [], ends: number[] = [];
  let pos = src.startsWith("#version") ? src.indexOf("\n") + 1 || src.length : 0;
  const firstLine = pos === 0 ? 1 : 2;
  while (pos < src.length && starts.length < CLIP_MAX_MERGES) {
    let end = src.indexOf("\n", pos);
    if (end < 0) end = src.length;
    starts.push(pos);
    ends.push(end);
    pos = end + 1;
  }
  // Trailing blank lines are not merges (Python strips the file first).
  while (
    starts.length > 0 && src.slice(starts[starts.length - 1], ends[ends.length - 1]).trim() === ""
  ) {
    starts.pop();
    ends.pop();
  }
  const count = starts.length;
  const mergedIds = new Int32Array(count), pairs = new Int32Array(2 * count);
  const lineNo = (r: number) => ({ line: firstLine + r });
  for (let r = 0; r < count; r++) {
    let line = src, lo = starts[r], hi = ends[r];
    let sp = src.indexOf(" ", lo);
    if (sp <= lo || sp >= hi || hasOtherSpace(src, lo, hi, sp)) {
      // Unusual whitespace: split as Python's str.split() does.
      const parts = src.slice(lo, hi).trim().split(/\s+/);
      if (parts.length !== 2) fail(`merges.txt line ${firstLine + r} is not "a b"`, lineNo(r));
      line = parts.join(" ");
      lo = 0;
      hi = line.length;
      sp = parts[0].length;
    }
    const ia = index.find(line, lo, sp), ib = index.find(line, sp + 1, hi);
    if (ia < 0) fail(`merges.txt line ${firstLine + r}: left part not in vocab.json`, lineNo(r));
    if (ib < 0) fail(`merges.txt line ${firstLine + r}: right part not in vocab.json`, lineNo(r));
    // OpenAI's layout puts merge r's token at id 512 + r: check that before hashing.
    let iab = 512 + r;
    if (!index.holds(iab, line, lo, hi, sp)) iab = index.find(line, lo, hi, sp);
    if (iab < 0) {
      fail(`merges.txt line ${firstLine + r}: merged token not in vocab.json`, lineNo(r));
    }
    mergedIds[r] = iab;
    pairs[2 * r] = ia;
    pairs[2 * r + 1] = ib;
  }
  return { pairs, mergedIds };
}
