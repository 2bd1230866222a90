// Bench inputs made on the fly (no large files in the repository): a synthetic photo-like RGB
// image, a baseline JPEG encoder (JFIF, 4:2:0, libjpeg-scaled quality tables, Huffman tables
// optimised per image) and a PNG encoder (filter 0: tests/image/png/png_encoder.ts).

import { encodePng as encodePngSpec } from "../tests/image/png/png_encoder.ts";

/** Smooth gradients, texture, noise and hard edges: compresses like a photo, not like a flat fill. */
export function syntheticRgb(w: number, h: number, seed = 1): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w, v = y / h;
      const edge = ((x >> 6) + (y >> 6)) & 1 ? 40 : 0;
      const tex = 30 * Math.sin(x * 0.21 + 3 * Math.sin(y * 0.05)) * Math.cos(y * 0.17);
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const base = 128 + 80 * Math.sin(6.3 * u + 2 * c) * Math.cos(4.1 * v - c);
        out[o + c] = Math.max(0, Math.min(255, Math.round(base + tex + edge + 12 * (rnd() - 0.5))));
      }
    }
  }
  return out;
}

// ---- JPEG ----------------------------------------------------------------------------------

// deno-fmt-ignore
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
const UNZIGZAG = ZIGZAG.reduce((a, n, i) => ((a[n] = i), a), new Array<number>(64));
// ITU T.81 Annex K tables (natural order).
// deno-fmt-ignore
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
// deno-fmt-ignore
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, ...new Array(32).fill(99),
];

function scaleQuant(base: number[], quality: number): number[] {
  const s = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  return base.map((q) => Math.max(1, Math.min(255, Math.floor((q * s + 50) / 100))));
}

const COS = Array.from(
  { length: 64 },
  (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16),
);

/** Forward DCT of one 8×8 block (level-shifted samples) → quantised coefficients in zigzag order. */
function fdctQuant(px: Float64Array, q: number[], out: Int16Array, at: number): void {
  const tmp = new Float64Array(64);
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += px[y * 8 + x] * COS[x * 8 + u];
      tmp[y * 8 + u] = s * (u === 0 ? Math.SQRT1_2 : 1) / 2;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += tmp[y * 8 + u] * COS[y * 8 + v];
      const f = s * (v === 0 ? Math.SQRT1_2 : 1) / 2;
      const n = v * 8 + u;
      out[at + UNZIGZAG[n]] = Math.round(f / q[n]);
    }
  }
}

const category = (v: number) => (v === 0 ? 0 : 32 - Math.clz32(Math.abs(v)));

/** Code lengths ≤ 16 for the symbols with counts (Huffman, then T.81 K.2's length limiting). */
function huffmanLengths(freq: Float64Array): number[] {
  const f = Array.from(freq);
  f.push(1); // reserved symbol 256 keeps the all-ones code unused
  const size = new Array(f.length).fill(0), others = new Array(f.length).fill(-1);
  for (;;) {
    let c1 = -1, c2 = -1;
    for (let i = 0; i < f.length; i++) {
      if (f[i] <= 0) continue;
      if (c1 < 0 || f[i] <= f[c1]) [c2, c1] = [c1, i];
      else if (c2 < 0 || f[i] <= f[c2]) c2 = i;
    }
    if (c2 < 0) break;
    f[c1] += f[c2];
    f[c2] = 0;
    for (size[c1]++; others[c1] >= 0; size[c1]++) c1 = others[c1];
    others[c1] = c2;
    for (size[c2]++; others[c2] >= 0; size[c2]++) c2 = others[c2];
  }
  const bits = new Array(33).fill(0);
  for (const s of size) if (s) bits[s]++;
  for (let i = 32; i > 16; i--) {
    while (bits[i] > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] -= 2;
      bits[i - 1]++;
      bits[j + 1] += 2;
      bits[j]--;
    }
  }
  let i = 16;
  while (bits[i] === 0) i--;
  bits[i]--; // drop the reserved symbol
  // assign lengths to symbols by descending frequency
  const order = Array.from(freq.keys()).filter((s) => freq[s] > 0).sort((a, b) =>
    freq[b] - freq[a] || a - b
  );
  const lengths = new Array(freq.length).fill(0);
  let k = 0;
  for (let len = 1; len <= 16; len++) for (let n = 0; n < bits[len]; n++) lengths[order[k++]] = len;
  return lengths;
}

interface Table {
  lengths: number[];
  codes: number[];
}

function canonical(lengths: number[]): Table {
  const syms = lengths.map((l, s) => [l, s]).filter(([l]) => l > 0).sort((a, b) =>
    a[0] - b[0] || a[1] - b[1]
  );
  const codes = new Array(lengths.length).fill(0);
  let code = 0, len = syms.length ? syms[0][0] : 0;
  for (const [l, s] of syms) {
    code <<= l - len;
    len = l;
    codes[s] = code++;
  }
  return { lengths, codes };
}

class BitWriter {
  bytes: number[] = [];
  #acc = 0;
  #n = 0;
  put(code: number, len: number): void {
    for (let i = len - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((code >> i) & 1);
      if (++this.#n === 8) {
        this.bytes.push(this.#acc);
        if (this.#acc === 0xff) this.bytes.push(0);
        this.#acc = this.#n = 0;
      }
    }
  }
  flush(): void {
    while (this.#n) this.put(1, 1);
  }
}

/** Baseline JPEG, YCbCr 4:2:0, of w×h RGB bytes at `quality` (1–100). */
export function encodeJpeg(rgb: Uint8Array, w: number, h: number, quality = 90): Uint8Array {
  const mw = Math.ceil(w / 16), mh = Math.ceil(h / 16);
  const qs = [scaleQuant(LUMA_Q, quality), scaleQuant(CHROMA_Q, quality)];
  const blocks = new Int16Array(mw * mh * 6 * 64);
  const px = new Float64Array(64);
  const sample = (x: number, y: number, c: number) => {
    const o = (Math.min(y, h - 1) * w + Math.min(x, w - 1)) * 3;
    const r = rgb[o], g = rgb[o + 1], b = rgb[o + 2];
    if (c === 0) return 0.299 * r + 0.587 * g + 0.114 * b;
    if (c === 1) return -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
    return 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
  };
  let bi = 0;
  for (let my = 0; my < mh; my++) {
    for (let mx = 0; mx < mw; mx++) {
      for (let k = 0; k < 4; k++) {
        const x0 = mx * 16 + (k & 1) * 8, y0 = my * 16 + (k >> 1) * 8;
        for (let i = 0; i < 64; i++) px[i] = sample(x0 + (i & 7), y0 + (i >> 3), 0) - 128;
        fdctQuant(px, qs[0], blocks, 64 * bi++);
      }
      for (let c = 1; c <= 2; c++) {
        for (let i = 0; i < 64; i++) {
          const x = mx * 16 + 2 * (i & 7), y = my * 16 + 2 * (i >> 3);
          px[i] = (sample(x, y, c) + sample(x + 1, y, c) + sample(x, y + 1, c) +
                sample(x + 1, y + 1, c)) / 4 - 128;
        }
        fdctQuant(px, qs[1], blocks, 64 * bi++);
      }
    }
  }
  // Walk the blocks: count symbols (pass 1) or write them (pass 2).
  const walk = (emit: (t: number, sym: number, extra: number, extraLen: number) => void) => {
    const pred = [0, 0, 0];
    for (let b = 0; b < blocks.length / 64; b++) {
      const k = b % 6, comp = k < 4 ? 0 : k - 3, t = comp ? 1 : 0, o = b * 64;
      const diff = blocks[o] - pred[comp];
      pred[comp] = blocks[o];
      const dc = category(diff);
      emit(2 * t, dc, diff < 0 ? diff + (1 << dc) - 1 : diff, dc);
      let run = 0;
      for (let i = 1; i < 64; i++) {
        const v = blocks[o + i];
        if (v === 0) {
          run++;
          continue;
        }
        for (; run > 15; run -= 16) emit(2 * t + 1, 0xf0, 0, 0);
        const s = category(v);
        emit(2 * t + 1, (run << 4) | s, v < 0 ? v + (1 << s) - 1 : v, s);
        run = 0;
      }
      if (run) emit(2 * t + 1, 0x00, 0, 0);
    }
  };
  const freq = [0, 1, 2, 3].map(() => new Float64Array(256));
  walk((t, sym) => freq[t][sym]++);
  const tables = freq.map((f) => canonical(huffmanLengths(f)));
  const bw = new BitWriter();
  walk((t, sym, extra, len) => {
    bw.put(tables[t].codes[sym], tables[t].lengths[sym]);
    if (len) bw.put(extra, len);
  });
  bw.flush();

  const out: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]) =>
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]); // JFIF 1.01, no thumbnail
  for (let t = 0; t < 2; t++) seg(0xdb, [t, ...ZIGZAG.map((n) => qs[t][n])]);
  seg(0xc0, [8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  for (let t = 0; t < 4; t++) {
    const { lengths } = tables[t];
    const counts = new Array(16).fill(0);
    const syms = lengths.map((l, s) => [l, s]).filter(([l]) => l > 0).sort((a, b) =>
      a[0] - b[0] || a[1] - b[1]
    );
    for (const [l] of syms) counts[l - 1]++;
    seg(0xc4, [((t & 1) << 4) | (t >> 1), ...counts, ...syms.map(([, s]) => s)]);
  }
  seg(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
  const head = Uint8Array.from(out);
  const file = new Uint8Array(head.length + bw.bytes.length + 2);
  file.set(head);
  file.set(bw.bytes, head.length);
  file.set([0xff, 0xd9], head.length + bw.bytes.length);
  return file;
}

// ---- PNG -----------------------------------------------------------------------------------

/** 8-bit RGB PNG, every row with filter 0, one IDAT (the tests' encoder). */
export function encodePng(rgb: Uint8Array, w: number, h: number): Promise<Uint8Array> {
  return Promise.resolve(
    encodePngSpec({ width: w, height: h, bitDepth: 8, colorType: 2, samples: rgb }),
  );
}
