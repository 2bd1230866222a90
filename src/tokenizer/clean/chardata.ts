// Patterns fix_encoding uses (ftfy 6.3.1 chardata.py / fixes.py). The UTF-8 "clue" classes are
// derived here from the code pages by ftfy's rule rather than listed: the characters that lead
// bytes (0xC2-0xDF, 0xE0-0xEF, 0xF0/0xF3) and continuation bytes (0x80-0xBF) decode to in
// Latin-1 and the sloppy Windows-1250/1/2/3/4/7 pages.

import { charmaps } from "./codecs.ts";

const CLUE_PAGES = [
  "latin-1",
  "sloppy-windows-1252",
  "sloppy-windows-1250",
  "sloppy-windows-1251",
  "sloppy-windows-1253",
  "sloppy-windows-1254",
  "sloppy-windows-1257",
];

// Continuation-looking characters that also stand for themselves next to mojibake (space,
// dashes, quotes, bullet, ellipsis): accepted inside a sequence, not in the lookbehind.
const LOOSE_CONTINUATION = " \u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026";

function charsOf(bytes: number[]): string {
  const set = new Set<number>();
  for (const cm of charmaps()) {
    if (!CLUE_PAGES.includes(cm.name)) continue;
    for (const b of bytes) set.add(cm.decode[b]);
  }
  return [...set].sort((a, b) => a - b).map((c) => escapeClass(c)).join("");
}

function escapeClass(c: number): string {
  return "\\u" + c.toString(16).padStart(4, "0");
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

function buildDetector(): RegExp {
  const first2 = charsOf(range(0xc2, 0xdf));
  const first3 = charsOf(range(0xe0, 0xef));
  const first4 = charsOf([0xf0, 0xf3]);
  const contBytes = charsOf(range(0x80, 0xbf));
  const cont = `[\\x80-\\xbf${contBytes}${
    [...LOOSE_CONTINUATION].map((c) => escapeClass(c.charCodeAt(0))).join("")
  }]`;
  const strictChars = [...new Set(contBytes.match(/\\u[0-9a-f]{4}/g)!)]
    .filter((e) => !LOOSE_CONTINUATION.includes(String.fromCharCode(parseInt(e.slice(2), 16))))
    .join("");
  const strict = `[\\x80-\\xbf${strictChars}]`;
  return new RegExp(
    `(?<!${strict})(?:[${first2}]${cont}|[${first3}]${cont}{2}|[${first4}]${cont}{3})+`,
    "gu",
  );
}

let detector: RegExp | undefined;

/** UTF8_DETECTOR_RE: runs of characters that look like UTF-8 read as a single-byte page. */
export function utf8Detector(): RegExp {
  return (detector ??= buildDetector());
}

/**
 * ALTERED_UTF8_RE on bytes: UTF-8 sequences that would be valid if a byte 0x20 were 0xA0 (some
 * program turned U+00A0 into a space).
 */
export const ALTERED_UTF8 = new RegExp(
  "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]" +
    "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]" +
    "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]" +
    "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]" +
    "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]" +
    "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]",
  "g",
);

/**
 * LOSSY_UTF8_RE on bytes: UTF-8 (or CESU-8) sequences with continuation bytes lost to U+FFFD
 * (encoded as 0x1A by the sloppy pages) or, once per sequence, '?'.
 */
export const LOSSY_UTF8 = new RegExp(
  "[\\xc2-\\xdf][\\x1a]" +
    "|[\\xc2-\\xc3][?]" +
    "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]" +
    "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]" +
    "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]" +
    "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]" +
    "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]" +
    "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]" +
    "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]" +
    "|\\x1a",
  "g",
);

/**
 * A_GRAVE_WORD_RE on bytes: "Ã " as a word is usually "à" whose U+00A0 became a space; keep the
 * space and restore the A0, except before Portuguese "às", "àquele", "àquela", "àquilo".
 */
export const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;

/** C1 control characters. */
export const C1_CONTROL = /[\x80-\x9f]/;
export const C1_CONTROL_G = /[\x80-\x9f]/g;
