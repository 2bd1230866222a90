// token string → id, as an open-addressing table of ids hashed by their strings' code units.
// Loading resolves ~150k merge parts; looking them up as ranges of the merges.txt line, without
// slicing out a new string per part, makes that several times faster than a Map<string, id>.

/** Finds a token's id from a range of a larger string. */
export class TokenIndex {
  readonly #tokens: readonly (string | undefined)[];
  readonly #slots: Int32Array;
  readonly #mask: number;
  /** Distinct tokens held (a repeated string is held once). */
  readonly size: number;

  constructor(tokens: readonly (string | undefined)[]) {
    this.#tokens = tokens;
    let cap = 16;
    while (cap < tokens.length * 2) cap *= 2;
    this.#slots = new Int32Array(cap).fill(-1);
    this.#mask = cap - 1;
    let size = 0;
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id];
      if (t === undefined) continue;
      let i = hashRange(t, 0, t.length, -1) & this.#mask;
      let dup = false;
      for (let j = this.#slots[i]; j !== -1; j = this.#slots[i]) {
        if (tokens[j] === t) {
          dup = true; // a repeated string keeps its first id
          break;
        }
        i = (i + 1) & this.#mask;
      }
      if (dup) continue;
      this.#slots[i] = id;
      size++;
    }
    this.size = size;
  }

  /** Id of `s.slice(start, end)` with the code unit at `skip` left out (-1: none), or -1. */
  find(s: string, start: number, end: number, skip = -1): number {
    const len = end - start - (skip >= start && skip < end ? 1 : 0);
    let i = hashRange(s, start, end, skip) & this.#mask;
    for (;;) {
      const id = this.#slots[i];
      if (id === -1) return -1;
      const t = this.#tokens[id]!;
      if (t.length === len && sameRange(t, s, start, end, skip)) return id;
      i = (i + 1) & this.#mask;
    }
  }

  /** Whether `id` is the token s[start, end) without position `skip`. */
  holds(id: number, s: string, start: number, end: number, skip = -1): boolean {
    const t = this.#tokens[id];
    const len = end - start - (skip >= start && skip < end ? 1 : 0);
    return t !== undefined && t.length === len && sameRange(t, s, start, end, skip);
  }

  /** Id of a whole string, or -1. */
  get(s: string): number {
    return this.find(s, 0, s.length);
  }
}

/** FNV-1a over the code units of s[start, end) except position `skip`. */
function hashRange(s: string, start: number, end: number, skip: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    if (i === skip) continue;
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

function sameRange(t: string, s: string, start: number, end: number, skip: number): boolean {
  let k = 0;
  for (let i = start; i < end; i++) {
    if (i === skip) continue;
    if (t.charCodeAt(k++) !== s.charCodeAt(i)) return false;
  }
  return true;
}
