// inflate.ts against zlib: streams from node:zlib at every level/strategy/window decode exactly;
// output stops at the requested size; hand-built blocks pin down zlib's acceptance rules (single
// 1-bit codes, empty distance codes, over-subscribed/incomplete codes, bad symbols, distances);
// damaged streams give EdgeClipError, never a crash or a hang.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { constants, deflateRawSync, deflateSync } from "node:zlib";
import { EdgeClipError } from "../../../src/errors.ts";
import { inflateRawInto, inflateZlibAll, inflateZlibInto } from "../../../src/image/inflate.ts";
import { forAll } from "../../_util/property.ts";
import type { Prng } from "../../_util/prng.ts";

const corrupt = (e: unknown) => e instanceof EdgeClipError && e.code === "image_decode";
/** An image_decode error whose message says why (so each case fails for its own reason). */
const corruptAs = (why: RegExp) => (e: unknown) => corrupt(e) && why.test((e as Error).message);

function data(r: Prng, n: number): Uint8Array {
  const a = new Uint8Array(n);
  const alphabet = r.pick([1, 2, 4, 16, 256]);
  for (let i = 0; i < n; i++) {
    a[i] = i > 8 && r.next() < 0.4
      ? a[i - 1 - r.int(0, Math.min(i - 1, r.pick([3, 300, 40000])))]
      : r.int(0, alphabet - 1);
  }
  return a;
}

const STRATEGIES = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

Deno.test("inflate property: zlib streams (all levels, strategies, windows) decode exactly", () => {
  forAll("inflate zlib", 120, (r) => ({
    n: r.pick([0, 1, 2, 100, r.int(0, 5000), r.int(0, 150_000)]),
    level: r.int(0, 9),
    strategy: r.pick(STRATEGIES),
    windowBits: r.int(9, 15),
    seed: r.int(0, 1e9),
  }), (c, r) => {
    const src = data(r, c.n);
    const z = new Uint8Array(
      deflateSync(src, { level: c.level, strategy: c.strategy, windowBits: c.windowBits }),
    );
    const out = new Uint8Array(c.n);
    const used = inflateZlibInto(z, out, "t");
    deepStrictEqual(out, src);
    ok(used <= z.length, `used ${used} of ${z.length}`);
    // Any prefix: stops there, having read no more than the whole stream needed.
    const k = r.int(0, c.n);
    const part = new Uint8Array(k);
    ok(inflateZlibInto(z, part, "t") <= used);
    deepStrictEqual(part, src.subarray(0, k));
    // Asking for more than the stream holds is an error, not zero padding.
    if (c.n < 200_000) throws(() => inflateZlibInto(z, new Uint8Array(c.n + 1), "t"), corrupt);
  });
});

Deno.test("inflateZlibAll: a whole stream of unknown size, capped", () => {
  const src = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);
  const z = new Uint8Array(deflateSync(src));
  deepStrictEqual(inflateZlibAll(z, 5000, "t"), src);
  deepStrictEqual(inflateZlibAll(z, 1 << 20, "t"), src);
  throws(() => inflateZlibAll(z, 4999, "t"), corruptAs(/more than 4999/));
  deepStrictEqual(
    inflateZlibAll(new Uint8Array(deflateSync(new Uint8Array(0))), 10, "t"),
    new Uint8Array(0),
  );
  throws(() => inflateZlibAll(z.subarray(0, z.length >> 1), 5000, "t"), corrupt);
});

Deno.test("inflate: zlib header checks", () => {
  const z = new Uint8Array(deflateSync(Uint8Array.of(1, 2, 3)));
  inflateZlibInto(z, new Uint8Array(3), "t");
  for (const [cmf, flg] of [[0x77, 0x01], [0x88, 0x1c], [0x78, 0x02], [0x78, 0xbb]]) {
    // 0x77: method 7; 0x88: window 2^16; 0x7802: check bits; 0x78bb: preset dictionary.
    throws(
      () => inflateZlibInto(Uint8Array.of(cmf, flg, ...z.subarray(2)), new Uint8Array(3), "t"),
      corrupt,
    );
  }
  throws(() => inflateZlibInto(Uint8Array.of(0x78), new Uint8Array(1), "t"), corrupt);
});

/** LSB-first bit writer for hand-made DEFLATE streams. */
class Bits {
  bytes: number[] = [];
  #acc = 0;
  #n = 0;
  put(v: number, n: number): this {
    for (let i = 0; i < n; i++) {
      this.#acc |= ((v >> i) & 1) << this.#n;
      if (++this.#n === 8) this.flush();
    }
    return this;
  }
  /** A Huffman code: most significant bit first. */
  code(c: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.put((c >> i) & 1, 1);
    return this;
  }
  flush(): this {
    if (this.#n) this.bytes.push(this.#acc);
    this.#acc = this.#n = 0;
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.flush().bytes);
  }
}

/** Canonical codes for code lengths (RFC 1951 §3.2.2); -1 for unused symbols. */
function canonical(lens: number[]): number[] {
  const count = new Array(16).fill(0), next = new Array(16).fill(0);
  for (const l of lens) if (l) count[l]++;
  for (let l = 1, c = 0; l < 16; l++) next[l] = c = (c + (l > 1 ? count[l - 1] : 0)) << 1;
  return lens.map((l) => (l ? next[l]++ : -1));
}

/**
 * A final dynamic block with the given literal/length and distance code lengths (written with a
 * code-length code of sixteen 4-bit codes for lengths 0..15), then what `body` writes.
 */
function dynamicBlock(
  lit: number[],
  dist: number[],
  body: (b: Bits, lc: number[], dc: number[]) => void,
): Uint8Array {
  const b = new Bits().put(1, 1).put(2, 2);
  b.put(lit.length - 257, 5).put(dist.length - 1, 5).put(19 - 4, 4);
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  for (const s of order) b.put(s < 16 ? 4 : 0, 3);
  for (const l of [...lit, ...dist]) b.code(l, 4); // code for length l is l itself (all 4-bit, in order)
  body(b, canonical(lit), canonical(dist));
  return b.done();
}

function lens(n: number, set: Record<number, number>): number[] {
  return Array.from({ length: n }, (_, i) => set[i] ?? 0);
}

Deno.test("inflate: zlib's rules on hand-built Huffman codes", () => {
  const out = (n: number) => new Uint8Array(n);
  // Literals 'a', 'b', end-of-block and length 3, all 2-bit; a distance code with a single 1-bit
  // code for distance 2 (incomplete, which zlib allows): "ab" then a match of 3 at distance 2.
  const lit = lens(258, { 97: 2, 98: 2, 256: 2, 257: 2 });
  const ok1 = dynamicBlock(lit, [0, 1], (b, lc, dc) => {
    b.code(lc[97], 2).code(lc[98], 2).code(lc[257], 2).code(dc[1], 1).code(lc[256], 2);
  });
  const o = out(5);
  inflateRawInto(ok1, o, "t");
  deepStrictEqual(o, Uint8Array.of(97, 98, 97, 98, 97));
  // No distance codes at all is fine while no match needs one.
  const noDist = dynamicBlock(lens(257, { 97: 1, 256: 1 }), [0], (b, lc) => {
    b.code(lc[97], 1).code(lc[97], 1).code(lc[256], 1);
  });
  const o2 = out(2);
  inflateRawInto(noDist, o2, "t");
  deepStrictEqual(o2, Uint8Array.of(97, 97));
  // ...but a match then has no distance to decode.
  const noDistMatch = dynamicBlock(lens(258, { 97: 2, 256: 2, 257: 1 }), [0], (b, lc) => {
    b.code(lc[97], 2).code(lc[257], 1).put(0, 8);
  });
  throws(() => inflateRawInto(noDistMatch, out(4), "t"), corruptAs(/invalid distance code/));
  const refused = (lit: number[], dist: number[], why: RegExp) =>
    throws(() => inflateRawInto(dynamicBlock(lit, dist, () => {}), out(1), "t"), corruptAs(why));
  // Incomplete literal/length code with more than one length, over-subscribed code, no end-of-block.
  refused(lens(257, { 97: 2, 256: 2 }), [1], /incomplete/);
  refused(lens(257, { 1: 1, 2: 1, 256: 1 }), [1], /over-subscribed/);
  refused(lens(257, { 1: 1, 2: 1 }), [1], /end-of-block/);
  // Distance further back than the output so far.
  const far = dynamicBlock(lit, [1, 1], (b, lc, dc) => {
    b.code(lc[97], 2).code(lc[257], 2).code(dc[1], 1);
  });
  throws(() => inflateRawInto(far, out(4), "t"), corruptAs(/too far back/));
  // Fixed Huffman: length symbol 286 and distance symbol 30 exist as codes but are invalid.
  const fixed = () => new Bits().put(1, 1).put(1, 2);
  const len286 = fixed().code(0b11000110, 8).done();
  throws(() => inflateRawInto(len286, out(4), "t"), corruptAs(/invalid length symbol/));
  const dist30 = fixed().code(0x30 + 97, 8).code(0b0000001, 7).code(30, 5).done();
  throws(() => inflateRawInto(dist30, out(4), "t"), corruptAs(/invalid distance symbol/));
  // Block type 3, stored length check, repeat code with no previous length.
  throws(() => inflateRawInto(Uint8Array.of(0x07), out(1), "t"), corruptAs(/block type/));
  const stored = Uint8Array.of(0x01, 1, 0, 0, 0, 9);
  throws(() => inflateRawInto(stored, out(1), "t"), corruptAs(/stored block/));
  const rep = new Bits().put(1, 1).put(2, 2).put(0, 5).put(0, 5).put(15, 4);
  for (const s of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]) {
    rep.put(s === 16 || s === 1 ? 1 : 0, 3);
  }
  throws(
    () => inflateRawInto(rep.code(1, 1).put(0, 2).done(), out(1), "t"),
    corruptAs(/no previous/),
  );
});

Deno.test("inflate property: damaged streams give EdgeClipError or bytes, never a crash or hang", () => {
  forAll(
    "inflate damage",
    200,
    (r) => ({ n: r.int(1, 3000), level: r.int(0, 9), strategy: r.pick(STRATEGIES) }),
    (c, r) => {
      const z = new Uint8Array(
        deflateRawSync(data(r, c.n), { level: c.level, strategy: c.strategy }),
      );
      for (let k = 0; k < 20; k++) {
        const bad = k < 10 ? z.subarray(0, r.int(0, z.length - 1)) : z.slice();
        if (k >= 10) {
          for (let f = r.int(1, 4); f > 0; f--) {
            bad[r.int(0, bad.length - 1)] ^= r.int(1, 255);
          }
        }
        const o = new Uint8Array(c.n);
        try {
          const used = inflateRawInto(bad, o, "t");
          ok(used <= bad.length + 3, `used ${used} of ${bad.length}`);
        } catch (e) {
          ok(corrupt(e), String(e));
        }
      }
    },
  );
  strictEqual(inflateRawInto(new Uint8Array(0), new Uint8Array(0), "t"), 0);
});
