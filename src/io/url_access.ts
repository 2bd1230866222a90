// A file behind an http(s) URL opened for tensor reads without downloading it whole: the first GET
// is read forward as the loader asks (an edgeclip package loads in one request); a read that jumps
// reopens with a Range request at the URL the redirects led to (the Hub's CDN), falling back to
// the original URL if that one has expired.

import { EdgeClipError } from "../errors.ts";
import type { RandomAccess } from "./host.ts";
import { failure, type FileRef, lengthOf, rangeStart, rangeTotal, request } from "./http.ts";
import { type ByteStream, streamAccess } from "./stream_access.ts";

export interface UrlOpenOptions {
  /** Bearer token for `tokenOrigin` (http.ts request). */
  token?: string;
  tokenOrigin?: string;
  /** Word errors for a Hub repo. */
  hub?: boolean;
}

/** A successful GET of `url` (from `offset` on, with a Range, when offset > 0) as a ByteStream. */
async function get(
  url: URL,
  ref: FileRef,
  offset: number,
  opts: UrlOpenOptions,
): Promise<{ stream: ByteStream; res: Response; at: URL }> {
  const res = await request(url, ref, {
    token: opts.token,
    tokenOrigin: opts.tokenOrigin,
    range: offset > 0 ? `bytes=${offset}-` : undefined,
  });
  if (!res.ok) throw failure(res, url, ref, opts.hub);
  if (!res.body) {
    throw new EdgeClipError("source_network", `${url.href}: the response has no body`, {
      ...ref,
      url: url.href,
    });
  }
  const start = res.status === 206 ? rangeStart(res.headers.get("content-range")) ?? offset : 0;
  return { stream: { body: res.body, start }, res, at: res.url ? new URL(res.url) : url };
}

/** Opens `url` for random-access reads (see the file comment). */
export async function openUrl(
  url: URL,
  ref: FileRef,
  opts: UrlOpenOptions = {},
): Promise<RandomAccess> {
  const first = await get(url, ref, 0, opts);
  const size = lengthOf(first.res.headers.get("content-length")) ??
    rangeTotal(first.res.headers.get("content-range")) ?? Infinity;
  const etag = first.res.headers.get("etag");
  let direct: URL | undefined = first.at; // where the redirects led (a CDN URL, maybe signed)
  const fail = (why: string) =>
    new EdgeClipError("source_network", `cannot read ${ref.file} from ${ref.source}: ${why}`, {
      ...ref,
      url: url.href,
    });
  const openAt = async (offset: number): Promise<ByteStream> => {
    let got;
    try {
      got = await get(direct ?? url, ref, offset, opts);
    } catch (e) {
      if (!direct || direct.href === url.href) throw e;
      direct = undefined; // a signed CDN URL may have expired: go through the original again
      got = await get(url, ref, offset, opts);
    }
    const tag = got.res.headers.get("etag");
    if (etag && tag && tag !== etag) {
      await got.stream.body.cancel();
      throw fail(`the file changed while it was being read (ETag ${etag} → ${tag})`);
    }
    return got.stream;
  };
  return streamAccess({
    size,
    first: first.stream,
    openAt,
    fail,
  });
}
