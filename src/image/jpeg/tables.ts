// DQT and DHT segments (T.81 B.2.4.1, B.2.4.2) with libjpeg-turbo 2.1's checks (jdmarker.c
// get_dqt, get_dht), and the zigzag order both the tables and the coefficients use.

import { EdgeClipError } from "../../errors.ts";
import type { HuffmanSpec } from "./huffman.ts";

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `JPEG: ${msg}`);
}

/** Natural (row-major) index of each zigzag position; 16 extra entries as libjpeg keeps. */
// deno-fmt-ignore
export const NATURAL_ORDER = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
  58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
  // A corrupt run can push the index past 63; libjpeg then writes coefficient 63.
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/** Reads a DHT segment's tables into the DC/AC slots (4 each). */
export function readDht(
  b: Uint8Array,
  [s, e]: [number, number],
  dc: (HuffmanSpec | null)[],
  ac: (HuffmanSpec | null)[],
): void {
  let p = s;
  while (e - p > 16) {
    const index = b[p];
    const counts = new Uint8Array(17);
    let count = 0;
    for (let l = 1; l <= 16; l++) count += counts[l] = b[p + l];
    p += 17;
    if (count > 256 || count > e - p) bad("bad Huffman table");
    const symbols = b.slice(p, p + count);
    p += count;
    const slot = index & 0x0f;
    if ((index & 0xef) !== slot || slot >= 4) {
      bad(`bad Huffman table index 0x${index.toString(16)}`);
    }
    (index & 0x10 ? ac : dc)[slot] = { counts, symbols };
  }
  if (p !== e) bad("bad DHT length");
}

/**
 * Reads a DQT segment's tables (8- or 16-bit entries) into natural order, as libjpeg keeps
 * multipliers: 16-bit signed.
 */
export function readDqt(
  b: Uint8Array,
  [s, e]: [number, number],
  tables: (Int32Array | null)[],
): void {
  let p = s;
  while (p < e) {
    const prec = b[p] >> 4, t = b[p] & 15;
    p++;
    if (t >= 4) bad(`bad quantization table index ${t}`);
    const bytes = prec ? 128 : 64;
    if (e - p < bytes) bad("bad DQT length");
    const q = new Int32Array(64);
    for (let i = 0; i < 64; i++) {
      const v = prec ? (b[p + 2 * i] << 8) | b[p + 2 * i + 1] : b[p + i];
      // libjpeg keeps multipliers as 16-bit signed (ISLOW_MULT_TYPE is short)
      q[NATURAL_ORDER[i]] = (v << 16) >> 16;
    }
    tables[t] = q;
    p += bytes;
  }
}
