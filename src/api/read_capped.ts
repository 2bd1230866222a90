// Reads a byte stream, giving up as soon as it passes a limit: an oversized upload or download
// costs at most `max` bytes of memory. Shared by image fetching and the HTTP body reader.

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
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) {
        await reader.cancel().catch(() => {});
        tooLarge(n);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
