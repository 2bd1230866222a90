// Entropy-coded data of one scan with the byte stuffing removed and split at its restart markers,
// so the Huffman decoders read plain bytes and each restart interval starts byte-aligned (as
// libjpeg's process_restart discards the bits left of the previous interval).

import { EdgeClipError } from "../../errors.ts";

/** Unstuffed data of a scan: interval k is bytes [bounds[k], bounds[k+1]) of the output. */
export interface ScanData {
  /** Bytes written to the output buffer. */
  readonly length: number;
  /** Interval start offsets, then the total length. */
  readonly bounds: Int32Array;
}

/**
 * Copies file bytes [start, end) into `out` (at least end − start bytes) without stuffing:
 * FF 00 (or FF FF… 00, as libjpeg reads it) is one FF byte and FF Dn ends an interval. With a
 * restart interval the n-th marker must be RST(n mod 8); markers past the last interval the
 * scan needs are ignored, as libjpeg stops reading there. Without one, data ends at the first
 * RST marker.
 */
export function unstuffScan(
  b: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  intervals: number,
): ScanData {
  const bounds = new Int32Array(intervals + 1);
  let o = 0, p = start, k = 1;
  while (p < end && k < intervals + 1) {
    let i = b.indexOf(0xff, p);
    if (i < 0 || i >= end) i = end;
    out.set(b.subarray(p, i), o);
    o += i - p;
    if (i >= end) break;
    let j = i + 1;
    while (j < end && b[j] === 0xff) j++;
    if (j >= end) break;
    const m = b[j];
    p = j + 1;
    if (m === 0) {
      out[o++] = 0xff;
      continue;
    }
    // RSTn (scanEnd stops at every other marker)
    if (k === intervals) break; // a marker after the data the scan needs: libjpeg reads no more
    if (m !== 0xd0 + ((k - 1) & 7)) {
      throw new EdgeClipError(
        "image_decode",
        `JPEG: restart marker RST${m - 0xd0} where RST${(k - 1) & 7} was expected`,
      );
    }
    bounds[k++] = o;
  }
  // Intervals whose marker never came are empty; decoding them reports the missing data.
  for (; k <= intervals; k++) bounds[k] = o;
  return { length: o, bounds };
}
