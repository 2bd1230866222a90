// EXIF stored in a PNG text chunk under the keyword "Raw profile type exif" (ImageMagick writes
// it so), which Pillow's getexif() reads when there is no eXIf chunk: the text's lines after the
// third, joined and hex-decoded. Other text chunks are skipped without being decompressed.

import { inflateZlibAll } from "../inflate.ts";

const KEY = "Raw profile type exif";
/** Pillow's cap on a decompressed text chunk (ImageFile.SAFEBLOCK). */
const MAX_TEXT = 1 << 20;

function keyOf(s: Uint8Array): [string, number] | null {
  const z = s.indexOf(0);
  if (z < 0) return null;
  return [String.fromCharCode(...s.subarray(0, Math.min(z, 80))), z + 1];
}

/**
 * For a tEXt/zTXt/iTXt payload: undefined when it is not the raw EXIF profile, else the EXIF
 * bytes, or null when they cannot be recovered (bad compression or hex).
 */
export function rawProfileExif(type: string, s: Uint8Array): Uint8Array | null | undefined {
  const k = keyOf(s);
  if (!k || k[0] !== KEY) return undefined;
  let text: Uint8Array = s.subarray(k[1]);
  try {
    if (type === "zTXt") {
      if (text.length === 0 || text[0] !== 0) return null;
      text = inflateZlibAll(text.subarray(1), MAX_TEXT, "PNG zTXt");
    } else if (type === "iTXt") {
      // compression flag, method, language\0, translated keyword\0, text
      const flag = text[0], method = text[1];
      let p = 2;
      for (let n = 0; n < 2; n++) {
        const z = text.indexOf(0, p);
        if (z < 0) return null;
        p = z + 1;
      }
      text = text.subarray(p);
      if (flag) {
        text = method === 0 ? inflateZlibAll(text, MAX_TEXT, "PNG iTXt") : new Uint8Array(0);
      }
    }
  } catch {
    return null; // Pillow drops a text chunk it cannot inflate
  }
  return hexLines(new TextDecoder("latin1").decode(text));
}

/** Python's bytes.fromhex("".join(text.split("\n")[3:])): hex pairs, whitespace between them. */
function hexLines(text: string): Uint8Array | null {
  const hex = text.split("\n").slice(3).join("");
  const out: number[] = [];
  for (let i = 0; i < hex.length;) {
    if (/\s/.test(hex[i])) {
      i++;
      continue;
    }
    const pair = hex.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return null;
    out.push(parseInt(pair, 16));
    i += 2;
  }
  return Uint8Array.from(out);
}
