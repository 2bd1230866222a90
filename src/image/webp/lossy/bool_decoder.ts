// The VP8 boolean entropy decoder (RFC 6386 §7), in the form libwebp implements it: `range` is
// kept minus one, bytes are shifted in one at a time, and the first attempt to read past the end
// of a partition is an error (libwebp marks the partition "eof" and fails the decode when it
// checks, which it does after every header part, macroblock-mode row and macroblock; every read
// that sets the flag is followed by such a check, so failing at once is the same outcome).
//
// A partition whose first byte is 0xFF starts outside the coder's valid state (value > range),
// which no encoder produces; libwebp then decodes garbage whose exact course depends on its
// 64-bit register and 56-bit refills. `createBoolDecoder` gives such partitions a reader that
// reproduces that arithmetic (slowly, with BigInt), so damaged files decode as Pillow decodes them.

import { EdgeClipError } from "../../../errors.ts";

/** Reads bits coded with 8-bit probabilities from one VP8 partition. */
export class BoolDecoder {
  protected readonly buf: Uint8Array;
  protected pos: number;
  protected readonly end: number;
  /** Bits available below the 8-bit window, minus 8 (libwebp's `bits_`). */
  protected bits = -8;
  private value = 0;
  /** range - 1, in [127, 254] between calls. */
  private range = 254;

  /** Decodes `buf[start, end)`. */
  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /**
   * libwebp loads the first byte when it sets a reader up, so an empty partition is at its end
   * before any read: using it for a macroblock row fails even if no bit is read.
   */
  get empty(): boolean {
    return this.end <= this.pos && this.bits === -8;
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

  /** The sign of a coefficient: 1 for negative (a bit at probability 1/2). */
  getSign(): number {
    return this.getBit(0x80);
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

const M64 = (1n << 64n) - 1n;

/** libwebp's reader on x86-64 exactly (uint64 value, 7-byte refills, its GetSigned shortcut). */
class BoolDecoder64 extends BoolDecoder {
  private v = 0n;
  private r = 254;

  private refill(): void {
    if (this.end - this.pos >= 8) {
      let w = 0n;
      for (let i = 0; i < 7; i++) w = (w << 8n) | BigInt(this.buf[this.pos + i]);
      this.pos += 7;
      this.v = ((this.v << 56n) | w) & M64;
      this.bits += 56;
    } else if (this.pos < this.end) {
      this.v = ((this.v << 8n) | BigInt(this.buf[this.pos++])) & M64;
      this.bits += 8;
    } else {
      throw new EdgeClipError("image_decode", "WebP: VP8 partition ends early (truncated data)");
    }
  }

  override getBit(prob: number): number {
    if (this.bits < 0) this.refill();
    const pos = BigInt(this.bits);
    let range = this.r;
    const split = (range * prob) >>> 8;
    const value = Number((this.v >> pos) & 0xffffffffn);
    let bit = 0;
    if (value > split) {
      range -= split;
      this.v = (this.v - (BigInt(split + 1) << pos)) & M64;
      bit = 1;
    } else {
      range = split + 1;
    }
    const shift = 7 ^ (31 - Math.clz32(range));
    this.r = (range << shift) - 1;
    this.bits -= shift;
    return bit;
  }

  override getSign(): number {
    if (this.bits < 0) this.refill();
    const pos = BigInt(this.bits);
    const split = this.r >>> 1;
    const value = Number((this.v >> pos) & 0xffffffffn);
    const mask = ((split - value) | 0) >> 31; // -1 when value > split, as a wrapped int32
    this.bits -= 1;
    this.r = ((this.r + mask) | 1) >>> 0;
    this.v = (this.v - (BigInt((split + 1) & mask) << pos)) & M64;
    return mask & 1;
  }
}

/** A reader for the partition `buf[start, end)` (see the header for the 0xFF case). */
export function createBoolDecoder(buf: Uint8Array, start: number, end: number): BoolDecoder {
  return end > start && buf[start] === 0xff
    ? new BoolDecoder64(buf, start, end)
    : new BoolDecoder(buf, start, end);
}
