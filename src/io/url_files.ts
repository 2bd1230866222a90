// A model folder behind an http(s) URL. Small files are fetched once and kept for the load; a
// weight file is opened for tensor reads without being downloaded whole (url_access.ts). A token
// goes along only when the URL is on the Hub's host (hub_repo.ts).

import { failure, type FileRef, lengthOf, request, type RequestOptions } from "./http.ts";
import type { FileSet } from "./source.ts";
import { openUrl } from "./url_access.ts";

/** Bodies up to this size are kept when exists() asks for a file; larger ones are fetched again. */
const KEEP = 4 << 20;

/** A folder behind an http(s) URL (see the file comment). */
export function urlFileSet(
  base: URL,
  auth: Pick<RequestOptions, "token" | "tokenOrigin"> = {},
): FileSet {
  const dir = new URL(base.href.endsWith("/") ? base.href : base.href + "/");
  const ref = (file: string): FileRef => ({ file, source: dir.href });
  // per file: its bytes, true (present, large: not kept), or false (absent)
  const seen = new Map<string, Promise<Uint8Array | boolean>>();
  const fetchFile = async (name: string, keep: boolean): Promise<Uint8Array | boolean> => {
    const url = new URL(name, dir);
    const res = await request(url, ref(name), auth);
    if (res.status === 404) {
      await res.body?.cancel();
      return false;
    }
    if (!res.ok) throw failure(res, url, ref(name));
    const size = lengthOf(res.headers.get("content-length"));
    if (!keep && (size === undefined || size > KEEP)) {
      await res.body?.cancel();
      return true;
    }
    return new Uint8Array(await res.arrayBuffer());
  };
  const probe = (name: string, keep: boolean) => {
    let p = seen.get(name);
    if (!p) seen.set(name, p = fetchFile(name, keep));
    return p;
  };
  const bytes = async (name: string): Promise<Uint8Array> => {
    let got = await probe(name, true);
    if (got === true) got = await fetchFile(name, true);
    if (got instanceof Uint8Array) return got;
    const url = new URL(name, dir);
    throw failure(new Response(null, { status: 404, statusText: "Not Found" }), url, ref(name));
  };
  return {
    label: dir.href,
    exists: async (name) => (await probe(name, false)) !== false,
    bytes,
    text: async (name) => new TextDecoder().decode(await bytes(name)),
    open: (name) => openUrl(new URL(name, dir), ref(name), auth),
  };
}
