// ftfy.fix_text with its default TextFixerConfig (ftfy 6.3.1), the first step of OpenAI's
// basic_clean. See src/tokenizer/README.md for what is and is not reproduced.

import { fixEncoding } from "./fix_encoding.ts";
import {
  fixC1Controls,
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
} from "./fixes.ts";
import { ftfyUnescapeHtml } from "./html.ts";

/** ftfy's max_decode_length: longer lines are fixed in pieces of this many code points. */
const MAX_DECODE_LENGTH = 1_000_000;
/** Bound on whole-pipeline passes (ftfy loops until a fixed point, normally 1–3 passes). */
const MAX_PASSES = 64;

/** NFC, skipping the common case where nothing can change (no code point ≥ U+0300). */
function nfc(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x300) return text.normalize("NFC");
  }
  return text;
}

/** fix_and_explain without the explanation: all fixers in ftfy's order, until nothing changes. */
export function fixSegment(text: string, unescapeHtml: boolean): string {
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const orig = text;
    if (unescapeHtml) text = ftfyUnescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = nfc(text);
    if (text === orig) return text;
  }
  return text;
}

/** True when fix_text cannot change `text`: printable ASCII, \t \n \f, no '&'. */
function untouchable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f || c === 0x26) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c) return false;
  }
  return true;
}

/** End (exclusive) of the piece starting at `pos` that holds at most `max` code points. */
function advanceCodePoints(text: string, pos: number, end: number, max: number): number {
  let i = pos;
  for (let n = 0; n < max && i < end; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < end ? 2 : 1;
  }
  return i;
}

/**
 * ftfy.fix_text(text) with default settings. Text is fixed line by line (each segment keeps its
 * "\n"). HTML entities are decoded until a line containing '<' is met: from then on, as in
 * ftfy, the setting stays off for the rest of the text.
 */
export function fixText(text: string): string {
  if (untouchable(text)) return text;
  let unescape = true;
  let out = "";
  for (let pos = 0; pos < text.length;) {
    let brk = text.indexOf("\n", pos) + 1;
    if (brk === 0) brk = text.length;
    brk = advanceCodePoints(text, pos, brk, MAX_DECODE_LENGTH);
    const segment = text.slice(pos, brk);
    if (unescape && segment.includes("<")) unescape = false;
    out += fixSegment(segment, unescape);
    pos = brk;
  }
  return out;
}
