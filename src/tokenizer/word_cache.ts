// A bounded cache of pieces already encoded (OpenAI keeps an unbounded dict; a server must not).
// Two generations approximate LRU at Map speed: hits in the old generation are promoted, and
// when the current one fills, the old one is dropped whole.

/** Bounded string → value cache holding at most `capacity` entries. */
export class WordCache<V> {
  #cur = new Map<string, V>();
  #old = new Map<string, V>();
  readonly #half: number;

  constructor(readonly capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: string): V | undefined {
    const v = this.#cur.get(key);
    if (v !== undefined || this.capacity === 0) return v;
    const o = this.#old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.capacity === 0) return;
    if (this.#cur.size >= this.#half) {
      this.#old = this.#cur;
      this.#cur = new Map();
    }
    this.#cur.set(key, value);
  }

  /** Entries held (at most `capacity`). */
  get size(): number {
    return this.#cur.size + this.#old.size;
  }

  clear(): void {
    this.#cur.clear();
    this.#old.clear();
  }
}
