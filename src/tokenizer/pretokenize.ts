// CLIP's split pattern, as a hand-written scanner over code points:
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// compiled by Python's `regex` module with IGNORECASE. The classes come from that module's own
// Unicode 15.0 tables (generated), not from the JS engine's, so the split is the reference's.

import { LITERAL_CASE_VARIANTS, PRETOKEN_CLASS_RUNS } from "./_data/unicode_classes.ts";
import { lazyTable } from "./unicode_tables.ts";

/** The literal start-of-text string. */
export const SOT_TEXT = "<|startoftext|>";
/** The literal end-of-text string. */
export const EOT_TEXT = "<|endoftext|>";

const LETTER = 1, DIGIT = 2, OTHER = 3;
const classes = lazyTable(PRETOKEN_CLASS_RUNS);

// IGNORECASE: a letter of a literal matches each character that case-folds to it (e.g. 'ſ' for
// 's'). Keyed by the literal letter's char code.
const VARIANTS: Map<number, string> = new Map(
  Object.entries(LITERAL_CASE_VARIANTS).map(([k, v]) => [k.charCodeAt(0), v]),
);

function same(text: string, i: number, lit: number): boolean {
  const c = text.charCodeAt(i);
  if (c === lit) return true;
  const v = VARIANTS.get(lit);
  return v !== undefined && v.includes(text[i]);
}

function matchLiteral(text: string, i: number, lit: string): number {
  if (i + lit.length > text.length) return 0;
  for (let k = 0; k < lit.length; k++) {
    if (!same(text, i + k, lit.charCodeAt(k))) return 0;
  }
  return lit.length;
}

const S = 0x73, T = 0x74, R = 0x72, E = 0x65, V = 0x76, M = 0x6d, L = 0x6c, D = 0x64;

/** Length of the contraction `'s|'t|'re|'ve|'m|'ll|'d` at i (text[i] is "'"), or 0. */
function matchContraction(text: string, i: number): number {
  const j = i + 1;
  if (j >= text.length) return 0;
  if (same(text, j, S) || same(text, j, T)) return 2;
  const two = j + 1 < text.length;
  if (two && same(text, j, R) && same(text, j + 1, E)) return 3;
  if (two && same(text, j, V) && same(text, j + 1, E)) return 3;
  if (same(text, j, M)) return 2;
  if (two && same(text, j, L) && same(text, j + 1, L)) return 3;
  if (same(text, j, D)) return 2;
  return 0;
}

function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function classAt(text: string, i: number, w: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return asciiClass[c];
  return classes().get(w === 2 ? text.codePointAt(i)! : c);
}

// ASCII classes without a table lookup (letters, digits, whitespace, the rest).
const asciiClass = new Uint8Array(128).map((_, c) => {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return LETTER;
  if (c >= 0x30 && c <= 0x39) return DIGIT;
  if ((c >= 0x09 && c <= 0x0d) || c === 0x20) return 0;
  return OTHER;
});

/**
 * Splits cleaned, lower-cased text into the pieces `regex.findall` yields for CLIP's pattern.
 * Characters no branch matches (whitespace, and U+0345, which IGNORECASE excludes from every
 * class) are skipped, as findall skips them.
 */
export function splitPieces(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x3c) {
      const m = matchLiteral(text, i, SOT_TEXT) || matchLiteral(text, i, EOT_TEXT);
      if (m) {
        out.push(text.slice(i, i + m));
        i += m;
        continue;
      }
    } else if (c === 0x27) {
      const m = matchContraction(text, i);
      if (m) {
        out.push(text.slice(i, i + m));
        i += m;
        continue;
      }
    }
    let w = codePointWidth(text, i);
    const cls = classAt(text, i, w);
    if (cls === DIGIT) {
      out.push(text.slice(i, i + w));
      i += w;
    } else if (cls === LETTER || cls === OTHER) {
      let j = i + w;
      while (j < n) {
        w = codePointWidth(text, j);
        if (classAt(text, j, w) !== cls) break;
        j += w;
      }
      out.push(text.slice(i, j));
      i = j;
    } else {
      i += w;
    }
  }
  return out;
}
