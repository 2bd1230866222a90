// zlib/DEFLATE decoder (RFC 1950/1951) that fills an output buffer of a size the caller already
// knows and stops there: image data needs exactly that many bytes, so anything the stream would
// produce beyond it is never inflated (a zip bomb costs no more than the image it claims to be).
// It accepts what zlib accepts (incomplete codes only when a single 1-bit code, empty distance
// code when no match is used) so every file Pillow opens opens here. Like Pillow, it does not
// verify the Adler-32 trailer, which is only reached after the last needed byte (PNG chunk CRCs
// cover the data instead).

import { EdgeClipError } from "../errors.ts";

// Length symbols 257..285 and distance symbols 0..29: extra-bit counts per RFC 1951 §3.2.5, bases
// accumulated from them (length 285 is the special 258 with no extra bits).
const LEN_EXTRA = Uint8Array.from({ length: 29 }, (_, i) => (i < 8 || i === 28 ? 0 : (i - 4) >> 2));
const LEN_BASE = bases(LEN_EXTRA, 3);
LEN_BASE[28] = 258;
const DIST_EXTRA = Uint8Array.from({ length: 30 }, (_, i) => (i < 4 ? 0 : (i >> 1) - 1));
const DIST_BASE = bases(DIST_EXTRA, 1);

function bases(extra: Uint8Array, first: number): Uint16Array {
  const b = new Uint16Array(extra.length);
  for (let i = 0, v = first; i < extra.length; v += 1 << extra[i], i++) b[i] = v;
  return b;
}

/** Order in which code-length code lengths are stored (RFC 1951 §3.2.7). */
const CL_ORDER = Uint8Array.of(16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15);

function fail(what: string, msg: string): never {
  throw new EdgeClipError("image_decode", `${what}: corrupt compressed data (${msg})`);
}

/**
 * A decoding table indexed by the next `bits` input bits (LSB first): entry = symbol << 4 | code
 * length, 0 = no code. Sized for the longest code, so one lookup decodes any symbol.
 */
interface Table {
  map: Uint16Array;
  mask: number;
}

const enum Kind {
  CodeLengths,
  LitLen,
  Dist,
}

/** Builds a canonical Huffman table from code lengths (0 = unused); rejects what zlib rejects. */
function buildTable(
  lens: Uint8Array,
  n: number,
  kind: Kind,
  into: Uint16Array,
  what: string,
): Table {
  const count = new Uint16Array(16);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const l = lens[i];
    count[l]++;
    if (l > max) max = l;
  }
  const size = 1 << max;
  const map = into.subarray(0, size);
  map.fill(0);
  if (max === 0) return { map, mask: 0 }; // no codes: any lookup is an error
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - count[l];
    if (left < 0) fail(what, "over-subscribed Huffman code");
  }
  if (left > 0 && (kind === Kind.CodeLengths || max !== 1)) fail(what, "incomplete Huffman code");
  // Canonical codes: the first code of each length follows the last of the previous length.
  const next = new Uint16Array(16);
  for (let l = 2, code = 0; l <= 15; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  for (let sym = 0; sym < n; sym++) {
    const l = lens[sym];
    if (l === 0) continue;
    const code = next[l]++;
    let rev = 0;
    for (let b = 0; b < l; b++) rev |= ((code >>> b) & 1) << (l - 1 - b);
    const entry = (sym << 4) | l;
    for (let i = rev; i < size; i += 1 << l) map[i] = entry;
  }
  return { map, mask: size - 1 };
}

let fixedLit: Table | null = null;
let fixedDist: Table | null = null;

function fixedTables(): [Table, Table] {
  if (!fixedLit || !fixedDist) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    fixedLit = buildTable(l, 288, Kind.LitLen, new Uint16Array(1 << 9), "fixed");
    // All 32 five-bit codes exist; symbols 30 and 31 are rejected when used.
    const d = new Uint8Array(32).fill(5);
    fixedDist = buildTable(d, 32, Kind.Dist, new Uint16Array(1 << 5), "fixed");
  }
  return [fixedLit, fixedDist];
}

/** Checks the 2-byte zlib header; returns the raw DEFLATE data after it. */
function zlibBody(src: Uint8Array, what: string): Uint8Array {
  if (src.length < 2) fail(what, "no zlib header");
  const cmf = src[0], flg = src[1];
  if ((cmf & 15) !== 8 || cmf >> 4 > 7) fail(what, "not a deflate stream");
  if ((cmf * 256 + flg) % 31 !== 0) fail(what, "bad zlib header check");
  if (flg & 32) fail(what, "preset dictionary not allowed");
  return src.subarray(2);
}

/**
 * Inflates the zlib stream `src` into `out` until `out` is full, then stops; returns how many
 * bytes of `src` that used. Throws `EdgeClipError("image_decode")` naming `what` if the stream is
 * corrupt, truncated, or ends before `out` is full.
 */
export function inflateZlibInto(src: Uint8Array, out: Uint8Array, what: string): number {
  return 2 + inflateRawInto(zlibBody(src, what), out, what);
}

/** Inflates a raw DEFLATE stream into `out` until it is full (see `inflateZlibInto`). */
export function inflateRawInto(d: Uint8Array, out: Uint8Array, what: string): number {
  const used = { n: 0 };
  inflate(d, out, what, false, used);
  return used.n;
}

/**
 * Inflates a whole zlib stream of unknown size (text chunks), refusing more than `maxLen` bytes
 * of output (Pillow refuses text chunks over 1 MiB the same way).
 */
export function inflateZlibAll(src: Uint8Array, maxLen: number, what: string): Uint8Array {
  const out = new Uint8Array(maxLen + 1);
  const n = inflate(zlibBody(src, what), out, what, true, { n: 0 });
  if (n > maxLen) fail(what, `inflates to more than ${maxLen} bytes`);
  return out.subarray(0, n);
}

/**
 * The decoder. Stops when `out` is full; at the end of the stream returns the bytes produced if
 * `toEnd`, else fails (the caller needed more). Sets `used.n` to the input bytes consumed.
 */
function inflate(
  d: Uint8Array,
  out: Uint8Array,
  what: string,
  toEnd: boolean,
  used: { n: number },
): number {
  const outLen = out.length;
  if (outLen === 0) return 0;
  const totalBits = d.length * 8;
  const litBuf = new Uint16Array(1 << 15), distBuf = new Uint16Array(1 << 15);
  const clBuf = new Uint16Array(1 << 7);
  const lens = new Uint8Array(320);
  let pos = 0; // bit position in d
  let op = 0; // bytes written to out
  let final = 0;
  while (!final) {
    if (pos + 3 > totalBits) fail(what, "truncated");
    const hdr = (d[pos >>> 3] | (d[(pos >>> 3) + 1] << 8)) >>> (pos & 7);
    final = hdr & 1;
    const type = (hdr >>> 1) & 3;
    pos += 3;
    if (type === 0) {
      let i = (pos + 7) >>> 3;
      if (i + 4 > d.length) fail(what, "truncated");
      const len = d[i] | (d[i + 1] << 8), nlen = d[i + 2] | (d[i + 3] << 8);
      if (len !== (~nlen & 0xffff)) fail(what, "stored block length check");
      i += 4;
      const take = Math.min(len, outLen - op);
      if (i + take > d.length) fail(what, "truncated");
      out.set(d.subarray(i, i + take), op);
      op += take;
      if (op === outLen) {
        used.n = i + take;
        return op;
      }
      if (i + len > d.length) fail(what, "truncated");
      pos = (i + len) * 8;
      continue;
    }
    let lit: Table, dist: Table;
    if (type === 1) {
      [lit, dist] = fixedTables();
    } else if (type === 2) {
      if (pos + 14 > totalBits) fail(what, "truncated");
      const h = (d[pos >>> 3] | (d[(pos >>> 3) + 1] << 8) | (d[(pos >>> 3) + 2] << 16)) >>>
        (pos & 7);
      const hlit = (h & 31) + 257, hdist = ((h >>> 5) & 31) + 1, hclen = ((h >>> 10) & 15) + 4;
      pos += 14;
      if (hlit > 286 || hdist > 30) fail(what, "too many length or distance symbols");
      lens.fill(0, 0, 19);
      for (let i = 0; i < hclen; i++) {
        const o = pos >>> 3;
        lens[CL_ORDER[i]] = ((d[o] | (d[o + 1] << 8)) >>> (pos & 7)) & 7;
        pos += 3;
      }
      const cl = buildTable(lens, 19, Kind.CodeLengths, clBuf, what);
      const n = hlit + hdist;
      lens.fill(0, 0, n);
      for (let i = 0; i < n;) {
        if (pos > totalBits) fail(what, "truncated");
        let o = pos >>> 3;
        const e = cl.map[((d[o] | (d[o + 1] << 8)) >>> (pos & 7)) & cl.mask];
        if (e === 0) fail(what, "invalid code-length code");
        pos += e & 15;
        const sym = e >>> 4;
        if (sym < 16) {
          lens[i++] = sym;
          continue;
        }
        o = pos >>> 3;
        const b = (d[o] | (d[o + 1] << 8)) >>> (pos & 7);
        let rep: number, val = 0;
        if (sym === 16) {
          if (i === 0) fail(what, "repeat with no previous length");
          val = lens[i - 1];
          rep = 3 + (b & 3);
          pos += 2;
        } else if (sym === 17) {
          rep = 3 + (b & 7);
          pos += 3;
        } else {
          rep = 11 + (b & 127);
          pos += 7;
        }
        if (i + rep > n) fail(what, "code lengths overflow");
        lens.fill(val, i, i + rep);
        i += rep;
      }
      if (pos > totalBits) fail(what, "truncated");
      if (lens[256] === 0) fail(what, "no end-of-block code");
      lit = buildTable(lens, hlit, Kind.LitLen, litBuf, what);
      dist = buildTable(lens.subarray(hlit), hdist, Kind.Dist, distBuf, what);
    } else {
      fail(what, "invalid block type");
    }
    const lmap = lit.map, lmask = lit.mask, dmap = dist.map, dmask = dist.mask;
    // Hot loop: one table lookup per symbol; 3-byte windows cover any code plus its shift.
    for (;;) {
      let o = pos >>> 3;
      const e = lmap[((d[o] | (d[o + 1] << 8) | (d[o + 2] << 16)) >>> (pos & 7)) & lmask];
      if (e === 0) fail(what, "invalid literal/length code");
      pos += e & 15;
      const sym = e >>> 4;
      if (sym < 256) {
        if (pos > totalBits) fail(what, "truncated");
        out[op++] = sym;
        if (op === outLen) {
          used.n = (pos + 7) >>> 3;
          return op;
        }
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li > 28) fail(what, "invalid length symbol");
      let len = LEN_BASE[li];
      const lx = LEN_EXTRA[li];
      if (lx) {
        o = pos >>> 3;
        len += ((d[o] | (d[o + 1] << 8)) >>> (pos & 7)) & ((1 << lx) - 1);
        pos += lx;
      }
      o = pos >>> 3;
      const de = dmap[((d[o] | (d[o + 1] << 8) | (d[o + 2] << 16)) >>> (pos & 7)) & dmask];
      if (de === 0) fail(what, "invalid distance code");
      pos += de & 15;
      const ds = de >>> 4;
      if (ds > 29) fail(what, "invalid distance symbol");
      let dd = DIST_BASE[ds];
      const dx = DIST_EXTRA[ds];
      if (dx) {
        o = pos >>> 3;
        dd += ((d[o] | (d[o + 1] << 8) | (d[o + 2] << 16)) >>> (pos & 7)) & ((1 << dx) - 1);
        pos += dx;
      }
      if (pos > totalBits) fail(what, "truncated");
      if (dd > op) fail(what, "distance too far back");
      let end = op + len;
      if (end > outLen) end = outLen;
      let s = op - dd;
      while (op < end) out[op++] = out[s++];
      if (op === outLen) {
        used.n = (pos + 7) >>> 3;
        return op;
      }
    }
    if (pos > totalBits) fail(what, "truncated");
  }
  used.n = (pos + 7) >>> 3;
  if (toEnd) return op;
  fail(what, `stream ends after ${op} of ${outLen} bytes`);
}
