// VP8L image streams (RFC 9649 §3-§5): transforms, colour cache, meta prefix codes and the
// LZ77-coded ARGB data, following libwebp's vp8l_dec.c for what is accepted (each transform at
// most once, cache bits 1..11, copies that stay inside the image) and for the arithmetic of the
// inverse transforms (transforms.ts).

import { EdgeClipError } from "../../../errors.ts";
import type { LosslessBitReader } from "./bit_reader.ts";
import { type HuffmanTable, readHuffmanCode, readSymbol } from "./huffman.ts";
import { applyInverseTransforms, type Transform } from "./transforms.ts";

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: lossless ${what}`);

/** (dy, 8 - dx) pairs of the 120 short distance codes, packed as dy << 4 | (8 - dx). */
const DIST_MAP = new Uint8Array([
  0x18,
  0x07,
  0x17,
  0x19,
  0x28,
  0x06,
  0x27,
  0x29,
  0x16,
  0x1a,
  0x26,
  0x2a,
  0x38,
  0x05,
  0x37,
  0x39,
  0x15,
  0x1b,
  0x36,
  0x3a,
  0x25,
  0x2b,
  0x48,
  0x04,
  0x47,
  0x49,
  0x14,
  0x1c,
  0x35,
  0x3b,
  0x46,
  0x4a,
  0x24,
  0x2c,
  0x58,
  0x45,
  0x4b,
  0x34,
  0x3c,
  0x03,
  0x57,
  0x59,
  0x13,
  0x1d,
  0x56,
  0x5a,
  0x23,
  0x2d,
  0x44,
  0x4c,
  0x55,
  0x5b,
  0x33,
  0x3d,
  0x68,
  0x02,
  0x67,
  0x69,
  0x12,
  0x1e,
  0x66,
  0x6a,
  0x22,
  0x2e,
  0x54,
  0x5c,
  0x43,
  0x4d,
  0x65,
  0x6b,
  0x32,
  0x3e,
  0x78,
  0x01,
  0x77,
  0x79,
  0x53,
  0x5d,
  0x11,
  0x1f,
  0x64,
  0x6c,
  0x42,
  0x4e,
  0x76,
  0x7a,
  0x21,
  0x2f,
  0x75,
  0x7b,
  0x31,
  0x3f,
  0x63,
  0x6d,
  0x52,
  0x5e,
  0x00,
  0x74,
  0x7c,
  0x41,
  0x4f,
  0x10,
  0x20,
  0x62,
  0x6e,
  0x30,
  0x73,
  0x7d,
  0x51,
  0x5f,
  0x40,
  0x72,
  0x7e,
  0x61,
  0x6f,
  0x50,
  0x71,
  0x7f,
  0x60,
  0x70,
]);

/** Size of an image subsampled by 2^bits, rounding up. */
export const subSampleSize = (size: number, bits: number) => (size + (1 << bits) - 1) >> bits;

/** The five prefix codes of one group: green+length+cache, red, blue, alpha, distance. */
type Group = [HuffmanTable, HuffmanTable, HuffmanTable, HuffmanTable, HuffmanTable];

/** Prefix value (length or distance) from its symbol and extra bits (§4.2.2). */
function prefixValue(sym: number, br: LosslessBitReader): number {
  if (sym < 4) return sym + 1;
  const extra = (sym - 2) >> 1;
  return ((2 + (sym & 1)) << extra) + br.readBits(extra) + 1;
}

/** Reads the groups of prefix codes, and the meta image selecting them when present. */
function readCodes(
  br: LosslessBitReader,
  xsize: number,
  ysize: number,
  cacheBits: number,
  allowMeta: boolean,
): { groups: Group[]; meta: Uint32Array | null; metaBits: number } {
  let meta: Uint32Array | null = null;
  let metaBits = 0;
  let numGroups = 1;
  if (allowMeta && br.readBits(1)) {
    metaBits = br.readBits(3) + 2;
    const mw = subSampleSize(xsize, metaBits), mh = subSampleSize(ysize, metaBits);
    meta = decodeImageStream(br, mw, mh, false);
    for (let i = 0; i < meta.length; i++) {
      const g = (meta[i] >> 8) & 0xffff;
      meta[i] = g;
      if (g >= numGroups) numGroups = g + 1;
    }
  }
  br.check();
  const greenSize = 256 + 24 + (cacheBits > 0 ? 1 << cacheBits : 0);
  const sizes = [greenSize, 256, 256, 256, 40];
  // Groups no pixel refers to are still read (and must be valid) but not kept.
  let used: Uint8Array | null = null;
  if (meta && numGroups > 1) {
    used = new Uint8Array(numGroups);
    for (let i = 0; i < meta.length; i++) used[meta[i]] = 1;
  }
  const groups: Group[] = new Array(numGroups);
  for (let g = 0; g < numGroups; g++) {
    const codes = sizes.map((n) => readHuffmanCode(br, n)) as Group;
    if (!used || used[g]) groups[g] = codes;
  }
  return { groups, meta, metaBits };
}

/**
 * Decodes an image stream of `xsize`×`ysize` ARGB pixels. The top-level stream (`level0`) may
 * carry transforms and a meta prefix-code image; sub-images (transform data, meta image) may not.
 */
export function decodeImageStream(
  br: LosslessBitReader,
  xsize: number,
  ysize: number,
  level0: boolean,
): Uint32Array {
  const transforms: Transform[] = [];
  let codedWidth = xsize;
  if (level0) {
    const seen = new Set<number>();
    while (br.readBits(1)) {
      const type = br.readBits(2);
      if (seen.has(type)) throw bad("transform is repeated");
      seen.add(type);
      transforms.push(readTransform(br, type, codedWidth, ysize));
      if (type === 3) {
        codedWidth = subSampleSize(codedWidth, transforms[transforms.length - 1].bits);
      }
    }
  }
  let cacheBits = 0;
  if (br.readBits(1)) {
    cacheBits = br.readBits(4);
    if (cacheBits < 1 || cacheBits > 11) throw bad("colour cache size is invalid");
  }
  const codes = readCodes(br, codedWidth, ysize, cacheBits, level0);
  const data = decodePixels(br, codedWidth, ysize, cacheBits, codes);
  return transforms.length ? applyInverseTransforms(data, transforms, xsize, ysize) : data;
}

function readTransform(
  br: LosslessBitReader,
  type: number,
  xsize: number,
  ysize: number,
): Transform {
  if (type === 0 || type === 1) {
    const bits = br.readBits(3) + 2;
    const data = decodeImageStream(
      br,
      subSampleSize(xsize, bits),
      subSampleSize(ysize, bits),
      false,
    );
    return { type, bits, xsize, data };
  }
  if (type === 3) {
    const numColors = br.readBits(8) + 1;
    const bits = numColors > 16 ? 0 : numColors > 4 ? 1 : numColors > 2 ? 2 : 3;
    const raw = decodeImageStream(br, numColors, 1, false);
    // The palette is delta-coded; entries past numColors (up to the bundling's reach) are
    // transparent black, as libwebp's ExpandColorMap makes them.
    const palette = new Uint32Array(1 << (8 >> bits));
    let prev = 0;
    for (let i = 0; i < numColors; i++) {
      prev = addPixels(raw[i], prev);
      palette[i] = prev;
    }
    return { type, bits, xsize, data: palette };
  }
  return { type, bits: 0, xsize, data: new Uint32Array(0) };
}

/** Per-channel addition modulo 256 of two ARGB values. */
export function addPixels(a: number, b: number): number {
  const ag = (a & 0xff00ff00) + (b & 0xff00ff00);
  const rb = (a & 0x00ff00ff) + (b & 0x00ff00ff);
  return ((ag & 0xff00ff00) | (rb & 0x00ff00ff)) >>> 0;
}

/** Decodes the entropy-coded pixels (§5.2): literals, backward references, cache hits. */
function decodePixels(
  br: LosslessBitReader,
  width: number,
  height: number,
  cacheBits: number,
  codes: { groups: Group[]; meta: Uint32Array | null; metaBits: number },
): Uint32Array {
  const total = width * height;
  const data = new Uint32Array(total);
  const cache = cacheBits > 0 ? new Uint32Array(1 << cacheBits) : null;
  const cacheShift = 32 - cacheBits;
  const { groups, meta, metaBits } = codes;
  const metaW = meta ? subSampleSize(width, metaBits) : 0;
  const mask = meta ? (1 << metaBits) - 1 : -1;
  let pos = 0, x = 0, y = 0;
  let cached = 0; // pixels before this index are in the colour cache
  let group = groups[0];
  const groupAt = (gx: number, gy: number) =>
    groups[meta![(gy >> metaBits) * metaW + (gx >> metaBits)]];
  if (meta) group = groupAt(0, 0);
  const insertUpTo = (end: number) => {
    for (; cached < end; cached++) {
      cache![Math.imul(data[cached], 0x1e35a7bd) >>> cacheShift] = data[cached];
    }
  };
  while (pos < total) {
    if (meta && (x & mask) === 0) group = groupAt(x, y);
    const code = readSymbol(group[0], br);
    if (code < 256) {
      const red = readSymbol(group[1], br);
      const blue = readSymbol(group[2], br);
      const alpha = readSymbol(group[3], br);
      data[pos++] = ((alpha << 24) | (red << 16) | (code << 8) | blue) >>> 0;
      if (++x === width) {
        x = 0;
        y++;
        if (cache) insertUpTo(pos);
        br.check();
      }
    } else if (code < 256 + 24) {
      const length = prefixValue(code - 256, br);
      const distCode = prefixValue(readSymbol(group[4], br), br);
      let dist: number;
      if (distCode > 120) {
        dist = distCode - 120;
      } else {
        const d = DIST_MAP[distCode - 1];
        dist = (d >> 4) * width + 8 - (d & 0xf);
        if (dist < 1) dist = 1;
      }
      br.check();
      if (dist > pos || length > total - pos) throw bad("backward reference is out of bounds");
      for (let i = 0; i < length; i++, pos++) data[pos] = data[pos - dist];
      x += length;
      while (x >= width) {
        x -= width;
        y++;
      }
      if (meta && (x & mask) !== 0) group = groupAt(x, y);
      if (cache) insertUpTo(pos);
    } else {
      if (!cache) throw bad("colour cache code without a cache");
      insertUpTo(pos);
      data[pos++] = cache[code - 280];
      if (++x === width) {
        x = 0;
        y++;
        insertUpTo(pos);
        br.check();
      }
    }
  }
  br.check();
  return data;
}
