// Byte-level codecs ftfy's fix_encoding needs: single-byte code pages (encode text back to the
// bytes it was mis-decoded from) and a strict UTF-8 decoder with ftfy's "utf-8-variants"
// extensions. Bytes are held as binary strings (one char per byte, 0..255) so byte regexes run
// as ordinary JS regexes.

import { CHARMAPS } from "../_data/charmaps.ts";

/** A single-byte code page. */
export interface Charmap {
  readonly name: string;
  /** ftfy's "sloppy" codecs: undefined bytes pass through as Latin-1, byte 0x1A means U+FFFD. */
  readonly sloppy: boolean;
  /** Char code of each byte 0..255. */
  readonly decode: Uint16Array;
  /** Char code → byte. */
  readonly encode: ReadonlyMap<number, number>;
}

let maps: Charmap[] | undefined;

/** The code pages, in the order ftfy tries them (latin-1, sloppy-windows-1252, …, cp437). */
export function charmaps(): readonly Charmap[] {
  if (maps) return maps;
  maps = CHARMAPS.map(([name, sloppy, high]) => {
    const decode = new Uint16Array(256);
    for (let b = 0; b < 128; b++) decode[b] = b;
    for (let b = 128; b < 256; b++) decode[b] = high.charCodeAt(b - 128);
    if (sloppy) decode[0x1a] = 0xfffd;
    const encode = new Map<number, number>();
    for (let b = 255; b >= 0; b--) encode.set(decode[b], b);
    return { name, sloppy, decode, encode };
  });
  return maps;
}

/** The code page called `name`. */
export function charmap(name: string): Charmap {
  const m = charmaps().find((c) => c.name === name);
  if (!m) throw new Error(`no code page ${name}`);
  return m;
}

/** True if every character of `text` has a byte in `cm` (ftfy's possible_encoding). */
export function possibleEncoding(text: string, cm: Charmap): boolean {
  for (let i = 0; i < text.length; i++) {
    if (!cm.encode.has(text.charCodeAt(i))) return false;
  }
  return true;
}

/** True if `text` is all ASCII. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Encodes `text` (which must be possible) to a binary string. */
export function encodeCharmap(text: string, cm: Charmap): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    out += String.fromCharCode(cm.encode.get(text.charCodeAt(i))!);
  }
  return out;
}

/** Decodes a binary string with a code page. */
export function decodeCharmap(bin: string, cm: Charmap): string {
  let out = "";
  for (let i = 0; i < bin.length; i++) out += String.fromCharCode(cm.decode[bin.charCodeAt(i)]);
  return out;
}

const cont = (b: number) => b >= 0x80 && b <= 0xbf;

/**
 * Strict UTF-8 decoding of a binary string, as CPython's "utf-8" codec with ftfy's
 * "utf-8-variants" additions: `C0 80` is U+0000 (Java) and a CESU-8 surrogate pair
 * `ED A0-AF xx ED B0-BF xx` is the astral character it encodes. Returns null where CPython
 * would raise UnicodeDecodeError. (ftfy uses the variants codec only when bytes C0 or ED occur;
 * without them the two codecs agree, so this one always applies.)
 */
export function decodeUtf8Variants(bin: string): string | null {
  const n = bin.length;
  const b = (i: number) => (i < n ? bin.charCodeAt(i) : -1);
  const parts: number[] = [];
  let out = "";
  for (let i = 0; i < n;) {
    const c = b(i);
    let cp: number;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if (c === 0xc0 && b(i + 1) === 0x80) {
      cp = 0;
      i += 2;
    } else if (
      c === 0xed && b(i + 1) >= 0xa0 && b(i + 1) <= 0xaf && cont(b(i + 2)) && b(i + 3) === 0xed &&
      b(i + 4) >= 0xb0 && b(i + 4) <= 0xbf && cont(b(i + 5))
    ) {
      cp = 0x10000 + ((b(i + 1) & 0x0f) << 16) + ((b(i + 2) & 0x3f) << 10) +
        ((b(i + 4) & 0x0f) << 6) + (b(i + 5) & 0x3f);
      i += 6;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (!cont(b(i + 1))) return null;
      cp = ((c & 0x1f) << 6) | (b(i + 1) & 0x3f);
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const c1 = b(i + 1);
      const lo = c === 0xe0 ? 0xa0 : 0x80, hi = c === 0xed ? 0x9f : 0xbf;
      if (c1 < lo || c1 > hi || !cont(b(i + 2))) return null;
      cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (b(i + 2) & 0x3f);
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const c1 = b(i + 1);
      const lo = c === 0xf0 ? 0x90 : 0x80, hi = c === 0xf4 ? 0x8f : 0xbf;
      if (c1 < lo || c1 > hi || !cont(b(i + 2)) || !cont(b(i + 3))) return null;
      cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((b(i + 2) & 0x3f) << 6) | (b(i + 3) & 0x3f);
      i += 4;
    } else {
      return null;
    }
    parts.push(cp);
    if (parts.length >= 4096) {
      out += String.fromCodePoint(...parts);
      parts.length = 0;
    }
  }
  return out + String.fromCodePoint(...parts);
}
