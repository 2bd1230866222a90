// Byte-level symbols: GPT-2/CLIP's bytes_to_unicode() table, and UTF-8 encoding of a piece.

/**
 * The 256 byte symbols in id order (ids 0..255 of the CLIP vocabulary): the printable bytes
 * '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves; the other bytes, in byte order, map to
 * U+0100 onwards. BYTE_SYMBOLS[k] is [byte, symbol].
 */
export const BYTE_SYMBOLS: ReadonlyArray<readonly [number, string]> = (() => {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: [number, string][] = [];
  for (let b = 0; b < 256; b++) if (printable(b)) out.push([b, String.fromCharCode(b)]);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable(b)) out.push([b, String.fromCharCode(256 + n++)]);
  return out;
})();

/** Symbol (one character) of each byte value. */
export const BYTE_ENCODER: readonly string[] = (() => {
  const t = new Array<string>(256);
  for (const [b, s] of BYTE_SYMBOLS) t[b] = s;
  return t;
})();

/** Byte value of each symbol character, or -1. Indexed by char code (< 0x144). */
export const BYTE_DECODER: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1);
  for (const [b, s] of BYTE_SYMBOLS) t[s.charCodeAt(0)] = b;
  return t;
})();

/**
 * UTF-8 bytes of `s` into `out` (grown as needed); returns the byte count. A lone surrogate
 * becomes U+FFFD (CPython would raise; the cleaner never lets one through).
 */
export function utf8Into(s: string, out: { buf: Uint8Array }): number {
  let buf = out.buf;
  if (buf.length < s.length * 3) buf = out.buf = new Uint8Array(s.length * 3 + 16);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
    } else if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = s.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          buf[n++] = 0xf0 | (c >> 18);
          buf[n++] = 0x80 | ((c >> 12) & 63);
          buf[n++] = 0x80 | ((c >> 6) & 63);
          buf[n++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 63);
      buf[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}
