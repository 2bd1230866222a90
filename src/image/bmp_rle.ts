// BMP RLE8/RLE4 as Pillow 9.4's BmpRleDecoder reads it, quirks included, so pixels match:
// runs are clipped at the row end, absolute runs are not; an RLE4 absolute run of n pixels reads
// only ⌊n/2⌋ bytes; the word alignment after an absolute run uses the position in the file; a
// delta skips its own two bytes and takes (right, up) from the two after them, filling the skipped
// pixels with 0; decoding stops when w·h indices exist, at end-of-bitmap or at the end of the
// file, and fewer than w·h indices is an error.

import { EdgeClipError } from "../errors.ts";

/** Decodes RLE data at `start` into w·h palette indices (row-major, top row first). */
export function decodeBmpRle(
  b: Uint8Array,
  start: number,
  w: number,
  h: number,
  rle4: boolean,
  topDown: boolean,
): Uint8Array {
  const need = w * h;
  // Pillow builds the index stream in file order, then lays rows out bottom-up unless top-down.
  // Escapes can jump ahead by at most 255 + 255·w, so the stream is capped just past `need`.
  let buf = new Uint8Array(Math.min(need, 1 << 16) + 1);
  let n = 0;
  const grow = (extra: number) => {
    if (n + extra <= buf.length) return;
    const nb = new Uint8Array(Math.max(buf.length * 2, n + extra));
    nb.set(buf.subarray(0, n));
    buf = nb;
  };
  let x = 0, p = start;
  while (n < need) {
    if (p + 2 > b.length) break;
    const count = b[p], byte = b[p + 1];
    p += 2;
    if (count) {
      // Encoded run, clipped at the row end.
      const run = Math.max(0, Math.min(count, w - x));
      grow(run);
      if (rle4) {
        const hi = byte >> 4, lo = byte & 15;
        for (let i = 0; i < run; i++) buf[n++] = i & 1 ? lo : hi;
      } else {
        buf.fill(byte, n, n + run);
        n += run;
      }
      x += run;
    } else if (byte === 0) {
      // End of line: pad the stream to a whole number of rows.
      const pad = (w - (n % w)) % w;
      grow(pad);
      buf.fill(0, n, n + pad);
      n += pad;
      x = 0;
    } else if (byte === 1) {
      break; // end of bitmap
    } else if (byte === 2) {
      // Pillow reads the two delta bytes, then reads two more and uses those as (right, up).
      if (p + 4 > b.length) break;
      const skip = b[p + 2] + b[p + 3] * w;
      p += 4;
      grow(skip);
      buf.fill(0, n, n + skip);
      n += skip;
      x = n % w;
    } else {
      // Absolute run of `byte` pixels (not clipped).
      const bytes = rle4 ? byte >> 1 : byte;
      const got = Math.min(bytes, b.length - p);
      grow(rle4 ? 2 * got : got);
      if (rle4) {
        for (let i = 0; i < got; i++) {
          buf[n++] = b[p + i] >> 4;
          buf[n++] = b[p + i] & 15;
        }
      } else {
        buf.set(b.subarray(p, p + got), n);
        n += got;
      }
      p += got;
      if (got < bytes) break;
      x += byte;
      if (p & 1) p++;
    }
  }
  if (n < need) {
    throw new EdgeClipError("image_decode", `BMP: RLE data gives ${n} of ${need} pixels`);
  }
  const out = new Uint8Array(need);
  for (let r = 0; r < h; r++) {
    const y = topDown ? r : h - 1 - r;
    out.set(buf.subarray(r * w, r * w + w), y * w);
  }
  return out;
}
