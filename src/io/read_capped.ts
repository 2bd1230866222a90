// Reads a byte stream, giving up as soon as it passes a limit: an oversized upload or download
// costs at most `max` bytes of memory. Shared by image fetching and the HTTP body reader.

import { concatBytes } from "./bytes.ts";

/**
 * The whole stream (null = empty) if it holds at most `max` bytes. `declared` (a
 * content-length) over the limit fails before reading. `tooLarge(n)` must throw; the stream is
 * cancelled first.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  tooLarge: (bytes: number) => never,
  declared?: number,
): Promise<Uint8Array> {
  if (declared !== undefined && declared > max) {
    await body?.cancel().catch(() => {});
    tooLarge(declared);
  }
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  // With a declared length the bytes go straight into one buffer: the chunks are not all held
  // until a final copy, which would double the peak memory of a large upload.
  let into = declared !== undefined && Number.isSafeInteger(declared) && declared >= 0
    ? new Uint8Array(declared)
    : undefined;
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.length > max) {
        await reader.cancel().catch(() => {});
        tooLarge(n + value.length);
      }
      if (into && n + value.length <= into.length) into.set(value, n);
      else if (into) {
        chunks.push(into.subarray(0, n), value); // more than declared: collect the rest
        into = undefined;
      } else chunks.push(value);
      n += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  if (into) return n === into.length ? into : into.subarray(0, n);
  return chunks.length === 1 ? chunks[0] : concatBytes(chunks);
}
