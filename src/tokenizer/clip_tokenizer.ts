// CLIP's tokenizer: OpenAI's SimpleTokenizer + clip.tokenize, loaded from a Hugging Face model
// folder's vocab.json + merges.txt. Knows nothing of models.

import { EdgeClipError } from "../errors.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { BpeEncoder } from "./bpe.ts";
import { BYTE_DECODER } from "./bytes.ts";
import { clipNormalize, normalizeFixed } from "./clean/clean.ts";
import { fixText } from "./clean/ftfy.ts";
import { splitPieces } from "./pretokenize.ts";
import { parseVocab, type ResolvedTables, type Vocab, WORD_END } from "./vocab.ts";

/** Options of `tokenize` / `encodeBatch`. */
export interface TokenizeOptions {
  /** Row length L (CLIP: 77). At least 2, for the start and end markers. */
  contextLength?: number;
  /**
   * Cut texts that do not fit to `SOT, ids[0..L-3], EOT` (OpenAI's rule); when false such a
   * text throws `EdgeClipError("input_too_long")`. Default true.
   */
  truncate?: boolean;
}

/** Rows before padding: what the text model needs to run each text to its own length. */
export interface EncodedBatch {
  /** Per text `[SOT, ids…, EOT]`, truncated to contextLength, not padded. */
  readonly ids: Int32Array[];
  /** Per text its row length (= ids[i].length, the position of the final EOT + 1). */
  readonly lengths: Int32Array;
  /**
   * Per text the pooled position: the first maximum of the row, i.e. `torch.argmax`, which for
   * CLIP's vocabulary is the first `<|endoftext|>` (a literal one typed in the text included).
   * Causal attention means positions after it never influence the pooled feature.
   */
  readonly poolIndex: Int32Array;
  /** Per text whether truncation cut it. */
  readonly truncated: boolean[];
  readonly contextLength: number;
}

/** Construction options. */
export interface ClipTokenizerOptions {
  /** Capacity of the cache of encoded pieces (default 16384; 0 disables it). */
  cacheSize?: number;
  /**
   * Most characters (UTF-16 code units) of one text that `tokenize` / `encodeBatch` read
   * (default {@link MAX_SCAN_CHARS}). A longer text is read only up to a line end; see
   * {@link MAX_SCAN_CHARS}.
   */
  maxScanChars?: number;
}

const DEFAULT_CONTEXT = 77;

/**
 * Default bound on the characters of one text that `tokenize` / `encodeBatch` read: 32,768
 * UTF-16 code units: at most ~50 ms and a few MB for any text (bench/tokenizer_bench.ts).
 *
 * A text up to this long is tokenized whole. A longer one is tokenized from a prefix that ends
 * at a line end ("\n") within its first `maxScanChars` characters, once that prefix yields
 * enough tokens to fill the row; otherwise it is refused with `input_too_long`. The prefix gives
 * exactly the whole text's first tokens (see `#encodeLong`), so the row is OpenAI's.
 */
export const MAX_SCAN_CHARS = 32_768;

/**
 * CLIP's byte-level BPE tokenizer, id-exact with OpenAI's `clip.tokenize`.
 *
 * @example
 * ```ts
 * const tok = ClipTokenizer.fromFiles(
 *   await Deno.readFile("model/vocab.json"),
 *   await Deno.readFile("model/merges.txt"),
 * );
 * tok.encode("a photo of a cat."); // [320, 1125, 539, 320, 2368, 269]
 * const { inputIds, attentionMask } = tok.tokenize(["a cat", "a dog"]); // int32 [2, 77] each
 * ```
 */
export class ClipTokenizer {
  readonly #vocab: Vocab;
  readonly #bpe: BpeEncoder;
  readonly #maxScan: number;

  private constructor(vocab: Vocab, opts: ClipTokenizerOptions) {
    this.#vocab = vocab;
    const size = opts.cacheSize ?? 16384;
    if (!Number.isInteger(size) || size < 0) {
      throw new EdgeClipError("invalid_input", "cacheSize must be a non-negative integer", {
        cacheSize: size,
      });
    }
    this.#maxScan = opts.maxScanChars ?? MAX_SCAN_CHARS;
    if (!Number.isInteger(this.#maxScan) || this.#maxScan < 1) {
      throw new EdgeClipError("invalid_input", "maxScanChars must be a positive integer", {
        maxScanChars: this.#maxScan,
      });
    }
    this.#bpe = new BpeEncoder(vocab, size);
  }

  /** Loads vocab.json (token → id) and merges.txt, as bytes or text. */
  static fromFiles(
    vocabJson: Uint8Array | string,
    merges: Uint8Array | string,
    opts: ClipTokenizerOptions = {},
    resolved?: ResolvedTables,
  ): ClipTokenizer {
    return new ClipTokenizer(parseVocab(vocabJson, merges, resolved), opts);
  }

  /** Id of `<|startoftext|>`. */
  get sotId(): number {
    return this.#vocab.sotId;
  }

  /** Id of `<|endoftext|>`. */
  get eotId(): number {
    return this.#vocab.eotId;
  }

  /** Number of ids (one past the largest). */
  get vocabSize(): number {
    return this.#vocab.tokens.length;
  }

  /** Entries in the piece cache (bounded by the cacheSize option). */
  get cacheEntries(): number {
    return this.#bpe.cache.size;
  }

  /** The string the split pattern sees: ftfy + HTML unescape + whitespace collapse + lower. */
  normalize(text: string): string {
    return clipNormalize(checkText(text, 0));
  }

  /** The split pieces of the normalized text (OpenAI's `re.findall(pat, text)`). */
  pieces(text: string): string[] {
    return splitPieces(this.normalize(text));
  }

  /**
   * `SimpleTokenizer.encode`: the ids of a whole text, without start/end markers. Unlike
   * `tokenize`, it reads all of the text however long (as `normalize` and `pieces` do): give
   * untrusted text to `tokenize` / `encodeBatch`, which bound the work.
   */
  encode(text: string): number[] {
    return this.#encode(checkText(text, 0), Infinity);
  }

  /** Ids of `text`, stopping once at least `limit` are known (later ones cannot matter). */
  #encode(text: string, limit: number): number[] {
    const out: number[] = [];
    for (const piece of splitPieces(clipNormalize(text))) {
      this.#bpe.encodePiece(piece, out);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * The first `limit` (or more) ids of a text longer than maxScanChars, from a prefix ending at a
   * line end within its first maxScanChars characters; throws `input_too_long` when no such
   * prefix yields `limit` ids. Prefixes are tried at the last line end before 4 Ki, 8 Ki, …
   * characters, so the work stays under twice the window.
   *
   * Why a prefix P = text[0, p) with text[p - 1] = "\n" gives the whole text's first ids, every
   * id of P but those of its last piece (stage by stage, as clipNormalize runs them):
   * - ftfy fixes a text line by line (segments end after "\n"); a segment's fix depends only on
   *   the segment and on whether an earlier one held "<". So fix(text) = fix(P) + fix(rest), and
   *   fix(P) keeps P's final "\n" (checked below, not assumed).
   * - html.unescape's references never contain "\n", so no match crosses the end of fix(P), in
   *   either pass: unescape(fix(text)) = G + H, where G = unescape²(fix(P)) ends with "\n".
   * - strip(): the leading strip is the same (G holds a non-space: it yields ids). In G's
   *   stripped part C (which ends with a non-space character), whitespace runs are the same;
   *   the run after C merges with what follows, giving C + " " + … for the whole text (regex's
   *   \s is a subset of str.isspace(), tests/tokenizer/long_text_test.ts checks it).
   * - lower() is per character except Σ, whose "final" test looks ahead only over
   *   case-ignorable characters: whitespace is not one, so it stops at the same place.
   * - The split pattern matches within C as it does in C + " " + …, except that C's last piece
   *   may continue (a \x1c-\x1f after it is str.isspace() but not regex's \s): it is dropped.
   * - BPE encodes each piece alone.
   */
  #encodeLong(text: string, limit: number, index: number): number[] {
    let tried = 0;
    for (let target = 4096;; target *= 2) {
      const window = Math.min(target, this.#maxScan);
      const end = text.lastIndexOf("\n", window - 1) + 1;
      if (end > tried) {
        tried = end;
        const fixed = fixText(text.slice(0, end));
        if (fixed.endsWith("\n")) {
          const pieces = splitPieces(normalizeFixed(fixed));
          pieces.pop();
          const out: number[] = [];
          for (const piece of pieces) {
            this.#bpe.encodePiece(piece, out);
            if (out.length >= limit) return out;
          }
        }
      }
      if (window === this.#maxScan) break;
    }
    throw new EdgeClipError(
      "input_too_long",
      `text ${index} has ${text.length} characters and its first ${limit} tokens are not in ` +
        `whole lines within its first ${this.#maxScan}: the tokenizer reads at most that much ` +
        `of a text (break it into lines, or send a shorter text)`,
      { index, chars: text.length, maxScanChars: this.#maxScan },
    );
  }

  /**
   * `SimpleTokenizer.decode`: token strings joined, byte symbols turned back into UTF-8 (bad
   * sequences become U+FFFD), and every `</w>` into a space.
   */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
      throw new EdgeClipError("invalid_input", "decode takes an array of token ids");
    }
    const bytes: number[] = [];
    const enc = new TextEncoder();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const tok = Number.isInteger(id) ? this.#vocab.tokens[id] : undefined;
      if (tok === undefined) {
        throw new EdgeClipError("invalid_input", `decode: ${id} is not a token id`, {
          index: i,
          id,
        });
      }
      for (const ch of tok) {
        const c = ch.charCodeAt(0);
        const b = ch.length === 1 && c < BYTE_DECODER.length ? BYTE_DECODER[c] : -1;
        if (b >= 0) bytes.push(b);
        else bytes.push(...enc.encode(ch)); // not a byte symbol (never in CLIP's vocabulary)
      }
    }
    return new TextDecoder("utf-8").decode(new Uint8Array(bytes)).replaceAll(WORD_END, " ");
  }

  /**
   * Encodes texts to unpadded rows `[SOT, ids…, EOT]` with their lengths and pooled positions,
   * so a text model can run each row to its own length.
   */
  encodeBatch(texts: string | readonly string[], opts: TokenizeOptions = {}): EncodedBatch {
    const list = checkTexts(texts);
    const { contextLength, truncate } = checkOptions(opts);
    const { sotId, eotId } = this.#vocab;
    const ids: Int32Array[] = [], truncated: boolean[] = [];
    const lengths = new Int32Array(list.length), poolIndex = new Int32Array(list.length);
    list.forEach((text, t) => {
      // With truncation only the first L-1 content ids matter (the L-1'th is overwritten); a
      // text over the scan bound is read only until that many are known, truncating or not.
      const long = text.length > this.#maxScan;
      const content = long
        ? this.#encodeLong(text, contextLength - 1, t)
        : this.#encode(text, truncate ? contextLength - 1 : Infinity);
      const n = content.length + 2;
      const cut = n > contextLength;
      if (cut && !truncate) {
        throw new EdgeClipError(
          "input_too_long",
          `text ${t} has ${long ? "more than " : ""}${n} tokens with its start and end markers, ` +
            `more than the context length ${contextLength}; shorten it or pass truncate: true`,
          long ? { index: t, minTokens: n, contextLength } : { index: t, tokens: n, contextLength },
        );
      }
      const len = Math.min(n, contextLength);
      const row = new Int32Array(len);
      row[0] = sotId;
      for (let i = 1; i < len - 1; i++) row[i] = content[i - 1];
      // OpenAI: tokens[:L], then tokens[-1] = eot.
      row[len - 1] = eotId;
      let best = 0;
      for (let i = 1; i < len; i++) if (row[i] > row[best]) best = i;
      ids.push(row);
      lengths[t] = len;
      poolIndex[t] = best;
      truncated.push(cut);
    });
    return { ids, lengths, poolIndex, truncated, contextLength };
  }

  /**
   * `clip.tokenize`: int32 `[B, L]` rows `[SOT, ids…, EOT, 0, 0, …]` and the attention mask
   * (1 up to and including the final EOT).
   *
   * Padding is 0, as OpenAI's `clip.tokenize` emits (Hugging Face pads with EOT instead). Both
   * give the same text feature: CLIP's text attention is causal, so no position attends to a
   * later one, and the feature is pooled at the first EOT; the padding after it never reaches
   * that position, whatever its id.
   */
  tokenize(
    texts: string | readonly string[],
    opts: TokenizeOptions = {},
  ): { inputIds: Tensor<Int32Array>; attentionMask: Tensor<Int32Array> } {
    const b = this.encodeBatch(texts, opts);
    const L = b.contextLength, B = b.ids.length;
    const inputIds = new Int32Array(B * L), mask = new Int32Array(B * L);
    b.ids.forEach((row, i) => {
      inputIds.set(row, i * L);
      mask.fill(1, i * L, i * L + row.length);
    });
    return { inputIds: tensor(inputIds, [B, L]), attentionMask: tensor(mask, [B, L]) };
  }
}

function checkText(text: unknown, index: number): string {
  if (typeof text !== "string") {
    throw new EdgeClipError("invalid_input", `text ${index} is not a string (${typeof text})`, {
      index,
    });
  }
  return text;
}

function checkTexts(texts: unknown): string[] {
  if (typeof texts === "string") return [texts];
  if (!Array.isArray(texts)) {
    throw new EdgeClipError("invalid_input", "texts must be a string or an array of strings");
  }
  // An index loop, not map(): holes in a sparse array must be rejected, not skipped.
  const out: string[] = [];
  for (let i = 0; i < texts.length; i++) out.push(checkText(texts[i], i));
  return out;
}

function checkOptions(opts: TokenizeOptions): { contextLength: number; truncate: boolean } {
  if (opts === null || typeof opts !== "object") {
    throw new EdgeClipError("invalid_input", "options must be an object");
  }
  const contextLength = opts.contextLength ?? DEFAULT_CONTEXT;
  const truncate = opts.truncate ?? true;
  if (!Number.isInteger(contextLength) || contextLength < 2 || contextLength > 1 << 20) {
    throw new EdgeClipError(
      "invalid_input",
      `contextLength must be an integer from 2 to ${1 << 20} (start and end markers need 2)`,
      { contextLength },
    );
  }
  if (typeof truncate !== "boolean") {
    throw new EdgeClipError("invalid_input", "truncate must be a boolean", { truncate });
  }
  return { contextLength, truncate };
}
