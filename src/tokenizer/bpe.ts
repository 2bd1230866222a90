// Byte-level BPE as OpenAI's SimpleTokenizer.bpe: a piece's UTF-8 bytes become byte symbols, the
// last one carrying "</w>", then pairs merge by rank until none is in the merge table.

import { utf8Into } from "./bytes.ts";
import { EOT_TEXT, SOT_TEXT } from "./pretokenize.ts";
import type { Vocab } from "./vocab.ts";
import { WordCache } from "./word_cache.ts";

/**
 * OpenAI's algorithm, literally: each round finds the adjacent pair of lowest rank and merges
 * all its occurrences left to right. O(n²) in the piece length; the reference for tests and the
 * path used when a vocabulary's merges are not monotonic (see `Vocab.monotonic`).
 */
export function bpeReference(v: Vocab, symbols: readonly number[]): number[] {
  let word = symbols.slice();
  while (word.length > 1) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = v.ranks.get(word[i], word[i + 1]);
      if (r >= 0 && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const first = word[best], second = word[best + 1], merged = v.mergedIds[bestRank];
    const out: number[] = [];
    for (let i = 0; i < word.length;) {
      if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
        out.push(merged);
        i += 2;
      } else {
        out.push(word[i++]);
      }
    }
    word = out;
  }
  return word;
}

/** Reusable work arrays for `bpeHeap`, grown on demand. */
export class BpeScratch {
  next = new Int32Array(64);
  prev = new Int32Array(64);
  heap = new Float64Array(192);

  ensure(n: number): void {
    if (this.next.length >= n) return;
    const cap = Math.max(n, this.next.length * 2);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.heap = new Float64Array(3 * cap);
  }
}

/**
 * The same result in O(n log n): merges one pair at a time, lowest (rank, position) first, from
 * a heap. Equal to `bpeReference` when merges are monotonic (no pair created by a merge can
 * outrank it), which `parseVocab` checks; then all occurrences of the best pair are consumed
 * left to right before any pair they create, exactly as in OpenAI's rounds. `sym` is rewritten.
 */
export function bpeHeap(
  v: Vocab,
  sym: Int32Array,
  n: number,
  scratch: BpeScratch = new BpeScratch(),
): number[] {
  if (n === 1) return [sym[0]];
  scratch.ensure(n);
  const { next, prev, heap } = scratch;
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // Keys rank*n + pos order by rank, then position; exact in float64 for any realistic n.
  let size = 0;
  const push = (key: number) => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= key) break;
      heap[i] = heap[p];
      i = p;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0], last = heap[--size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1] < heap[c]) c++;
      if (heap[c] >= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
    return top;
  };
  const ranks = v.ranks;
  for (let i = 0; i + 1 < n; i++) {
    const r = ranks.get(sym[i], sym[i + 1]);
    if (r >= 0) push(r * n + i);
  }
  while (size > 0) {
    const key = pop();
    const r = Math.floor(key / n), pos = key - r * n;
    const nx = next[pos];
    if (sym[pos] < 0 || nx < 0 || ranks.get(sym[pos], sym[nx]) !== r) continue; // stale
    sym[pos] = v.mergedIds[r];
    const nn = next[nx];
    next[pos] = nn;
    if (nn >= 0) prev[nn] = pos;
    sym[nx] = -1;
    const pv = prev[pos];
    if (pv >= 0) {
      const r2 = ranks.get(sym[pv], sym[pos]);
      if (r2 >= 0) push(r2 * n + pv);
    }
    if (nn >= 0) {
      const r2 = ranks.get(sym[pos], sym[nn]);
      if (r2 >= 0) push(r2 * n + pos);
    }
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}

/** Pieces longer than this (in UTF-16 units) are encoded but not cached. */
const MAX_CACHED_PIECE = 128;

/** Encodes split pieces to ids through a bounded cache. */
export class BpeEncoder {
  readonly #v: Vocab;
  readonly #cache: WordCache<readonly number[]>;
  readonly #scratch = { buf: new Uint8Array(256) };
  readonly #work = new BpeScratch();
  #sym = new Int32Array(64);

  constructor(vocab: Vocab, cacheSize: number) {
    this.#v = vocab;
    this.#cache = new WordCache(cacheSize);
  }

  /** The cache (exposed for tests and stats). */
  get cache(): WordCache<readonly number[]> {
    return this.#cache;
  }

  /** The ids of one piece, uncached: the literal special strings map to their ids. */
  encodeUncached(piece: string): readonly number[] {
    const v = this.#v;
    // OpenAI seeds its cache with these two, so only the exact strings are special.
    if (piece === SOT_TEXT) return [v.sotId];
    if (piece === EOT_TEXT) return [v.eotId];
    const n = utf8Into(piece, this.#scratch);
    const bytes = this.#scratch.buf;
    if (this.#sym.length < n) this.#sym = new Int32Array(Math.max(n, 2 * this.#sym.length));
    const sym = this.#sym;
    for (let i = 0; i < n - 1; i++) sym[i] = v.byteIds[bytes[i]];
    sym[n - 1] = v.byteEndIds[bytes[n - 1]];
    if (v.monotonic) return bpeHeap(v, sym, n, this.#work);
    return bpeReference(v, Array.from(sym.subarray(0, n)));
  }

  /** Appends the ids of one piece to `out`. */
  encodePiece(piece: string, out: number[]): void {
    let ids = this.#cache.get(piece);
    if (ids === undefined) {
      ids = this.encodeUncached(piece);
      if (piece.length <= MAX_CACHED_PIECE) this.#cache.set(piece, ids);
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }
}
