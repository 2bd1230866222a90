// Python's str.lower() as CPython 3.11 (Unicode 14.0) does it, which is what OpenAI's tokenizer
// applies. JS toLowerCase() follows the engine's newer Unicode and so lowers characters that
// Python 3.11 leaves alone (e.g. letters added in Unicode 15/16); hence a table.

import { LOWER_MULTI, LOWER_RUNS } from "./_data/lowercase.ts";

let lowerMap: Map<number, string> | undefined;

function table(): Map<number, string> {
  if (lowerMap) return lowerMap;
  const m = new Map<number, string>();
  for (const item of LOWER_RUNS.split(",")) {
    const [s, n, d, stride] = item.split(":");
    const start = parseInt(s, 36), count = parseInt(n, 36), step = Number(stride);
    const delta = d.startsWith("-") ? -parseInt(d.slice(1), 36) : parseInt(d, 36);
    for (let k = 0; k < count; k++) {
      const cp = start + k * step;
      m.set(cp, String.fromCodePoint(cp + delta));
    }
  }
  for (const [cp, s] of LOWER_MULTI) m.set(cp, s);
  return (lowerMap = m);
}

// Final_Sigma context (Unicode 3.13, as CPython's handle_capital_sigma implements it). Cased and
// Case_Ignorable come from the JS engine's Unicode tables; they differ from 14.0 only for
// characters added since.
const CASED = /\p{Cased}/u;
const CASE_IGNORABLE = /\p{Case_Ignorable}/u;

function finalSigma(s: string, i: number): boolean {
  let j = i;
  let c = "";
  let found = false;
  while (j > 0) {
    c = charBefore(s, j);
    j -= c.length;
    if (!CASE_IGNORABLE.test(c)) {
      found = true;
      break;
    }
  }
  if (!found || !CASED.test(c)) return false;
  for (j = i + 1; j < s.length; j += c.length) {
    c = String.fromCodePoint(s.codePointAt(j)!);
    if (!CASE_IGNORABLE.test(c)) return !CASED.test(c);
  }
  return true;
}

function charBefore(s: string, end: number): string {
  const lo = s.charCodeAt(end - 1);
  if (end >= 2 && lo >= 0xdc00 && lo <= 0xdfff) {
    const hi = s.charCodeAt(end - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return s.slice(end - 2, end);
  }
  return s[end - 1];
}

/** `s.lower()` exactly as CPython 3.11 computes it. */
export function pyLower(s: string): string {
  let i = 0;
  const n = s.length;
  // ASCII prefix: JS and Python agree there.
  while (i < n && s.charCodeAt(i) < 0x80) i++;
  if (i === n) return s.toLowerCase();
  const m = table();
  let out = s.slice(0, i).toLowerCase();
  while (i < n) {
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (cp < 0x80) {
      out += cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : s[i];
    } else if (cp === 0x3a3) {
      out += finalSigma(s, i) ? "\u03c2" : "\u03c3";
    } else {
      const low = m.get(cp);
      out += low ?? s.slice(i, i + w);
    }
    i += w;
  }
  return out;
}
