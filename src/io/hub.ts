// The files of a Hub repo as a FileSet. Each file's metadata (ETag, commit, size) comes from a HEAD
// request that stops at the Hub's redirect to its CDN; the first commit id seen pins the rest of
// the load to that commit. With a cache (cache.ts), a file is downloaded once into it, keyed by
// its ETag, and read from there; a network failure falls back to what the cache holds, and
// `offline` uses the cache alone. Without a cache (or for weights the web Cache API does not
// keep), weights are read from the URL with Range requests (url_access.ts).

import { EdgeClipError } from "../errors.ts";
import { cacheRoot, type CacheStore, diskCache, type FileMeta, shortHash } from "./cache.ts";
import { webCache } from "./cache_web.ts";
import { host, type RandomAccess } from "./host.ts";
import { failure, type FileRef, lengthOf, request, stallGuard } from "./http.ts";
import { type HubRepo, hubRepo, resolveUrl, type SourceOptions } from "./hub_repo.ts";
import { type OnProgress, ProgressCounter } from "./progress.ts";
import type { FileSet } from "./source.ts";
import { ChunkReader } from "./stream_access.ts";
import { openUrl } from "./url_access.ts";

/** A Hub repo's files, and what the converted-package cache needs to know of them. */
export interface HubFileSet extends FileSet {
  readonly repo: HubRepo;
  readonly cache?: CacheStore;
  readonly offline: boolean;
  /** The file's ETag, commit and size (from the server, or the cache offline); undefined: absent. */
  meta(name: string): Promise<FileMeta | undefined>;
}

/** True for the files of a Hub repo. */
export function isHubFileSet(files: FileSet): files is HubFileSet {
  return "repo" in files && "meta" in files;
}

export interface HubFileSetOptions {
  cache?: CacheStore;
  offline?: boolean;
  onProgress?: OnProgress;
}

/** The ETag without W/ and quotes. */
function bareTag(tag: string | null): string {
  return (tag ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");
}

/** The Hub's files of `repo` (see the file comment). */
export function hubFileSet(repo: HubRepo, opts: HubFileSetOptions = {}): HubFileSet {
  const { cache, onProgress } = opts;
  const offline = opts.offline ?? false;
  // offline, a file the cache lacks is reported absent: messages say where it was looked for
  const label = offline ? `${repo.label} (offline: the download cache only)` : repo.label;
  const ref = (file: string): FileRef => ({ file, source: label });
  const auth = { token: repo.token, tokenOrigin: repo.endpoint.origin, hub: true };
  let pinned: string | undefined; // the commit the revision pointed at when the load began
  const url = (file: string) => resolveUrl(repo, file, pinned);
  const metas = new Map<string, Promise<FileMeta | undefined>>();

  const notCached = (file: string) =>
    new EdgeClipError(
      "source_unavailable",
      `cannot read ${file} from ${label}: not in the download cache${
        cache ? ` (${cache.label})` : ""
      } and offline is set`,
      { source: label, file, offline: true },
    );

  async function ask(file: string): Promise<FileMeta | undefined> {
    const u = url(file);
    let res = await request(u, ref(file), { ...auth, method: "HEAD", stopAtOtherOrigin: true });
    if (res.status === 405 || res.status === 501) {
      // no HEAD here: the headers of a GET, whose body is dropped
      res = await request(u, ref(file), { ...auth, stopAtOtherOrigin: true });
      await res.body?.cancel();
    }
    // a missing file is absent; a missing repo or revision is an error
    const hubCode = res.headers.get("x-error-code");
    if (res.status === 404 && hubCode !== "RepoNotFound" && hubCode !== "RevisionNotFound") {
      return undefined;
    }
    const redirected = res.status >= 300 && res.status < 400;
    if (!res.ok && !redirected) throw failure(res, u, ref(file), true);
    const h = res.headers;
    const commit = h.get("x-repo-commit") ?? undefined;
    pinned ??= commit && /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
    return {
      etag: bareTag(h.get("x-linked-etag") ?? h.get("etag")),
      commit,
      size: lengthOf(h.get("x-linked-size")) ??
        (redirected ? undefined : lengthOf(h.get("content-length"))),
    };
  }

  async function lookup(file: string): Promise<FileMeta | undefined> {
    // the cached record is read only where it answers: offline, or when the network fails
    const refOf = (f: string) => cache?.getRef(repo.id, repo.revision, repo.subfolder + f);
    if (offline) {
      const cached = await refOf(file);
      // nothing of this repo cached: not "absent", but never downloaded
      if (!cached && file !== "config.json" && !(await refOf("config.json"))) {
        throw notCached(file);
      }
      return cached;
    }
    try {
      return await ask(file);
    } catch (e) {
      // no connection: what the cache holds still loads
      const cached = e instanceof EdgeClipError && e.code === "source_network" && await refOf(file);
      if (cached) return cached;
      throw e;
    }
  }

  const meta = (file: string) => {
    let p = metas.get(file);
    if (!p) metas.set(file, p = lookup(file));
    return p;
  };

  async function mustMeta(file: string): Promise<FileMeta> {
    const m = await meta(file);
    if (m) return m;
    if (offline) throw notCached(file);
    throw new EdgeClipError(
      "source_unavailable",
      `cannot read ${file} from ${label}: ${url(file).href} answered HTTP 404: no such file in ` +
        `this repo/revision`,
      { source: label, file, url: url(file).href, status: 404 },
    );
  }

  /** The blob holding `file` in the cache (once per file: bytes() and open() may ask again). */
  const blobs = new Map<string, Promise<string>>();
  const cached = (c: CacheStore, file: string) => {
    let p = blobs.get(file);
    if (!p) {
      blobs.set(file, p = fetchBlob(c, file));
      p.catch(() => blobs.delete(file)); // a failed download may be tried again
    }
    return p;
  };

  /** The blob holding `file` in the cache, downloaded first when needed. */
  async function fetchBlob(c: CacheStore, file: string): Promise<string> {
    const m = await mustMeta(file);
    const key = repo.subfolder + file;
    // no ETag: kept for offline use, but downloaded again whenever online
    const blob = m.etag || `unversioned-${shortHash(`${repo.revision}/${key}`)}`;
    if ((offline || m.etag) && (await c.has(repo.id, blob))) {
      if (!offline) await record(c, key, m);
      return blob;
    }
    if (offline) throw notCached(file);
    await download(c, file, blob, m);
    await record(c, key, m);
    return blob;
  }

  /** Points the revision's ref of `key` at `m`, unless it already does. */
  async function record(c: CacheStore, key: string, m: FileMeta): Promise<void> {
    const old = await c.getRef(repo.id, repo.revision, key);
    if (old?.etag !== m.etag || old.commit !== m.commit || old.size !== m.size) {
      await c.putRef(repo.id, repo.revision, key, m);
    }
  }

  async function download(c: CacheStore, file: string, blob: string, m: FileMeta): Promise<void> {
    const u = url(file);
    const res = await request(u, ref(file), auth);
    if (!res.ok || !res.body) throw failure(res, u, ref(file), true);
    const size = lengthOf(res.headers.get("content-length")) ?? m.size;
    const progress = new ProgressCounter(file, size, onProgress);
    const reader = new ChunkReader(res.body);
    const cut = (why: string) =>
      new EdgeClipError("source_network", `download of ${file} from ${label}: ${why}`, {
        ...ref(file),
        url: u.href,
      });
    const guarded = stallGuard(
      () => reader.cancel(),
      () => cut(`no bytes for a minute at byte ${progress.loaded}`),
    );
    await c.put(repo.id, blob, async (sink) => {
      try {
        while (true) {
          const value = await guarded(() => reader.next());
          if (!value) break;
          await sink.write(value);
          progress.add(value.length);
        }
      } catch (e) {
        reader.cancel();
        if (e instanceof EdgeClipError) throw e;
        throw cut(`${(e as Error).message} at byte ${progress.loaded}`);
      }
      if (size !== undefined && progress.loaded !== size) {
        throw cut(`got ${progress.loaded} of ${size} bytes (cut short)`);
      }
      progress.done();
    });
  }

  async function bytes(file: string): Promise<Uint8Array> {
    if (cache) return await cache.bytes(repo.id, await cached(cache, file));
    await mustMeta(file);
    const u = url(file);
    const res = await request(u, ref(file), auth);
    if (!res.ok) throw failure(res, u, ref(file), true);
    return new Uint8Array(await res.arrayBuffer());
  }

  async function open(file: string): Promise<RandomAccess> {
    if (cache?.holdsWeights) return await cache.open(repo.id, await cached(cache, file));
    if (offline) throw notCached(file);
    const m = await mustMeta(file);
    // the web cache keeps no weights, but what they were: offline, the package made from them
    // is found by their ETags
    if (cache) await record(cache, repo.subfolder + file, m);
    return await openUrl(url(file), ref(file), auth);
  }

  return {
    label,
    repo,
    cache,
    offline,
    meta,
    exists: async (file) => (await meta(file)) !== undefined,
    bytes,
    text: async (file) => new TextDecoder().decode(await bytes(file)),
    open,
  };
}

/**
 * The cache a Hub load uses: the cacheDir option, $EDGECLIP_CACHE or the platform cache folder on
 * a host with a file system (the platform folder is skipped when it cannot be written: the load
 * then reads from the network alone), else the web Cache API where present, else none.
 */
export async function chooseCache(
  cacheDir?: string,
  offline = false,
): Promise<CacheStore | undefined> {
  const root = cacheRoot(cacheDir), fs = host.writer;
  if (root === undefined || !fs) return await webCache();
  // offline only reads; an explicit folder that cannot be written says so at the first download
  if (offline || cacheDir !== undefined || host.env("EDGECLIP_CACHE")) return diskCache(root, fs);
  const probe = `${root}/.probe-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.mkdir(root);
    await (await fs.create(probe)).close();
    await fs.remove(probe);
    return diskCache(root, fs);
  } catch {
    return undefined;
  }
}

/** The files of Hub repo `id` with the load's options. */
export async function hubSource(id: string, opts: SourceOptions = {}): Promise<HubFileSet> {
  const repo = hubRepo(id, opts);
  return hubFileSet(repo, {
    cache: await chooseCache(opts.cacheDir, opts.offline),
    offline: opts.offline,
    onProgress: opts.onProgress,
  });
}
