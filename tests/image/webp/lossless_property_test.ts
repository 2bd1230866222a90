// Property tests of the VP8L pieces against naive references written from RFC 9649's text:
// prefix codes (canonical encoder → our tables), every inverse transform (naive forward
// transform → our inverse must give the input back), and the ALPH unfiltering.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { unfilter } from "../../../src/image/webp/alpha.ts";
import { LosslessBitReader } from "../../../src/image/webp/lossless/bit_reader.ts";
import { buildHuffman, readSymbol } from "../../../src/image/webp/lossless/huffman.ts";
import {
  applyInverseTransforms,
  type Transform,
} from "../../../src/image/webp/lossless/transforms.ts";
import type { Prng } from "../../_util/prng.ts";
import { forAll } from "../../_util/property.ts";

/** LSB-first bit writer. */
class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(bit: number): void {
    this.acc |= bit << this.n;
    if (++this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = this.n = 0;
    }
  }
  finish(): Uint8Array {
    if (this.n) this.bytes.push(this.acc);
    return Uint8Array.from(this.bytes);
  }
}

/** Random complete code lengths: split leaves of a binary tree, deal them to random symbols. */
function randomLengths(rng: Prng, alphabet: number): Uint8Array {
  const leaves = Math.min(alphabet, rng.int(1, 40));
  let depths = [0];
  while (depths.length < leaves) {
    const splittable = depths.map((d, i) => [d, i]).filter(([d]) => d < 15);
    const [d, i] = splittable[rng.int(0, splittable.length - 1)];
    depths = [...depths.slice(0, i), d + 1, d + 1, ...depths.slice(i + 1)];
  }
  const lengths = new Uint8Array(alphabet);
  const syms = Array.from({ length: alphabet }, (_, i) => i);
  for (let i = 0; i < depths.length; i++) {
    const k = rng.int(i, alphabet - 1);
    [syms[i], syms[k]] = [syms[k], syms[i]];
    lengths[syms[i]] = leaves === 1 ? 1 : depths[i];
  }
  return lengths;
}

Deno.test("vp8l prefix codes: canonical codes written MSB-first decode to the same symbols", () => {
  forAll(
    "huffman",
    300,
    (rng) => ({ alphabet: rng.int(1, 300), seed: rng.int(0, 1e9) }),
    (c, rng) => {
      const lengths = randomLengths(rng, c.alphabet);
      // Canonical assignment (RFC 9649 §3.7.2.1.1, as in DEFLATE): by length, then symbol.
      const used = [...lengths.keys()].filter((s) => lengths[s]);
      const codes = new Map<number, number>();
      const order = [...used].sort((a, b) => lengths[a] - lengths[b] || a - b);
      let code = 0, prevLen = lengths[order[0]];
      for (const s of order) {
        code <<= lengths[s] - prevLen;
        prevLen = lengths[s];
        codes.set(s, code++);
      }
      const table = buildHuffman(lengths, c.alphabet);
      const msg = Array.from({ length: 200 }, () => used[rng.int(0, used.length - 1)]);
      const w = new BitWriter();
      for (const s of msg) {
        const len = used.length === 1 ? 0 : lengths[s];
        for (let b = len - 1; b >= 0; b--) w.put((codes.get(s)! >> b) & 1);
      }
      const br = new LosslessBitReader(w.finish());
      deepStrictEqual(msg.map(() => readSymbol(table, br)), msg);
      strictEqual(br.overrun, false);
    },
  );
});

Deno.test("vp8l prefix codes: incomplete, over-subscribed and empty codes are rejected", () => {
  const reject = (l: number[]) =>
    throws(() => buildHuffman(l, l.length), (e) => e instanceof EdgeClipError);
  reject([0, 0, 0]);
  reject([1, 2, 0, 0]); // Kraft sum 3/4
  reject([1, 1, 1]); // 3/2
  reject([2, 2, 2, 3, 3, 3]);
  buildHuffman([0, 0, 5, 0], 4); // a single symbol is valid whatever its length
});

// ---- transforms: naive forward versions, per channel -------------------------------------

const ch = (p: number, c: number) => (p >>> (8 * c)) & 0xff; // c: 0 B, 1 G, 2 R, 3 A
const pack = (v: number[]) => ((v[3] << 24) | (v[2] << 16) | (v[1] << 8) | v[0]) >>> 0;
const chans = (p: number) => [0, 1, 2, 3].map((c) => ch(p, c));
const avg = (a: number, b: number) => chans(a).map((x, c) => (x + ch(b, c)) >> 1);
const clamp = (v: number) => Math.max(0, Math.min(255, v));

/** The predictor of RFC 9649 §4.1, mode by mode, per channel. */
function predictNaive(m: number, L: number, T: number, TL: number, TR: number): number {
  const A = (a: number, b: number) => pack(avg(a, b));
  switch (m) {
    case 1:
      return L;
    case 2:
      return T;
    case 3:
      return TR;
    case 4:
      return TL;
    case 5:
      return A(A(L, TR), T);
    case 6:
      return A(L, TL);
    case 7:
      return A(L, T);
    case 8:
      return A(TL, T);
    case 9:
      return A(T, TR);
    case 10:
      return A(A(L, TL), A(T, TR));
    case 11: { // Select: the neighbour closer to the gradient estimate L + T - TL
      let pL = 0, pT = 0;
      for (let c = 0; c < 4; c++) {
        const est = ch(L, c) + ch(T, c) - ch(TL, c);
        pL += Math.abs(est - ch(L, c));
        pT += Math.abs(est - ch(T, c));
      }
      return pL < pT ? L : T;
    }
    case 12:
      return pack([0, 1, 2, 3].map((c) => clamp(ch(L, c) + ch(T, c) - ch(TL, c))));
    case 13: {
      const a = avg(L, T);
      return pack(a.map((x, c) => clamp(x + Math.trunc((x - ch(TL, c)) / 2))));
    }
    default:
      return 0xff000000;
  }
}

const sub = (a: number, b: number) => pack([0, 1, 2, 3].map((c) => (ch(a, c) - ch(b, c)) & 0xff));

function randomImage(rng: Prng, n: number, smooth: boolean): Uint32Array {
  const px = new Uint32Array(n);
  let v = rng.int(0, 0xffffffff);
  for (let i = 0; i < n; i++) {
    v = smooth && rng.next() < 0.7
      ? (v + rng.int(0, 3) * 0x01010101) >>> 0
      : rng.int(0, 0xffffffff);
    px[i] = v;
  }
  return px;
}

const dims = (rng: Prng) => ({ w: rng.int(1, 23), h: rng.int(1, 17), bits: rng.int(2, 4) });

Deno.test("vp8l predictor transform: naive forward prediction, then inverse, is the identity", () => {
  forAll("predictor", 200, dims, ({ w, h, bits }, rng) => {
    const orig = randomImage(rng, w * h, rng.next() < 0.5);
    const tw = (w + (1 << bits) - 1) >> bits, th = (h + (1 << bits) - 1) >> bits;
    const modes = Uint32Array.from({ length: tw * th }, () => (rng.int(0, 15) << 8) >>> 0);
    const res = new Uint32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        let p: number;
        if (x === 0 && y === 0) p = 0xff000000;
        else if (y === 0) p = orig[i - 1];
        else if (x === 0) p = orig[i - w];
        else {
          const m = (modes[(y >> bits) * tw + (x >> bits)] >> 8) & 0xf;
          // TR of the last column is the row's first pixel (the spec's memory-order rule).
          p = predictNaive(m, orig[i - 1], orig[i - w], orig[i - w - 1], orig[i - w + 1]);
        }
        res[i] = sub(orig[i], p);
      }
    }
    const t: Transform = { type: 0, bits, xsize: w, data: modes };
    deepStrictEqual(applyInverseTransforms(res, [t], w, h), orig);
  });
});

const delta = (t: number, c: number) => (((t << 24) >> 24) * ((c << 24) >> 24)) >> 5;

Deno.test("vp8l cross-colour and subtract-green: naive forward, then inverse, is the identity", () => {
  forAll("colour", 200, dims, ({ w, h, bits }, rng) => {
    const orig = randomImage(rng, w * h, false);
    const tw = (w + (1 << bits) - 1) >> bits, th = (h + (1 << bits) - 1) >> bits;
    const mult = Uint32Array.from({ length: tw * th }, () => rng.int(0, 0xffffff));
    const res = orig.map((p, i) => {
      const m = mult[((i / w | 0) >> bits) * tw + ((i % w) >> bits)];
      const [b, g, r, a] = chans(p);
      // Encoder side (RFC 9649 §4.2): subtract the deltas, red_to_blue from the original red.
      const r2 = (r - delta(m & 0xff, g)) & 0xff;
      const b2 = (b - delta((m >> 8) & 0xff, g) - delta((m >> 16) & 0xff, r)) & 0xff;
      return pack([(b2 - g) & 0xff, g, (r2 - g) & 0xff, a]); // then subtract green
    });
    const cross: Transform = { type: 1, bits, xsize: w, data: mult };
    const green: Transform = { type: 2, bits: 0, xsize: w, data: new Uint32Array(0) };
    deepStrictEqual(applyInverseTransforms(res, [cross, green], w, h), orig);
  });
});

Deno.test("vp8l colour indexing: bundled indices unpack to palette entries, past the end 0", () => {
  forAll(
    "palette",
    200,
    (rng) => ({ w: rng.int(1, 40), h: rng.int(1, 6), n: rng.int(1, 256) }),
    (c, rng) => {
      const { w, h, n } = c;
      const bits = n > 16 ? 0 : n > 4 ? 1 : n > 2 ? 2 : 3;
      const size = 1 << (8 >> bits);
      const palette = new Uint32Array(size);
      for (let i = 0; i < n; i++) palette[i] = rng.int(0, 0xffffffff);
      // Indices may exceed n - 1 (up to what the bundle width can hold): they map to 0.
      const idx = Uint8Array.from({ length: w * h }, () => rng.int(0, size - 1));
      const pw = (w + (1 << bits) - 1) >> bits;
      const packed = new Uint32Array(pw * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const shift = (8 >> bits) * (x % (1 << bits));
          packed[y * pw + (x >> bits)] |= idx[y * w + x] << (8 + shift);
        }
      }
      const t: Transform = { type: 3, bits, xsize: w, data: palette };
      const want = Uint32Array.from(idx, (i) => (i < n ? palette[i] : 0));
      deepStrictEqual(applyInverseTransforms(packed, [t], w, h), want);
    },
  );
});

Deno.test("alpha unfiltering: naive forward filters, then unfilter, give the input back", () => {
  forAll(
    "alpha",
    300,
    (rng) => ({ w: rng.int(1, 30), h: rng.int(1, 20), f: rng.int(1, 3) }),
    (c, rng) => {
      const { w, h, f } = c;
      const a = Uint8Array.from({ length: w * h }, () => rng.int(0, 255));
      const at = (x: number, y: number) => a[y * w + x];
      const res = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          // Container spec: top-left from 0, first row from the left, first column from above.
          let p: number;
          if (x === 0 && y === 0) p = 0;
          else if (y === 0) p = at(x - 1, 0);
          else if (x === 0) p = at(0, y - 1);
          else if (f === 1) p = at(x - 1, y);
          else if (f === 2) p = at(x, y - 1);
          else p = clamp(at(x - 1, y) + at(x, y - 1) - at(x - 1, y - 1));
          res[y * w + x] = (at(x, y) - p) & 0xff;
        }
      }
      unfilter(res, w, h, f);
      deepStrictEqual(res, a);
    },
  );
});
