// The download cache on hosts without a file system (browsers, Workers, Deno Deploy): the entries
// of cache.ts kept in the web Cache API under made-up https://edgeclip.cache/ URLs. Whole f32
// weight files are not kept here (holdsWeights: false): small files and converted packages are,
// and a package streams back in load order.

import { EdgeClipError } from "../errors.ts";
import type { CacheStore, FileMeta } from "./cache.ts";
import { repoFolder, safeName } from "./cache.ts";
import { streamAccess } from "./stream_access.ts";

/** The web Cache API store named `name`, or undefined where the host has none. */
export async function webCache(name = "edgeclip"): Promise<CacheStore | undefined> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return undefined;
  let cache: Cache;
  try {
    cache = await storage.open(name);
  } catch {
    return undefined; // present but unusable (an opaque origin, storage disabled)
  }
  const key = (repo: string, path: string) =>
    new Request(`https://edgeclip.cache/${repoFolder(repo)}/${path}`);
  const blobKey = (repo: string, blob: string) => key(repo, `blobs/${safeName(blob)}`);
  const refKey = (repo: string, rev: string, file: string) =>
    key(repo, `refs/${encodeURIComponent(rev)}/${encodeURIComponent(file)}`);
  const label = `the web Cache API (cache "${name}")`;
  const missing = (blob: string) =>
    new EdgeClipError("source_unavailable", `${label}: ${blob} is no longer cached`, {
      file: blob,
    });
  const match = async (repo: string, blob: string) => {
    const res = await cache.match(blobKey(repo, blob));
    if (!res?.body) throw missing(blob);
    return res.body;
  };
  return {
    label,
    holdsWeights: false,
    async getRef(repo, rev, file) {
      const res = await cache.match(refKey(repo, rev, file));
      if (!res) return undefined;
      try {
        const m = await res.json();
        return typeof m?.etag === "string" ? m as FileMeta : undefined;
      } catch {
        return undefined;
      }
    },
    putRef: (repo, rev, file, meta) =>
      cache.put(refKey(repo, rev, file), new Response(JSON.stringify(meta))),
    has: async (repo, blob) => (await cache.match(blobKey(repo, blob))) !== undefined,
    async bytes(repo, blob) {
      return new Uint8Array(await new Response(await match(repo, blob)).arrayBuffer());
    },
    async open(repo, blob) {
      return streamAccess({
        size: Infinity,
        first: { body: await match(repo, blob), start: 0 },
        openAt: async () => ({ body: await match(repo, blob), start: 0 }),
        fail: (why) => new EdgeClipError("source_network", `${label}: ${blob}: ${why}`),
      });
    },
    async put(repo, blob, write) {
      // put() stores nothing when the body errors: an interrupted write leaves no entry
      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      const stored = cache.put(blobKey(repo, blob), new Response(pipe.readable));
      const w = pipe.writable.getWriter();
      try {
        await write({
          async write(chunk) {
            await w.ready;
            await w.write(chunk.slice()); // queued: the caller may reuse its buffer
          },
        });
        await w.close();
      } catch (e) {
        await w.abort(e).catch(() => {});
        await stored.catch(() => {});
        throw e;
      }
      await stored;
    },
  };
}
