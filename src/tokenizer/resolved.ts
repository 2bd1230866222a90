// The tables of a vocab.json + merges.txt pair already resolved (tokens by id, byte and special
// ids, merges as ids), as a JSON file an edgeclip package carries beside them (RESOLVED_FILE).
// Parsing the two files costs ≈45 ms in a fresh isolate (a regex pass and a JS loop per token,
// a hash lookup per merge part); these tables read back with plain JSON.parse in a few ms. The
// file names the SHA-256 of the two files it was made from and is used only when they match, so a
// stale or foreign file is ignored (the text is parsed as usual).

import { parseVocab, type ResolvedTables, type Vocab } from "./vocab.ts";

/** Name of the resolved-merges file next to vocab.json and merges.txt. */
export const RESOLVED_FILE = "edgeclip_bpe.json";

const FORMAT = "edgeclip-bpe", VERSION = 1;

/** The key tying resolved merges to their files: SHA-256 of vocab.json, then of merges.txt. */
export async function resolvedKey(vocabJson: Uint8Array, merges: Uint8Array): Promise<string> {
  const hex = async (b: Uint8Array) =>
    Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join("");
  return `${await hex(vocabJson)}:${await hex(merges)}`;
}

/** The file's text for a parsed vocabulary. `merged` is left out when it is OpenAI's 512 + rank. */
export function writeResolved(v: Vocab, key: string): string {
  const openai = v.mergedIds.every((id, r) => id === 512 + r);
  // JSON.stringify's text, with the id arrays joined straight from their typed arrays: through
  // Array.from they made ~7 MiB of garbage, which a load converting a package keeps as heap
  const ints = (a: Int32Array) => `[${a.join(",")}]`;
  return `{"format":${JSON.stringify(FORMAT)},"version":${VERSION},"key":${JSON.stringify(key)},` +
    `"tokens":${JSON.stringify(v.tokens.map((t) => t ?? null))},"byteIds":${ints(v.byteIds)},` +
    `"byteEndIds":${ints(v.byteEndIds)},"sotId":${v.sotId},"eotId":${v.eotId},` +
    `"pairs":${ints(v.mergePairs)},"merged":${openai ? "null" : ints(v.mergedIds)}}`;
}

/** The tables in `text` when it is a well-formed file made for `key`, else undefined. */
export function readResolved(text: string, key: string): ResolvedTables | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (o?.format !== FORMAT || o.version !== VERSION || o.key !== key) return undefined;
  // plain loops: this runs once in a cold isolate, where callbacks cost more than the checks
  const ints = (a: unknown): Int32Array | undefined => {
    if (!Array.isArray(a)) return undefined;
    const out = new Int32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      if ((x | 0) !== x) return undefined;
      out[i] = x;
    }
    return out;
  };
  let tokens: (string | undefined)[] | undefined;
  if (Array.isArray(o.tokens)) {
    const list: (string | undefined)[] = o.tokens;
    tokens = list;
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (t === null) list[i] = undefined;
      else if (typeof t !== "string") {
        tokens = undefined;
        break;
      }
    }
  }
  const pairs = ints(o.pairs), byteIds = ints(o.byteIds), byteEndIds = ints(o.byteEndIds);
  const { sotId, eotId } = o;
  if (
    !tokens || !pairs || pairs.length % 2 !== 0 || !byteIds || !byteEndIds ||
    !Number.isInteger(sotId) || !Number.isInteger(eotId)
  ) return undefined;
  let merged = ints(o.merged);
  if (o.merged === null) {
    merged = new Int32Array(pairs.length / 2);
    for (let r = 0; r < merged.length; r++) merged[r] = 512 + r;
  }
  if (!merged) return undefined;
  return {
    tokens,
    byteIds,
    byteEndIds,
    sotId: sotId as number,
    eotId: eotId as number,
    pairs,
    merged,
  };
}

/** Parses vocab.json + merges.txt (bytes as stored) and returns the resolved-tables file's text. */
export async function resolveMergesFile(
  vocabJson: Uint8Array,
  merges: Uint8Array,
): Promise<string> {
  return writeResolved(parseVocab(vocabJson, merges), await resolvedKey(vocabJson, merges));
}
