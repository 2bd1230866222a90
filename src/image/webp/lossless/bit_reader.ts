// Least-significant-bit-first reader of a VP8L bitstream (RFC 9649 §3). Reading past the end
// yields zero bits and marks the stream as overrun; libwebp treats any such read as a bitstream
// error, which `check` reports (the decoder calls it after headers and after every row, so
// corrupt input can never make it loop over made-up data for long).

import { EdgeClipError } from "../../../errors.ts";

export class LosslessBitReader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;
  /** Up to 32 buffered bits, the next one in bit 0. */
  private window = 0;
  private count = 0;
  /** Zero bytes shifted in past the end. */
  private padding = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Ensures at least 24 buffered bits. */
  private fill(): void {
    while (this.count <= 24) {
      let b = 0;
      if (this.pos < this.end) b = this.buf[this.pos++];
      else this.padding++;
      this.window |= b << this.count;
      this.count += 8;
    }
  }

  /** Reads `n` ≤ 24 bits as an unsigned number. */
  readBits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    const v = this.window & ((1 << n) - 1);
    this.window >>>= n;
    this.count -= n;
    return v;
  }

  /** The next 24 bits without consuming them (for Huffman table lookups). */
  peek24(): number {
    if (this.count < 24) this.fill();
    return this.window & 0xffffff;
  }

  /** Consumes `n` bits already made available by `peek24`. */
  skip(n: number): void {
    this.window >>>= n;
    this.count -= n;
  }

  /** True once a bit past the end of the data has been consumed. */
  get overrun(): boolean {
    return this.count < 8 * this.padding;
  }

  /** Throws `image_decode` if the data ran out. */
  check(): void {
    if (this.overrun) {
      throw new EdgeClipError(
        "image_decode",
        "WebP: lossless bitstream ends early (truncated data)",
      );
    }
  }
}
