// GIF LZW decoding of one frame into an 8-bit canvas, following Pillow 9.4's GifDecode.c rules so
// that the same streams decode to the same pixels and the same ones are refused: code size grows
// after entry 2^n − 1 is added, up to 12 bits; a full table stops growing (no forced clear); a
// code equal to the next free entry is the KwKwK case; a larger one is an error. The frame ends
// when its last pixel is written, whatever follows. Sub-blocks are read as Pillow reads them: a
// zero length does not end the data, and a block is only used once all its bytes are present.

import { EdgeClipError } from "../errors.ts";

const MAX_BITS = 12;
const TABLE = 1 << MAX_BITS;

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `GIF: ${msg}`);
}

/**
 * Decodes the LZW data starting at `pos` (sub-blocks) with minimum code size `bits` into the
 * fw×fh frame at (fx, fy) of `out` (row stride `W`). Interlaced frames fill rows in the four GIF
 * passes. Throws `image_decode` if the stream is corrupt or ends before the frame is full.
 */
export function lzwDecodeFrame(
  b: Uint8Array,
  pos: number,
  bits: number,
  out: Uint8Array,
  W: number,
  fx: number,
  fy: number,
  fw: number,
  fh: number,
  interlace: boolean,
): void {
  if (bits > MAX_BITS) bad(`LZW code size ${bits} is larger than 12`);
  const clear = 1 << bits, end = clear + 1;
  const link = new Uint16Array(TABLE), suffix = new Uint8Array(TABLE);
  const stack = new Uint8Array(TABLE + 1);
  let next = clear + 2, codeSize = bits + 1, codeMask = (1 << codeSize) - 1;
  let afterClear = true, lastCode = 0, lastFirst = 0;
  let bitBuf = 0, bitCount = 0, blockLeft = 0;
  // Output position: x within the row, y in frame rows, interlace pass state.
  let x = 0, y = 0, step = interlace ? 8 : 1, pass = interlace ? 1 : 0;
  let o = (fy * W) + fx;
  for (;;) {
    // Read one code.
    while (bitCount < codeSize) {
      if (blockLeft > 0) {
        bitBuf |= b[pos++] << bitCount;
        bitCount += 8;
        blockLeft--;
      } else {
        if (pos >= b.length || pos + 1 + b[pos] > b.length) {
          bad("image data ends before the frame is complete");
        }
        blockLeft = b[pos++];
      }
    }
    let c = bitBuf & codeMask;
    bitBuf >>>= codeSize;
    bitCount -= codeSize;
    if (c === clear) {
      if (!afterClear) {
        next = clear + 2;
        codeSize = bits + 1;
        codeMask = (1 << codeSize) - 1;
        afterClear = true;
      }
      continue;
    }
    if (c === end) bad("image data ends (LZW end code) before the frame is complete");
    // Expand the code onto `stack` (reversed), then copy it out in order.
    let sp = TABLE + 1;
    if (afterClear) {
      if (c > clear) bad(`invalid first LZW code ${c}`);
      lastFirst = lastCode = c;
      stack[--sp] = c & 255;
      afterClear = false;
    } else {
      const thisCode = c;
      if (c > next) bad(`invalid LZW code ${c} (next free is ${next})`);
      if (c === next) {
        stack[--sp] = lastFirst;
        c = lastCode;
      }
      while (c >= clear) {
        if (sp <= 1 || c >= TABLE) bad("invalid LZW string");
        stack[--sp] = suffix[c];
        c = link[c];
      }
      stack[--sp] = c & 255;
      lastFirst = c & 255;
      if (next < TABLE) {
        suffix[next] = c & 255;
        link[next] = lastCode;
        if (next === codeMask && codeSize < MAX_BITS) {
          codeSize++;
          codeMask = (1 << codeSize) - 1;
        }
        next++;
      }
      lastCode = thisCode;
    }
    for (; sp <= TABLE; sp++) {
      out[o++] = stack[sp];
      if (++x < fw) continue;
      // Next row (GIF interlace: rows 0,8,…; 4,12,…; 2,6,…; 1,3,…).
      x = 0;
      y += step;
      while (y >= fh) {
        if (pass === 1) (y = 4), (pass = 2);
        else if (pass === 2) (y = 2), (step = 4), (pass = 3);
        else if (pass === 3) (y = 1), (step = 2), (pass = 0);
        else return; // frame complete; anything after it is ignored
      }
      o = (fy + y) * W + fx;
    }
  }
}
