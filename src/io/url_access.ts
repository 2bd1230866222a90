// Random access to a file behind an http(s) URL by HTTP range requests, so a weight file or model
// package streams into WebAssembly memory window by window instead of being held whole (the
// difference between fitting a memory-limited isolate or not). A server that ignores Range gets
// one plain download, as before.

import type { RandomAccess } from "./host.ts";

/** Bytes fetched per request for reads smaller than this (larger reads go straight in). */
export const URL_WINDOW = 8 << 20;

/** Why a read failed (the caller turns it into its source_unavailable error). */
export type UrlFail = (why: string, cause?: unknown) => Error;

async function fetchRange(url: URL, from: number, to: number, fail: UrlFail): Promise<Response> {
  try {
    return await fetch(url, { headers: { range: `bytes=${from}-${to - 1}` } });
  } catch (e) {
    throw fail(String((e as Error)?.message ?? e), e);
  }
}

/** The bytes [from, to) of `url`, checked to be exactly that range. */
async function rangeBytes(url: URL, from: number, to: number, fail: UrlFail): Promise<Uint8Array> {
  const res = await fetchRange(url, from, to, fail);
  if (res.status !== 206) {
    await res.body?.cancel();
    throw fail(`HTTP ${res.status} for bytes ${from}-${to - 1} (expected 206 Partial Content)`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length !== to - from) {
    throw fail(`bytes ${from}-${to - 1}: the server sent ${bytes.length} bytes`);
  }
  return bytes;
}

/** Reads of a window-cached ranged file of `size` bytes whose first window is `first`. */
function rangedAccess(url: URL, size: number, first: Uint8Array, fail: UrlFail): RandomAccess {
  let win: { start: number; bytes: Uint8Array } | null = { start: 0, bytes: first };
  let closed = false;
  return {
    size,
    async read(offset, dest) {
      if (closed) throw new RangeError("read after close");
      if (offset < 0 || offset + dest.length > size) {
        throw new RangeError(`read past end (${offset}+${dest.length} > ${size})`);
      }
      let done = 0;
      while (done < dest.length) {
        const pos = offset + done, left = dest.length - done;
        const w = win;
        if (w && pos >= w.start && pos < w.start + w.bytes.length) {
          const n = Math.min(left, w.start + w.bytes.length - pos);
          dest.set(w.bytes.subarray(pos - w.start, pos - w.start + n), done);
          done += n;
        } else if (left >= URL_WINDOW) {
          dest.set(await rangeBytes(url, pos, pos + left, fail), done); // a big tensor: one request
          done = dest.length;
        } else {
          const end = Math.min(size, pos + URL_WINDOW);
          win = { start: pos, bytes: await rangeBytes(url, pos, end, fail) };
        }
      }
    },
    close() {
      closed = true;
      win = null;
    },
  };
}

/** A 206 answer's total size (`Content-Range: bytes a-b/total`), or -1 when it does not say. */
function totalSize(res: Response): number {
  const m = /^bytes\s+\d+-\d+\/(\d+)$/i.exec(res.headers.get("content-range") ?? "");
  return m ? Number(m[1]) : -1;
}

/**
 * Opens `url` for random access: by ranges when the server answers the first window with 206 and
 * the total size, else the whole body in memory (`whole` wraps it).
 */
export async function openUrl(
  url: URL,
  fail: UrlFail,
  whole: (bytes: Uint8Array) => RandomAccess,
): Promise<RandomAccess> {
  const res = await fetchRange(url, 0, URL_WINDOW, fail);
  if (res.status === 206) {
    const size = totalSize(res);
    const first = new Uint8Array(await res.arrayBuffer());
    if (size >= 0 && first.length === Math.min(size, URL_WINDOW)) {
      return rangedAccess(url, size, first, fail);
    }
    // a range answer without its total: read the rest plainly
    const rest = await fetch(url).catch((e) => {
      throw fail(String(e?.message ?? e), e);
    });
    if (!rest.ok) throw fail(`HTTP ${rest.status} ${rest.statusText}`);
    return whole(new Uint8Array(await rest.arrayBuffer()));
  }
  if (res.status === 416) {
    await res.body?.cancel();
    return whole(new Uint8Array(0)); // an empty file has no byte 0
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw fail(`HTTP ${res.status} ${res.statusText}`);
  }
  return whole(new Uint8Array(await res.arrayBuffer())); // Range ignored: the whole file came
}

/** Whether `url` answers (a one-byte range request; the body is not read). */
export async function urlExists(url: URL): Promise<boolean> {
  try {
    const res = await fetch(url, { headers: { range: "bytes=0-0" } });
    await res.body?.cancel();
    return res.ok || res.status === 416;
  } catch {
    return false;
  }
}
