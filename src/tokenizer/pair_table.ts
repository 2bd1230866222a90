// Open-addressing hash map from a symbol pair (two non-negative int32 ids) to an int32 value,
// in flat typed arrays: the BPE inner loop looks up every adjacent pair, so this stays cheap.

/** (a, b) → value, fixed capacity, no deletion. */
export class PairTable {
  readonly #keyA: Int32Array;
  readonly #keyB: Int32Array;
  readonly #val: Int32Array;
  readonly #mask: number;
  #size = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.#keyA = new Int32Array(cap).fill(-1);
    this.#keyB = new Int32Array(cap);
    this.#val = new Int32Array(cap);
    this.#mask = cap - 1;
  }

  get size(): number {
    return this.#size;
  }

  #slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0 & this.#mask;
  }

  /** Inserts (a, b) → v unless (a, b) is present; returns false if it was. */
  setIfAbsent(a: number, b: number, v: number): boolean {
    if (this.#size * 2 >= this.#keyA.length) throw new Error("PairTable is full");
    let i = this.#slot(a, b);
    while (this.#keyA[i] !== -1) {
      if (this.#keyA[i] === a && this.#keyB[i] === b) return false;
      i = (i + 1) & this.#mask;
    }
    this.#keyA[i] = a;
    this.#keyB[i] = b;
    this.#val[i] = v;
    this.#size++;
    return true;
  }

  /** Value of (a, b), or -1. */
  get(a: number, b: number): number {
    let i = this.#slot(a, b);
    for (;;) {
      const ka = this.#keyA[i];
      if (ka === -1) return -1;
      if (ka === a && this.#keyB[i] === b) return this.#val[i];
      i = (i + 1) & this.#mask;
    }
  }
}
