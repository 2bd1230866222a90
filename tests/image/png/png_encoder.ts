// Test-only PNG encoder: any bit depth / colour type, chosen filter per row, Adam7, extra chunks,
// split IDATs, any zlib level. Independent of the decoder (own filters, packing, CRC via zlib).

import { crc32 as zlibCrc32, deflateSync } from "node:zlib";
import { concatBytes } from "../../../src/io/bytes.ts";

/** What to encode. `samples` holds w·h·channels raw sample values (0..2^depth − 1). */
export interface PngSpec {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  samples: ArrayLike<number>;
  interlace?: boolean;
  /** Filter type for the n-th scanline written (over all passes). Default: 0. */
  filter?: (n: number) => number;
  /** Chunks written between IHDR and IDAT, and after IDAT. */
  before?: [string, Uint8Array][];
  after?: [string, Uint8Array][];
  /** zlib level 0–9 (default 6). */
  level?: number;
  /** Splits the zlib stream into IDAT chunks at these fractions of its length. */
  split?: number[];
}

/** Samples per pixel for each colour type. */
export const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

const enc = new TextEncoder();

/** One chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(enc.encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, zlibCrc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

function packRow(vals: number[], depth: number): Uint8Array {
  if (depth === 16) {
    const o = new Uint8Array(vals.length * 2);
    vals.forEach((v, i) => {
      o[2 * i] = v >> 8;
      o[2 * i + 1] = v & 255;
    });
    return o;
  }
  const o = new Uint8Array(Math.ceil((vals.length * depth) / 8));
  vals.forEach((v, i) => {
    const bit = i * depth;
    o[bit >> 3] |= v << (8 - depth - (bit & 7));
  });
  return o;
}

function predictor(ft: number, a: number, b: number, c: number): number {
  switch (ft) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    default: {
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
  }
}

/** The filtered scanlines (all passes) of a spec, before compression. */
export function scanlines(s: PngSpec): Uint8Array {
  const ch = CHANNELS[s.colorType];
  const bpp = Math.max(1, (s.bitDepth * ch) >> 3);
  const passes = s.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const parts: number[] = [];
  let n = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const cols: number[] = [], rows: number[] = [];
    for (let x = x0; x < s.width; x += dx) cols.push(x);
    for (let y = y0; y < s.height; y += dy) rows.push(y);
    if (!cols.length || !rows.length) continue;
    let prev: Uint8Array = new Uint8Array(
      packRow(new Array(cols.length * ch).fill(0), s.bitDepth).length,
    );
    for (const y of rows) {
      const vals: number[] = [];
      for (const x of cols) {
        for (let k = 0; k < ch; k++) vals.push(s.samples[(y * s.width + x) * ch + k]);
      }
      const row = packRow(vals, s.bitDepth);
      const ft = s.filter ? s.filter(n++) : 0;
      parts.push(ft);
      for (let i = 0; i < row.length; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, c = i >= bpp ? prev[i - bpp] : 0;
        parts.push((row[i] - predictor(ft, a, prev[i], c)) & 255);
      }
      prev = row;
    }
  }
  return Uint8Array.from(parts);
}

/** Encodes a PNG file. */
export function encodePng(s: PngSpec): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, s.width);
  dv.setUint32(4, s.height);
  ihdr.set([s.bitDepth, s.colorType, 0, 0, s.interlace ? 1 : 0], 8);
  const z = new Uint8Array(deflateSync(scanlines(s), { level: s.level ?? 6 }));
  const cuts = [0, ...(s.split ?? []).map((f) => Math.floor(f * z.length)), z.length];
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk("IHDR", ihdr),
    ...(s.before ?? []).map(([t, d]) => pngChunk(t, d)),
    ...cuts.slice(1).map((c, i) => pngChunk("IDAT", z.subarray(cuts[i], c))),
    ...(s.after ?? []).map(([t, d]) => pngChunk(t, d)),
    pngChunk("IEND", new Uint8Array(0)),
  ];
  return concatBytes(parts);
}

/**
 * What Pillow 9.4 gives for these samples (independent restatement of its PNG modes): the mode
 * and the samples in it.
 */
export function pillowModel(s: PngSpec): { mode: string; data: Uint8Array | Int32Array } {
  const n = s.width * s.height, d = s.bitDepth, v = s.samples;
  switch (`${d},${s.colorType}`) {
    case "1,0":
      return { mode: "1", data: Uint8Array.from({ length: n }, (_, i) => (v[i] ? 255 : 0)) };
    case "2,0":
    case "4,0":
      return {
        mode: "L",
        data: Uint8Array.from({ length: n }, (_, i) => (v[i] * 255) / (2 ** d - 1)),
      };
    case "8,0":
      return { mode: "L", data: Uint8Array.from(v) };
    case "16,0":
      return { mode: "I", data: Int32Array.from(v) };
    case "8,2":
      return { mode: "RGB", data: Uint8Array.from(v) };
    case "16,2":
      return { mode: "RGB", data: Uint8Array.from(v, (x) => x >> 8) };
    case "8,4":
      return { mode: "LA", data: Uint8Array.from(v) };
    case "16,4": {
      const o = new Uint8Array(4 * n);
      for (let i = 0; i < n; i++) {
        o.fill(v[2 * i] >> 8, 4 * i, 4 * i + 3);
        o[4 * i + 3] = v[2 * i + 1] >> 8;
      }
      return { mode: "RGBA", data: o };
    }
    case "8,6":
      return { mode: "RGBA", data: Uint8Array.from(v) };
    case "16,6":
      return { mode: "RGBA", data: Uint8Array.from(v, (x) => x >> 8) };
    default:
      if (s.colorType === 3) return { mode: "P", data: Uint8Array.from(v) };
      throw new Error(`no PNG format ${d}/${s.colorType}`);
  }
}

/** Valid (bit depth, colour type) pairs. */
export const PNG_FORMATS: readonly [number, number][] = [
  [1, 0],
  [2, 0],
  [4, 0],
  [8, 0],
  [16, 0],
  [8, 2],
  [16, 2],
  [1, 3],
  [2, 3],
  [4, 3],
  [8, 3],
  [8, 4],
  [16, 4],
  [8, 6],
  [16, 6],
];
