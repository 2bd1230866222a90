// Huffman tables (T.81 Annex C/F.2.2.3): DHT contents → decoding tables, validated with
// libjpeg-turbo 2.1's rules (jdhuff.c jpeg_make_d_derived_tbl), plus the Annex K.3 default tables
// libjpeg-turbo installs for sequential files that define none (Motion-JPEG frames).

import { EdgeClipError } from "../../errors.ts";

/** A table as a DHT segment defines it: code counts per length 1..16 and the symbols. */
export interface HuffmanSpec {
  /** counts[l] = number of codes of length l (index 0 unused). */
  readonly counts: Uint8Array;
  readonly symbols: Uint8Array;
}

/** Bits resolved by one lookup in `HuffmanTable.fast`. */
export const HUFF_LOOKAHEAD = 9;

/** A decoding table: one lookup for codes up to HUFF_LOOKAHEAD bits, canonical ranges beyond. */
export interface HuffmanTable {
  /**
   * Indexed by the next HUFF_LOOKAHEAD bits: `(length << 8) | symbol` for a code of that length,
   * 0 when the code is longer (or the bits start no code).
   */
  readonly fast: Uint16Array;
  /** maxcode[l]: largest code of length l, −1 if none (index 17 is a sentinel). */
  readonly maxcode: Int32Array;
  /** valoffset[l]: index into `symbols` of the first code of length l, minus that code. */
  readonly valoffset: Int32Array;
  /** 256 entries (unused ones 0), so any index the ranges produce is in bounds. */
  readonly symbols: Uint8Array;
  /**
   * For AC tables, indexed like `fast`: when the code and its magnitude bits both fit in the
   * lookahead, `(value << 16) | (run << 8) | bitsUsed` with the value already sign-extended;
   * 0 otherwise (and for EOB/ZRL). Lets the wasm decoder resolve a coefficient in one lookup.
   */
  readonly acFast: Int32Array;
}

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `JPEG: ${msg}`);
}

/**
 * Builds the decoding table of a DHT table. `isDC` tables may only hold symbols 0..15 (the
 * magnitude categories libjpeg accepts); codes must form a valid prefix code (none all ones).
 */
export function buildHuffmanTable(spec: HuffmanSpec, isDC: boolean): HuffmanTable {
  const sizes: number[] = [];
  for (let l = 1; l <= 16; l++) {
    for (let i = 0; i < spec.counts[l]; i++) sizes.push(l);
  }
  if (sizes.length > 256 || sizes.length > spec.symbols.length) bad("bad Huffman table");
  // Canonical codes (Figure C.2); a code that no longer fits its length means the counts
  // describe an impossible tree.
  const codes = new Int32Array(sizes.length);
  let code = 0, si = sizes.length ? sizes[0] : 0, p = 0;
  while (p < sizes.length) {
    while (p < sizes.length && sizes[p] === si) codes[p++] = code++;
    if (code >= 1 << si) bad("bad Huffman table (code lengths overflow)");
    code <<= 1;
    si++;
  }
  const maxcode = new Int32Array(18).fill(-1);
  const valoffset = new Int32Array(18);
  p = 0;
  for (let l = 1; l <= 16; l++) {
    if (spec.counts[l]) {
      valoffset[l] = p - codes[p];
      p += spec.counts[l];
      maxcode[l] = codes[p - 1];
    }
  }
  maxcode[17] = 0xfffff;
  const symbols = new Uint8Array(256);
  symbols.set(spec.symbols.subarray(0, sizes.length));
  if (isDC) {
    for (let i = 0; i < sizes.length; i++) {
      if (symbols[i] > 15) bad(`bad Huffman table (DC symbol ${symbols[i]})`);
    }
  }
  const fast = new Uint16Array(1 << HUFF_LOOKAHEAD);
  for (let i = 0; i < sizes.length && sizes[i] <= HUFF_LOOKAHEAD; i++) {
    const l = sizes[i], shift = HUFF_LOOKAHEAD - l;
    const first = codes[i] << shift;
    fast.fill((l << 8) | symbols[i], first, first + (1 << shift));
  }
  const acFast = new Int32Array(1 << HUFF_LOOKAHEAD);
  if (!isDC) {
    for (let i = 0; i < acFast.length; i++) {
      const e = fast[i], len = e >> 8, size = e & 15, run = (e >> 4) & 15;
      if (!e || !size || len + size > HUFF_LOOKAHEAD) continue;
      const v = (i >> (HUFF_LOOKAHEAD - len - size)) & ((1 << size) - 1);
      const value = v < 1 << (size - 1) ? v - (1 << size) + 1 : v;
      acFast[i] = (value << 16) | (run << 8) | (len + size);
    }
  }
  return { fast, maxcode, valoffset, symbols, acFast };
}

// ---- Annex K.3 default tables (libjpeg-turbo jstdhuff.c installs them in slots 0 and 1) ------

const spec = (counts16: number[], symbols: number[]): HuffmanSpec => ({
  counts: Uint8Array.from([0, ...counts16]),
  symbols: Uint8Array.from(symbols),
});

const RANGE12 = Array.from({ length: 12 }, (_, i) => i);

// AC symbol lists of Annex K.3.3 (162 symbols each), as (run << 4 | size) bytes.
// deno-fmt-ignore
const AC_LUMA_SYMBOLS = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
  0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
  0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
  0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
  0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
  0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
  0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
];
// deno-fmt-ignore
const AC_CHROMA_SYMBOLS = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
  0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
  0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
  0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
  0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
  0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
  0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
];

/** Annex K.3 tables: DC luminance/chrominance (slots 0/1), AC luminance/chrominance (0/1). */
export const STD_HUFFMAN = {
  dc: [
    spec([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], RANGE12),
    spec([0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], RANGE12),
  ],
  ac: [
    spec([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d], AC_LUMA_SYMBOLS),
    spec([0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], AC_CHROMA_SYMBOLS),
  ],
} as const;
