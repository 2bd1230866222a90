// Canonical prefix codes of VP8L (RFC 9649 §3.7.2): reading a code's lengths (simple or
// length-coded form) and building a two-level lookup table. A code is accepted as libwebp
// accepts it: at least one used symbol, and either exactly one symbol (it then takes no bits) or
// a complete code (Kraft sum exactly 1).

import { EdgeClipError } from "../../../errors.ts";
import type { LosslessBitReader } from "./bit_reader.ts";

const ROOT_BITS = 8;
const SUB_FLAG = 0x40000000;

/** Order in which code-length code lengths are stored. */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: lossless ${what}`);

/**
 * A lookup table: a root of 2^min(longest code, 8) entries, then the second-level tables of
 * codes longer than 8 bits. Entries are `(length << 16) | symbol`, or for root entries of long
 * codes `SUB_FLAG | (subtableBits << 16) | subtableOffset`. Small codes get small tables (a
 * single-symbol code one entry), which bounds the memory a file of many groups can claim.
 */
export type HuffmanTable = Int32Array;

function reverseBits(v: number, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++, v >>= 1) r = (r << 1) | (v & 1);
  return r;
}

/** Builds the table of a code given its lengths (0 = unused), or throws if it is invalid. */
export function buildHuffman(lengths: ArrayLike<number>, n: number): HuffmanTable {
  const count = new Int32Array(16);
  let used = 0, last = 0;
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (len > 15) throw bad("prefix code has a length above 15");
    if (len) {
      count[len]++;
      used++;
      last = s;
    }
  }
  if (used === 0) throw bad("prefix code has no symbols");
  if (used === 1) return Int32Array.of(last); // decoded without reading any bit
  let kraft = 0; // in units of 2^-15
  for (let len = 1; len <= 15; len++) kraft += count[len] << (15 - len);
  if (kraft !== 1 << 15) throw bad("prefix code is incomplete or over-subscribed");

  // Canonical codes: by length, then by symbol (count[0] is 0: unused symbols get no code).
  const next = new Int32Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }

  // Size each second-level table by the longest code under its 8-bit prefix.
  const subBits = new Int32Array(1 << ROOT_BITS);
  const codes = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (!len) continue;
    const rev = reverseBits(next[len]++, len);
    codes[s] = rev;
    if (len > ROOT_BITS) {
      const p = rev & ((1 << ROOT_BITS) - 1);
      if (len - ROOT_BITS > subBits[p]) subBits[p] = len - ROOT_BITS;
    }
  }
  let maxLen = 15;
  while (!count[maxLen]) maxLen--;
  const rootBits = Math.min(maxLen, ROOT_BITS);
  let size = 1 << rootBits;
  const offsets = new Int32Array(1 << ROOT_BITS);
  for (let p = 0; p < 1 << ROOT_BITS; p++) {
    if (subBits[p]) {
      offsets[p] = size;
      size += 1 << subBits[p];
    }
  }
  const table = new Int32Array(size);
  for (let p = 0; p < 1 << ROOT_BITS; p++) {
    if (subBits[p]) table[p] = SUB_FLAG | (subBits[p] << 16) | offsets[p];
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (!len) continue;
    const rev = codes[s];
    if (len <= ROOT_BITS) {
      for (let k = rev; k < 1 << rootBits; k += 1 << len) table[k] = (len << 16) | s;
    } else {
      const p = rev & ((1 << ROOT_BITS) - 1);
      const sb = subBits[p];
      const l2 = len - ROOT_BITS;
      for (let k = rev >>> ROOT_BITS; k < 1 << sb; k += 1 << l2) {
        table[offsets[p] + k] = (l2 << 16) | s;
      }
    }
  }
  return table;
}

/** Decodes one symbol. */
export function readSymbol(table: HuffmanTable, br: LosslessBitReader): number {
  const bits = br.peek24();
  const e = table[bits & ((table.length < 256 ? table.length : 256) - 1)];
  if (e & SUB_FLAG) {
    const sb = (e >> 16) & 0x1f;
    const e2 = table[(e & 0xffff) + ((bits >>> ROOT_BITS) & ((1 << sb) - 1))];
    br.skip(ROOT_BITS + (e2 >>> 16));
    return e2 & 0xffff;
  }
  br.skip(e >>> 16);
  return e & 0xffff;
}

/** Reads a prefix code over `alphabet` symbols (§3.7.2.1) and builds its table. */
export function readHuffmanCode(br: LosslessBitReader, alphabet: number): HuffmanTable {
  const lengths = new Uint8Array(alphabet);
  if (br.readBits(1)) {
    // Simple code: one or two symbols of length 1.
    const two = br.readBits(1);
    // A symbol beyond the alphabet is ignored, as libwebp ignores it (the code may then be
    // left with one symbol, or none, which is an error).
    const first = br.readBits(br.readBits(1) ? 8 : 1);
    if (first < alphabet) lengths[first] = 1;
    if (two) {
      const second = br.readBits(8);
      if (second < alphabet) lengths[second] = 1;
    }
  } else {
    const clLengths = new Uint8Array(19);
    const numCodes = br.readBits(4) + 4;
    for (let i = 0; i < numCodes; i++) clLengths[CODE_LENGTH_ORDER[i]] = br.readBits(3);
    readCodeLengths(br, buildHuffman(clLengths, 19), lengths, alphabet);
  }
  br.check();
  return buildHuffman(lengths, alphabet);
}

function readCodeLengths(
  br: LosslessBitReader,
  clTable: HuffmanTable,
  lengths: Uint8Array,
  alphabet: number,
): void {
  let maxSymbol = alphabet;
  if (br.readBits(1)) {
    const nbits = 2 + 2 * br.readBits(3);
    maxSymbol = 2 + br.readBits(nbits);
    if (maxSymbol > alphabet) throw bad("code-length count exceeds the alphabet");
  }
  let prev = 8;
  let s = 0;
  while (s < alphabet) {
    if (maxSymbol-- === 0) break;
    const len = readSymbol(clTable, br);
    if (len < 16) {
      lengths[s++] = len;
      if (len) prev = len;
    } else {
      const extra = len === 16 ? 2 : len === 17 ? 3 : 7;
      const repeat = br.readBits(extra) + (len === 18 ? 11 : 3);
      if (s + repeat > alphabet) throw bad("code-length repeat runs past the alphabet");
      lengths.fill(len === 16 ? prev : 0, s, s + repeat);
      s += repeat;
    }
    if (br.overrun) br.check();
  }
}
