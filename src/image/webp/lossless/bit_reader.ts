// Least-significant-bit-first reader of a VP8L bitstream (RFC 9649 §3). Reading past the end
// yields zero bits and marks the stream as overrun; libwebp treats any such read as a bitstream
// error, which `check` reports (the decoder calls it after headers and after every row, so
// corrupt input can never make it loop over made-up data for long).

import { EdgeClipError } from "../../../errors.ts";

export class LosslessBitReader {
  /** The data followed by zero bytes, so that 4-byte reads near the end need no test. */
  private readonly buf: Uint8Array;
  private readonly bitLength: number;
  private bitPos = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = new Uint8Array(end - start + 8);
    this.buf.set(buf.subarray(start, end));
    this.bitLength = 8 * (end - start);
  }

  /** The next 24 bits without consuming them (for Huffman table lookups). */
  peek24(): number {
    const p = this.bitPos >>> 3;
    const b = this.buf;
    if (p + 3 >= b.length) return 0; // far past the end: only zeros remain
    const w = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    return (w >>> (this.bitPos & 7)) & 0xffffff;
  }

  /** Consumes `n` bits. */
  skip(n: number): void {
    this.bitPos += n;
  }

  /** Reads `n` ≤ 24 bits as an unsigned number. */
  readBits(n: number): number {
    const v = this.peek24() & ((1 << n) - 1);
    this.bitPos += n;
    return v;
  }

  /** True once a bit past the end of the data has been consumed. */
  get overrun(): boolean {
    return this.bitPos > this.bitLength;
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
