// HTML character references: Python's html.unescape (which OpenAI's basic_clean calls twice)
// and ftfy's stricter unescape_html (only `&name;` forms, plus upper-cased names).

import { HTML5_ENTITIES } from "../_data/html_entities.ts";

let html5: Map<string, string> | undefined;

/** Python's html.entities.html5: "name;" keys, and "name" keys for the legacy names. */
function entities(): Map<string, string> {
  if (html5) return html5;
  const m = new Map<string, string>();
  for (const item of HTML5_ENTITIES.split(",")) {
    const k = item.search(/[;!]/);
    const name = item.slice(0, k);
    const value = String.fromCodePoint(...item.slice(k + 1).split("+").map((x) => parseInt(x, 36)));
    m.set(name + ";", value);
    if (item[k] === "!") m.set(name, value);
  }
  return (html5 = m);
}

// The HTML5 spec's replacements for numeric references to C1 bytes, NUL and CR.
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, "\ufffd"],
  [0x0d, "\r"],
  [0x80, "\u20ac"],
  [0x81, "\x81"],
  [0x82, "\u201a"],
  [0x83, "\u0192"],
  [0x84, "\u201e"],
  [0x85, "\u2026"],
  [0x86, "\u2020"],
  [0x87, "\u2021"],
  [0x88, "\u02c6"],
  [0x89, "\u2030"],
  [0x8a, "\u0160"],
  [0x8b, "\u2039"],
  [0x8c, "\u0152"],
  [0x8d, "\x8d"],
  [0x8e, "\u017d"],
  [0x8f, "\x8f"],
  [0x90, "\x90"],
  [0x91, "\u2018"],
  [0x92, "\u2019"],
  [0x93, "\u201c"],
  [0x94, "\u201d"],
  [0x95, "\u2022"],
  [0x96, "\u2013"],
  [0x97, "\u2014"],
  [0x98, "\u02dc"],
  [0x99, "\u2122"],
  [0x9a, "\u0161"],
  [0x9b, "\u203a"],
  [0x9c, "\u0153"],
  [0x9d, "\x9d"],
  [0x9e, "\u017e"],
  [0x9f, "\u0178"],
]);

/** Code points a numeric reference may not produce: Python drops them (returns ""). */
function isInvalidCodePoint(cp: number): boolean {
  return (cp >= 0x1 && cp <= 0x8) || cp === 0xb || (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

function numericRef(digits: string, radix: number): string {
  // Past 7 significant digits any value exceeds 0x10FFFF (CPython 3.11 would raise on > 4300
  // decimal digits, its int() limit; we give U+FFFD as for any too-large value).
  const sig = digits.replace(/^0+/, "");
  const num = sig.length > 7 ? Infinity : parseInt(sig || "0", radix);
  const fixed = INVALID_CHARREFS.get(num);
  if (fixed !== undefined) return fixed;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return "\ufffd";
  if (isInvalidCodePoint(num)) return "";
  return String.fromCodePoint(num);
}

// Python's _charref, with `u` so {1,32} counts code points as Python does.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function replaceCharref(_m: string, s: string): string {
  if (s[0] === "#") {
    const hex = s[1] === "x" || s[1] === "X";
    const digits = s.slice(hex ? 2 : 1).replace(/;$/, "");
    return numericRef(digits, hex ? 16 : 10);
  }
  const ents = entities();
  const whole = ents.get(s);
  if (whole !== undefined) return whole;
  // Longest prefix that is a name (only the legacy names without ';' can match here).
  for (let x = s.length - 1; x > 1; x--) {
    const v = ents.get(s.slice(0, x));
    if (v !== undefined) return v + s.slice(x);
  }
  return "&" + s;
}

/** Python's `html.unescape(s)` (HTML5 rules: legacy names without ';', numeric fix-ups). */
export function pyHtmlUnescape(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(CHARREF, replaceCharref);
}

let ftfyEntities: Map<string, string> | undefined;

/**
 * ftfy's HTML_ENTITIES: "&name;" for every HTML5 name with ';', plus the all-caps form of each
 * lower-case name when html.unescape leaves that form alone (e.g. &EACUTE; → É), mapped to the
 * upper-cased character. (String.toUpperCase agrees with Python's str.upper() on every such
 * value; tests check the resulting table.)
 */
export function ftfyEntityTable(): ReadonlyMap<string, string> {
  if (ftfyEntities) return ftfyEntities;
  const m = new Map<string, string>();
  for (const [name, ch] of entities()) {
    if (!name.endsWith(";")) continue;
    m.set("&" + name, ch);
    if (name === name.toLowerCase()) {
      const upper = "&" + name.toUpperCase();
      if (pyHtmlUnescape(upper) === upper) m.set(upper, ch.toUpperCase());
    }
  }
  return (ftfyEntities = m);
}

const HTML_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's unescape_html: decodes only unambiguous `&…;` references. */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  const table = ftfyEntityTable();
  return text.replace(HTML_ENTITY, (t) => {
    const v = table.get(t);
    if (v !== undefined) return v;
    if (t.startsWith("&#")) {
      const u = pyHtmlUnescape(t);
      return u.includes(";") ? t : u;
    }
    return t;
  });
}
