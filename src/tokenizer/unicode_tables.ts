// Decodes the generated run-length Unicode tables (src/tokenizer/_data/) into fast lookups:
// a byte per BMP code point plus a sorted run list for the astral planes.

/** A code point → small class number lookup. */
export class CodePointTable {
  readonly #bmp: Uint8Array;
  readonly #astralStarts: Int32Array;
  readonly #astralClasses: Uint8Array;

  /** Decodes runs 'lengthBase36 + classDigit' joined by ','. */
  constructor(runs: string) {
    this.#bmp = new Uint8Array(0x10000);
    const starts: number[] = [];
    const classes: number[] = [];
    let cp = 0;
    for (const item of runs.split(",")) {
      const len = parseInt(item.slice(0, -1), 36);
      const cls = item.charCodeAt(item.length - 1) - 48;
      const end = cp + len;
      if (cp < 0x10000) this.#bmp.fill(cls, cp, Math.min(end, 0x10000));
      if (end > 0x10000) {
        starts.push(Math.max(cp, 0x10000));
        classes.push(cls);
      }
      cp = end;
    }
    if (cp !== 0x110000) throw new Error(`Unicode table covers ${cp} code points, not 0x110000`);
    this.#astralStarts = Int32Array.from(starts);
    this.#astralClasses = Uint8Array.from(classes);
  }

  /** Class of a code point (surrogates are class 0). */
  get(cp: number): number {
    if (cp < 0x10000) return this.#bmp[cp];
    const s = this.#astralStarts;
    let lo = 0, hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= cp) lo = mid;
      else hi = mid - 1;
    }
    return this.#astralClasses[lo];
  }
}

/** Builds a table once, on first use. */
export function lazyTable(runs: string): () => CodePointTable {
  let t: CodePointTable | undefined;
  return () => (t ??= new CodePointTable(runs));
}
