// Property tests of the VP8 pieces against naive references written from RFC 6386: the boolean
// decoder against the RFC's boolean encoder (§7.3), the inverse DCT and WHT against the RFC's
// reference code (§14.3, §14.4), and the loop filter against the RFC's formulation (§15, with
// its signed-byte clamping), which differs in form from libwebp's.

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../../src/errors.ts";
import { BoolDecoder } from "../../../src/image/webp/lossy/bool_decoder.ts";
import { idctAdd, idctAddDc } from "../../../src/image/webp/lossy/idct.ts";
import { loopFilterFrame } from "../../../src/image/webp/lossy/loop_filter.ts";
import { inverseWht } from "../../../src/image/webp/lossy/macroblock.ts";
import { forAll } from "../../_util/property.ts";

/** RFC 6386 §7.3 boolean encoder. */
class BoolEncoder {
  out: number[] = [];
  private range = 255;
  private bottom = 0; // 32-bit
  private bitCount = 24;
  private addOne(): void {
    let i = this.out.length - 1;
    while (i >= 0 && this.out[i] === 255) this.out[i--] = 0;
    this.out[i]++;
  }
  put(prob: number, bit: number): void {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    if (bit) {
      this.bottom += split;
      this.range -= split;
    } else {
      this.range = split;
    }
    while (this.range < 128) {
      this.range <<= 1;
      if (this.bottom & 0x80000000) this.addOne();
      this.bottom = (this.bottom << 1) >>> 0;
      if (!--this.bitCount) {
        this.out.push((this.bottom >>> 24) & 0xff);
        this.bottom &= 0xffffff;
        this.bitCount = 8;
      }
    }
  }
  flush(): Uint8Array {
    let c = this.bitCount;
    let v = this.bottom;
    if (v & (1 << (32 - c))) this.addOne();
    v = (v << (c & 7)) >>> 0;
    c >>= 3;
    while (--c >= 0) v = (v << 8) >>> 0;
    for (c = 0; c < 4; c++) {
      this.out.push(v >>> 24);
      v = (v << 8) >>> 0;
    }
    return Uint8Array.from(this.out);
  }
}

Deno.test("vp8 boolean decoder reads back what the RFC encoder wrote", () => {
  forAll("bool", 200, (rng) => ({ n: rng.int(1, 2000), skew: rng.next() }), (c, rng) => {
    const probs = Array.from({ length: c.n }, () => rng.int(1, 255));
    const bits = probs.map((p) => (rng.next() < (c.skew < 0.5 ? p / 256 : 0.5) ? 0 : 1));
    const enc = new BoolEncoder();
    probs.forEach((p, i) => enc.put(p, bits[i]));
    const data = enc.flush();
    const dec = new BoolDecoder(data, 0, data.length);
    deepStrictEqual(probs.map((p) => dec.getBit(p)), bits);
  });
});

Deno.test("vp8 boolean decoder: literals, signed values, and reading past the end throws", () => {
  const enc = new BoolEncoder();
  const put = (v: number, n: number) => {
    for (let b = n - 1; b >= 0; b--) enc.put(128, (v >> b) & 1);
  };
  put(0x5a, 7), put(9, 4), enc.put(128, 1), put(3, 6), enc.put(128, 0);
  const data = enc.flush();
  const dec = new BoolDecoder(data, 0, data.length);
  strictEqual(dec.getValue(7), 0x5a);
  strictEqual(dec.getSignedValue(4), -9);
  strictEqual(dec.getSignedValue(6), 3);
  throws(() => {
    for (let i = 0; i < 1000; i++) dec.getBit(128);
  }, (e) => e instanceof EdgeClipError && e.code === "image_decode");
});

// RFC 6386 §14.3: vp8_short_idct4x4llm_c (first pass down the columns, second along the rows).
const C1 = 20091, S1 = 35468; // cos(π/8)·√2 - 1 and sin(π/8)·√2, in 1/65536
function idctNaive(inp: Int16Array): number[] {
  const t = new Array(16).fill(0);
  for (let i = 0; i < 4; i++) {
    const [i0, i4, i8, i12] = [inp[i], inp[4 + i], inp[8 + i], inp[12 + i]];
    const a1 = i0 + i8, b1 = i0 - i8;
    const c1 = ((i4 * S1) >> 16) - (i12 + ((i12 * C1) >> 16));
    const d1 = i4 + ((i4 * C1) >> 16) + ((i12 * S1) >> 16);
    t[i] = a1 + d1, t[12 + i] = a1 - d1, t[4 + i] = b1 + c1, t[8 + i] = b1 - c1;
  }
  const out = new Array(16).fill(0);
  for (let r = 0; r < 4; r++) {
    const [x0, x1, x2, x3] = t.slice(4 * r, 4 * r + 4);
    const a1 = x0 + x2, b1 = x0 - x2;
    const c1 = ((x1 * S1) >> 16) - (x3 + ((x3 * C1) >> 16));
    const d1 = x1 + ((x1 * C1) >> 16) + ((x3 * S1) >> 16);
    out[4 * r] = (a1 + d1 + 4) >> 3, out[4 * r + 3] = (a1 - d1 + 4) >> 3;
    out[4 * r + 1] = (b1 + c1 + 4) >> 3, out[4 * r + 2] = (b1 - c1 + 4) >> 3;
  }
  return out;
}

Deno.test("vp8 inverse DCT matches the RFC reference; the DC shortcut matches the full one", () => {
  forAll(
    "idct",
    2000,
    (rng) => ({ dcOnly: rng.next() < 0.3, range: rng.pick([16, 300, 2048]) }),
    (c, rng) => {
      const coeffs = new Int16Array(32);
      for (let i = 0; i < 16; i++) {
        coeffs[16 + i] = i === 0 || !c.dcOnly ? rng.int(-c.range, c.range - 1) : 0;
      }
      const pred = Uint8Array.from({ length: 4 * 7 }, () => rng.int(0, 255));
      const got = pred.slice();
      idctAdd(coeffs, 16, got, 2, 7);
      const res = idctNaive(coeffs.subarray(16));
      const want = pred.slice();
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const o = 2 + 7 * y + x;
          want[o] = Math.max(0, Math.min(255, pred[o] + res[4 * y + x]));
        }
      }
      deepStrictEqual(got, want);
      if (c.dcOnly) {
        const dc = pred.slice();
        idctAddDc(coeffs, 16, dc, 2, 7);
        deepStrictEqual(dc, want);
      }
    },
  );
});

// RFC 6386 §14.3: vp8_short_inv_walsh4x4_c; output i is the DC of luma block i.
function whtNaive(ip: Int16Array): number[] {
  const t = new Array(16).fill(0);
  for (let i = 0; i < 4; i++) {
    const a1 = ip[i] + ip[12 + i], b1 = ip[4 + i] + ip[8 + i];
    const c1 = ip[4 + i] - ip[8 + i], d1 = ip[i] - ip[12 + i];
    t[i] = a1 + b1, t[4 + i] = c1 + d1, t[8 + i] = a1 - b1, t[12 + i] = d1 - c1;
  }
  const out = new Array(16).fill(0);
  for (let r = 0; r < 4; r++) {
    const [x0, x1, x2, x3] = t.slice(4 * r, 4 * r + 4);
    const a1 = x0 + x3, b1 = x1 + x2, c1 = x1 - x2, d1 = x0 - x3;
    out[4 * r] = (a1 + b1 + 3) >> 3, out[4 * r + 1] = (c1 + d1 + 3) >> 3;
    out[4 * r + 2] = (a1 - b1 + 3) >> 3, out[4 * r + 3] = (d1 - c1 + 3) >> 3;
  }
  return out;
}

Deno.test("vp8 inverse WHT matches the RFC reference", () => {
  forAll("wht", 1000, (rng) => ({ range: rng.pick([8, 500, 8000]) }), (c, rng) => {
    const inp = Int16Array.from({ length: 16 }, () => rng.int(-c.range, c.range));
    const out = new Int16Array(256);
    inverseWht(inp, out);
    deepStrictEqual(Array.from({ length: 16 }, (_, b) => out[16 * b]), whtNaive(inp));
  });
});

// ---- loop filter, RFC 6386 §15 formulation -------------------------------------------------

const c8 = (v: number) => Math.max(-128, Math.min(127, v)); // clamp to int8
const u2s = (v: number) => v - 128;
const s2u = (v: number) => c8(v) + 128;

/** Pixel accessor along one edge position: P(k) is p_k (k ≥ 0 before the edge), Q(k) after. */
interface Seg {
  P(k: number): number;
  Q(k: number): number;
  setP(k: number, v: number): void;
  setQ(k: number, v: number): void;
}

function commonAdjust(outer: boolean, s: Seg): number {
  const p1 = u2s(s.P(1)), p0 = u2s(s.P(0)), q0 = u2s(s.Q(0)), q1 = u2s(s.Q(1));
  let a = c8((outer ? c8(p1 - q1) : 0) + 3 * (q0 - p0));
  const b = c8(a + 3) >> 3;
  a = c8(a + 4) >> 3;
  s.setQ(0, s2u(q0 - a));
  s.setP(0, s2u(p0 + b));
  return a;
}

const simpleYes = (s: Seg, e: number) =>
  Math.abs(s.P(0) - s.Q(0)) * 2 + (Math.abs(s.P(1) - s.Q(1)) >> 1) <= e;
const normalYes = (s: Seg, i: number, e: number) =>
  simpleYes(s, e) &&
  [[3, 2], [2, 1], [1, 0]].every(([a, b]) =>
    Math.abs(s.P(a) - s.P(b)) <= i && Math.abs(s.Q(a) - s.Q(b)) <= i
  );
const hevRfc = (s: Seg, t: number) =>
  Math.abs(s.P(1) - s.P(0)) > t || Math.abs(s.Q(1) - s.Q(0)) > t;

function mbFilter(s: Seg, i: number, e: number, hevT: number): void {
  if (!normalYes(s, i, e)) return;
  if (hevRfc(s, hevT)) {
    commonAdjust(true, s);
    return;
  }
  const [p2, p1, p0] = [2, 1, 0].map((k) => u2s(s.P(k)));
  const [q0, q1, q2] = [0, 1, 2].map((k) => u2s(s.Q(k)));
  const w = c8(c8(p1 - q1) + 3 * (q0 - p0));
  let a = c8((27 * w + 63) >> 7);
  s.setQ(0, s2u(q0 - a)), s.setP(0, s2u(p0 + a));
  a = c8((18 * w + 63) >> 7);
  s.setQ(1, s2u(q1 - a)), s.setP(1, s2u(p1 + a));
  a = c8((9 * w + 63) >> 7);
  s.setQ(2, s2u(q2 - a)), s.setP(2, s2u(p2 + a));
}

function subblockFilter(s: Seg, i: number, e: number, hevT: number): void {
  if (!normalYes(s, i, e)) return;
  const hv = hevRfc(s, hevT);
  const p1 = u2s(s.P(1)), q1 = u2s(s.Q(1));
  const a = (commonAdjust(hv, s) + 1) >> 1;
  if (!hv) {
    s.setQ(1, s2u(q1 - a));
    s.setP(1, s2u(p1 + a));
  }
}

/** Edge segment at pixel `o` of `b`; `step` crosses the edge. */
const seg = (b: Uint8Array, o: number, step: number): Seg => ({
  P: (k) => b[o - (k + 1) * step],
  Q: (k) => b[o + k * step],
  setP: (k, v) => void (b[o - (k + 1) * step] = v),
  setQ: (k, v) => void (b[o + k * step] = v),
});

/** RFC order per macroblock: left edge, inner columns, top edge, inner rows. */
function filterPlaneNaive(
  b: Uint8Array,
  stride: number,
  size: number,
  mbX: number,
  mbY: number,
  kind: "simple" | "normal",
  p: { level: number; ilimit: number; hevT: number; inner: boolean },
): void {
  const mbE = (p.level + 2) * 2 + p.ilimit, subE = p.level * 2 + p.ilimit;
  const o = mbY * size * stride + mbX * size;
  const edge = (at: number, step: number, along: number, e: number, mb: boolean) => {
    for (let k = 0; k < size; k++) {
      const s = seg(b, at + k * along, step);
      if (kind === "simple") {
        if (simpleYes(s, e)) commonAdjust(true, s);
      } else if (mb) mbFilter(s, p.ilimit, e, p.hevT);
      else subblockFilter(s, p.ilimit, e, p.hevT);
    }
  };
  if (mbX > 0) edge(o, 1, stride, mbE, true);
  if (p.inner) { for (let x = 4; x < size; x += 4) edge(o + x, 1, stride, subE, false); }
  if (mbY > 0) edge(o, stride, 1, mbE, true);
  if (p.inner) { for (let y = 4; y < size; y += 4) edge(o + y * stride, stride, 1, subE, false); }
}

Deno.test("vp8 loop filter (simple and normal) matches the RFC formulation", () => {
  forAll(
    "loopfilter",
    150,
    (rng) => ({
      mbW: rng.int(1, 3),
      mbH: rng.int(1, 3),
      simple: rng.next() < 0.4,
      noise: rng.pick([2, 8, 40]),
    }),
    (c, rng) => {
      const { mbW, mbH } = c;
      // Smooth planes with noise, so that both sides of the thresholds occur.
      const plane = (size: number) => {
        const w = mbW * size, h = mbH * size;
        const base = rng.int(0, 255);
        return Uint8Array.from(
          { length: w * h },
          (_, i) =>
            Math.max(0, Math.min(255, base + ((i % w) >> 2) * 3 + rng.int(-c.noise, c.noise))),
        );
      };
      const Y = plane(16), U = plane(8), V = plane(8);
      const params = Array.from({ length: mbW * mbH }, () => ({
        level: rng.int(0, 63),
        ilimit: rng.int(1, 9),
        hevT: rng.int(0, 2),
        inner: rng.next() < 0.7,
      }));
      const filter = new Int32Array(4 * mbW * mbH);
      params.forEach((p, i) => {
        filter.set(
          [p.level ? 2 * p.level + p.ilimit : 0, p.ilimit, p.hevT, p.inner ? 1 : 0],
          4 * i,
        );
      });
      const [y2, u2, v2] = [Y.slice(), U.slice(), V.slice()];
      loopFilterFrame(c.simple ? 1 : 2, mbW, mbH, filter, Y, U, V);
      const kind = c.simple ? "simple" : "normal";
      for (let mbY = 0; mbY < mbH; mbY++) {
        for (let mbX = 0; mbX < mbW; mbX++) {
          const p = params[mbY * mbW + mbX];
          if (!p.level) continue;
          filterPlaneNaive(y2, 16 * mbW, 16, mbX, mbY, kind, p);
          if (!c.simple) {
            filterPlaneNaive(u2, 8 * mbW, 8, mbX, mbY, kind, p);
            filterPlaneNaive(v2, 8 * mbW, 8, mbX, mbY, kind, p);
          }
        }
      }
      deepStrictEqual(Y, y2);
      deepStrictEqual(U, u2);
      deepStrictEqual(V, v2);
    },
    (c) => JSON.stringify(c),
  );
});
