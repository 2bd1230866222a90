// PNG scanline filters (None, Sub, Up, Average, Paeth) undone in place, and the Adam7 pass
// geometry. Byte-wise on the raw scanlines as the spec (and Pillow's ZipDecode.c) define them:
// the left neighbour is `bpp` bytes back (at least 1 for sub-byte depths), the first row of an
// image or pass sees a zero row above.

import { EdgeClipError } from "../../errors.ts";

/**
 * Unfilters `rows` scanlines of `rowBytes` bytes each (plus the leading filter-type byte)
 * starting at `off` in `buf`, in place.
 */
export function unfilterRows(
  buf: Uint8Array,
  off: number,
  rows: number,
  rowBytes: number,
  bpp: number,
): void {
  const stride = rowBytes + 1;
  for (let y = 0; y < rows; y++) {
    const ft = buf[off];
    const c = off + 1; // first byte of this row
    const p = c - stride; // first byte of the previous row (only when y > 0)
    const end = c + rowBytes;
    switch (ft) {
      case 0:
        break;
      case 1:
        for (let i = c + bpp; i < end; i++) buf[i] = (buf[i] + buf[i - bpp]) & 255;
        break;
      case 2:
        if (y > 0) { for (let i = c, j = p; i < end; i++, j++) buf[i] = (buf[i] + buf[j]) & 255; }
        break;
      case 3:
        if (y > 0) {
          let i = c, j = p;
          for (; i < c + bpp && i < end; i++, j++) buf[i] = (buf[i] + (buf[j] >> 1)) & 255;
          for (; i < end; i++, j++) buf[i] = (buf[i] + ((buf[i - bpp] + buf[j]) >> 1)) & 255;
        } else {
          for (let i = c + bpp; i < end; i++) buf[i] = (buf[i] + (buf[i - bpp] >> 1)) & 255;
        }
        break;
      case 4:
        if (y > 0) {
          let i = c, j = p;
          for (; i < c + bpp && i < end; i++, j++) buf[i] = (buf[i] + buf[j]) & 255;
          for (; i < end; i++, j++) {
            // Branch-free Paeth: the predictor choice is data-dependent and mispredicts on
            // photo-like content, where masks are ~2× faster (equal on flat synthetic images).
            const a = buf[i - bpp], b = buf[j], cc = buf[j - bpp];
            const da = b - cc, db = a - cc, dc = da + db;
            const pa = (da ^ (da >> 31)) - (da >> 31);
            const pb = (db ^ (db >> 31)) - (db >> 31);
            const pc = (dc ^ (dc >> 31)) - (dc >> 31);
            const ma = ~(((pb - pa) >> 31) | ((pc - pa) >> 31)); // pa <= pb && pa <= pc
            const mb = ~ma & ~((pc - pb) >> 31); // else pb <= pc
            buf[i] += (a & ma) | (b & mb) | (cc & ~(ma | mb));
          }
        } else {
          // With a zero row above, Paeth always picks the left neighbour: Sub.
          for (let i = c + bpp; i < end; i++) buf[i] = (buf[i] + buf[i - bpp]) & 255;
        }
        break;
      default:
        throw new EdgeClipError("image_decode", `PNG: unknown scanline filter type ${ft}`);
    }
    off += stride;
  }
}

/** One Adam7 pass: where its pixels sit in the image. */
export interface Pass {
  readonly x0: number;
  readonly y0: number;
  readonly dx: number;
  readonly dy: number;
  /** Pass size in pixels (0 when the pass is empty). */
  readonly width: number;
  readonly height: number;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The passes of an image: the 7 Adam7 passes, or one pass covering everything. */
export function passesOf(width: number, height: number, interlaced: boolean): Pass[] {
  if (!interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => {
    const pw = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const ph = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    return { x0, y0, dx, dy, width: pw && ph ? pw : 0, height: pw && ph ? ph : 0 };
  });
}
