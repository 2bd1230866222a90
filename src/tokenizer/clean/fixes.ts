// ftfy's character-level fixers (fixes.py, ftfy 6.3.1), each a pure string → string function.

import { charmap } from "./codecs.ts";
import { C1_CONTROL, C1_CONTROL_G } from "./chardata.ts";

/** ESC [ params letter. Python's \d is any decimal digit (Nd), not only ASCII. */
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu;

/** remove_terminal_escapes: drops ANSI/VT100 escape sequences such as colour codes. */
export function removeTerminalEscapes(text: string): string {
  return text.includes("\x1b") ? text.replace(ANSI, "") : text;
}

/** uncurl_quotes: ʼ ‘ ’ ‚ ‛ → ' and “ ” „ ‟ → ". */
export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

const LIGATURES: Readonly<Record<string, string>> = {
  "\u0132": "IJ",
  "\u0133": "ij",
  "\u0149": "\u02bcn",
  "\u01f1": "DZ",
  "\u01f2": "Dz",
  "\u01f3": "dz",
  "\u01c4": "D\u017d",
  "\u01c5": "D\u017e",
  "\u01c6": "d\u017e",
  "\u01c7": "LJ",
  "\u01c8": "Lj",
  "\u01c9": "lj",
  "\u01ca": "NJ",
  "\u01cb": "Nj",
  "\u01cc": "nj",
  "\ufb00": "ff",
  "\ufb01": "fi",
  "\ufb02": "fl",
  "\ufb03": "ffi",
  "\ufb04": "ffl",
  "\ufb05": "\u017ft",
  "\ufb06": "st",
};
const LIGATURE_RE = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;

/** fix_latin_ligatures: ﬁ → fi, Ĳ → IJ, ǅ → Dž … (Latin only; æ and œ are kept). */
export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE_RE, (c) => LIGATURES[c]);
}

let widthMap: Map<string, string> | undefined;

/** U+3000 → space, and each of U+FF01..U+FFEF to its NFKC form where that differs. */
function widths(): Map<string, string> {
  if (widthMap) return widthMap;
  const m = new Map<string, string>([["\u3000", " "]]);
  for (let c = 0xff01; c < 0xfff0; c++) {
    const ch = String.fromCharCode(c);
    const alt = ch.normalize("NFKC");
    if (alt !== ch) m.set(ch, alt);
  }
  return (widthMap = m);
}

/** fix_character_width: fullwidth ASCII and halfwidth katakana/hangul to standard width. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => widths().get(c) ?? c);
}

/** fix_line_breaks: CRLF, CR, U+2028, U+2029 and U+0085 all become "\n". */
export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n");
}

/**
 * fix_surrogates: a JS string already joins valid surrogate pairs into one character, so what is
 * left to fix is a lone surrogate, which becomes U+FFFD.
 */
export function fixSurrogates(text: string): string {
  return text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    "\ufffd",
  );
}

/**
 * remove_control_chars: C0 controls other than \t \n \f \r, DEL, the deprecated Arabic format
 * controls U+206A..U+206F, the BOM U+FEFF and U+FFF9..U+FFFC. C1 controls, joiners and bidi
 * marks stay.
 */
export function removeControlChars(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, "");
}

/** fix_c1_controls: each C1 control becomes its Windows-1252 character, as browsers do. */
export function fixC1Controls(text: string): string {
  if (!C1_CONTROL.test(text)) return text;
  const cp = charmap("sloppy-windows-1252");
  return text.replace(C1_CONTROL_G, (c) => String.fromCharCode(cp.decode[c.charCodeAt(0)]));
}
