// ftfy's fix_encoding (ftfy 6.3.1 __init__.py): when text looks like mojibake, re-encode it
// in the single-byte page it was wrongly decoded with and decode it as UTF-8 again.

import { isBad } from "./badness.ts";
import { A_GRAVE_WORD, ALTERED_UTF8, C1_CONTROL, LOSSY_UTF8, utf8Detector } from "./chardata.ts";
import {
  charmap,
  charmaps,
  decodeUtf8Variants,
  encodeCharmap,
  isAscii,
  possibleEncoding,
} from "./codecs.ts";
import { fixC1Controls } from "./fixes.ts";

/** Bound on repeated passes; ftfy loops until nothing changes, which takes a handful. */
const MAX_PASSES = 64;

/**
 * restore_byte_a0 on bytes: put back 0xA0 where a space broke an otherwise valid UTF-8
 * sequence ("Ã " as a word first gains an A0 before its space).
 */
export function restoreByteA0(bin: string): string {
  const s = bin.replace(A_GRAVE_WORD, "\xc3\xa0 ");
  return s.replace(ALTERED_UTF8, (m) => m.replaceAll(" ", "\xa0"));
}

/** replace_lossy_sequences on bytes: UTF-8 sequences with lost bytes become U+FFFD's bytes. */
export function replaceLossySequences(bin: string): string {
  return bin.replace(LOSSY_UTF8, "\xef\xbf\xbd");
}

/** decode_inconsistent_utf8: fixes mojibake runs embedded in otherwise fine text. */
export function decodeInconsistentUtf8(text: string): string {
  return text.replace(utf8Detector(), (sub) => {
    // Only a proper substring, so the recursion ends.
    return sub.length < text.length && isBad(sub) ? fixEncoding(sub) : sub;
  });
}

/** One step of fix_encoding; returns the text unchanged when it finds nothing to do. */
export function fixEncodingOneStep(text: string): string {
  if (text.length === 0 || isAscii(text) || !isBad(text)) return text;
  const possible: string[] = [];
  for (const cm of charmaps()) {
    if (!possibleEncoding(text, cm)) continue;
    possible.push(cm.name);
    let bytes = encodeCharmap(text, cm);
    ALTERED_UTF8.lastIndex = 0;
    // Not in MacRoman, where it would turn "– " (en dash, space) into false positives.
    if (cm.name !== "macroman" && ALTERED_UTF8.test(bytes)) bytes = restoreByteA0(bytes);
    if (cm.sloppy) bytes = replaceLossySequences(bytes);
    const fixed = decodeUtf8Variants(bytes);
    // The first page whose bytes decode as UTF-8 wins, whatever the result looks like.
    if (fixed !== null) return fixed;
  }
  const detector = utf8Detector();
  detector.lastIndex = 0;
  if (detector.test(text)) {
    detector.lastIndex = 0;
    const fixed = decodeInconsistentUtf8(text);
    if (fixed !== text) return fixed;
  }
  if (possible.includes("latin-1")) {
    // ftfy then checks `"windows-1252" in possible`, but its list holds the name
    // "sloppy-windows-1252", so that test is never true; we reproduce that: go straight to
    // re-reading Latin-1 as (strict) Windows-1252, which fails on its five undefined bytes.
    const fixed = latin1AsWindows1252(text);
    if (fixed !== null && fixed !== text) return fixed;
  }
  if (C1_CONTROL.test(text)) return fixC1Controls(text);
  return text;
}

const UNDEFINED_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** text.encode("latin-1").decode("windows-1252"), or null where CPython would raise. */
function latin1AsWindows1252(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    if (UNDEFINED_1252.has(text.charCodeAt(i))) return null;
  }
  // Latin-1 bytes are the char codes; strict cp1252 equals the sloppy page on defined bytes,
  // except that byte 0x1A is itself (the sloppy page's U+FFFD marker does not apply).
  const cp = charmap("sloppy-windows-1252");
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c === 0x1a ? "\x1a" : String.fromCharCode(cp.decode[c]);
  }
  return out;
}

/** ftfy.fix_encoding: repeat one step until the text stops changing. */
export function fixEncoding(text: string): string {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = fixEncodingOneStep(text);
    if (next === text) return text;
    text = next;
  }
  return text;
}
