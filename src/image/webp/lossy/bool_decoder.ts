// The VP8 boolean entropy decoder (RFC 6386 §7), in the form libwebp implements it: `range` is
// kept minus one, bytes are shifted in one at a time, and the first attempt to read past the end
// of a partition is an error (libwebp marks the partition "eof" and fails the decode when it
// checks, which it does after every header part, macroblock-mode row and macroblock; every read
// that sets the flag is followed by such a check, so failing at once is the same outcome).

import { EdgeClipError } from "../../../errors.ts";

/** Reads bits coded with 8-bit probabilities from one VP8 partition. */
export class BoolDecoder {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;
  /** Bits available below the 8-bit window, minus 8 (libwebp's `bits_`). */
  private bits = -8;
  private value = 0;
  /** range - 1, in [127, 254] between calls. */
  private range = 254;

  /** Decodes `buf[start, end)`. */
  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  private load(): void {
    if (this.pos < this.end) {
      this.value = (this.value << 8) | this.buf[this.pos++];
      this.bits += 8;
    } else {
      throw new EdgeClipError("image_decode", "WebP: VP8 partition ends early (truncated data)");
    }
  }

  /** One bit whose probability of being 0 is `prob`/256. */
  getBit(prob: number): number {
    if (this.bits < 0) this.load();
    const pos = this.bits;
    let range = this.range;
    const split = (range * prob) >>> 8;
    let bit: number;
    if ((this.value >>> pos) > split) {
      range -= split;
      this.value -= (split + 1) << pos;
      bit = 1;
    } else {
      range = split + 1;
      bit = 0;
    }
    // Renormalise so that range is in [128, 255] again.
    const shift = 7 ^ (31 - Math.clz32(range));
    this.range = (range << shift) - 1;
    this.bits -= shift;
    return bit;
  }

  /** An unsigned `n`-bit literal, most significant bit first, each bit at probability 1/2. */
  getValue(n: number): number {
    let v = 0;
    while (n-- > 0) v = (v << 1) | this.getBit(0x80);
    return v;
  }

  /** An `n`-bit magnitude followed by a sign bit. */
  getSignedValue(n: number): number {
    const v = this.getValue(n);
    return this.getBit(0x80) ? -v : v;
  }

  /** A one-bit flag followed, when set, by a signed `n`-bit value; 0 when the flag is clear. */
  getOptionalSigned(n: number): number {
    return this.getBit(0x80) ? this.getSignedValue(n) : 0;
  }
}
