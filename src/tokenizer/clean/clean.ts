// OpenAI's text preparation (clip/simple_tokenizer.py):
//   whitespace_clean(basic_clean(text)).lower()
//   basic_clean      = ftfy.fix_text → html.unescape(html.unescape(·)) → str.strip()
//   whitespace_clean = regex.sub(r"\s+", " ", ·) → str.strip()
// with the `regex` module's \s for the collapse and CPython's str.isspace() for strip().

import { PY_ISSPACE_RUNS, REGEX_SPACE_RUNS } from "../_data/unicode_classes.ts";
import { pyLower } from "../lowercase.ts";
import { lazyTable } from "../unicode_tables.ts";
import { fixText } from "./ftfy.ts";
import { pyHtmlUnescape } from "./html.ts";

const regexSpace = lazyTable(REGEX_SPACE_RUNS);
const pySpace = lazyTable(PY_ISSPACE_RUNS);

// Both whitespace sets are BMP-only; astral code points are never whitespace.
const isRegexSpace = (c: number) =>
  c === 0x20 || (c > 0x20 ? c >= 0x80 && regexSpace().get(c) === 1 : c >= 9 && c <= 13);
const isPySpace = (c: number) =>
  c === 0x20 || (c > 0x20 ? c >= 0x80 && pySpace().get(c) === 1 : pySpace().get(c) === 1);

/** Python's str.strip(): removes leading and trailing str.isspace() characters. */
export function pyStrip(s: string): string {
  let a = 0, b = s.length;
  while (a < b && isPySpace(s.charCodeAt(a))) a++;
  while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** basic_clean: ftfy.fix_text, html.unescape twice, strip. */
export function basicClean(text: string): string {
  return pyStrip(pyHtmlUnescape(pyHtmlUnescape(fixText(text))));
}

/** clipNormalize of a text whose ftfy.fix_text is `fixed` (every step after ftfy). */
export function normalizeFixed(fixed: string): string {
  return pyLower(whitespaceClean(pyStrip(pyHtmlUnescape(pyHtmlUnescape(fixed)))));
}

/** whitespace_clean: every run of `regex` \s becomes one space, then strip. */
export function whitespaceClean(text: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length;) {
    if (!isRegexSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < text.length && isRegexSpace(text.charCodeAt(j))) j++;
    // A lone space needs no rewrite; keep slices long.
    if (!(j === i + 1 && text.charCodeAt(i) === 0x20)) {
      out += text.slice(start, i) + " ";
      start = j;
    }
    i = j;
  }
  return pyStrip(start === 0 ? text : out + text.slice(start));
}

/** The exact string OpenAI's split pattern sees: whitespace_clean(basic_clean(text)).lower(). */
export function clipNormalize(text: string): string {
  return normalizeFixed(fixText(text));
}
