// The download cache: files of Hub repos stored by ETag, a pointer per (revision, file) saying
// which ETag the file had when last seen, and edgeclip packages converted at first load. On a
// file system (cacheDir, else $EDGECLIP_CACHE, else the platform cache folder):
//
//   <root>/<org>--<name>/blobs/<etag>                     a file's bytes (the Hub's LFS ETag is
//                                                         its SHA-256), or a converted package
//   <root>/<org>--<name>/refs/<revision>/<file>.json      { etag, commit, size } (names encoded)
//
// Every write goes to `<final>.partial-<random>` and is renamed into place when complete, so an
// interrupted download never leaves a file that a later load trusts. On hosts without a file
// system, cache_web.ts keeps the same entries in the web Cache API.

import { EdgeClipError } from "../errors.ts";
import { host, type HostWriter, type RandomAccess } from "./host.ts";
import type { ByteSink } from "./safetensors_write.ts";

/** A file of a repo at a revision, as the server described it. */
export interface FileMeta {
  /** The ETag without quotes or W/ ("" when the server sent none: never trusted online). */
  readonly etag: string;
  /** The commit the revision pointed at (X-Repo-Commit), when the server said. */
  readonly commit?: string;
  readonly size?: number;
}

/** Cached blobs and pointers, by repo id ("org/name"). */
export interface CacheStore {
  /** Where the cache lives, for messages. */
  readonly label: string;
  /** False when only small files and converted packages are kept (the web Cache API). */
  readonly holdsWeights: boolean;
  getRef(repo: string, revision: string, file: string): Promise<FileMeta | undefined>;
  putRef(repo: string, revision: string, file: string, meta: FileMeta): Promise<void>;
  has(repo: string, blob: string): Promise<boolean>;
  bytes(repo: string, blob: string): Promise<Uint8Array>;
  open(repo: string, blob: string): Promise<RandomAccess>;
  /** Stores a blob from what `write` produces; it becomes visible only once `write` resolves. */
  put(repo: string, blob: string, write: (sink: ByteSink) => Promise<void>): Promise<void>;
}

/** 16 hex digits of two FNV-1a hashes: names for cache keys that are not safe as they are. */
export function shortHash(s: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/** A name usable as one path segment: kept when plain, else hashed. */
export function safeName(s: string): string {
  return /^[A-Za-z0-9][\w.-]{0,127}$/.test(s) && !s.includes("..") ? s : `h-${shortHash(s)}`;
}

/** The folder of a repo inside the cache ("org/name" → "org--name"). */
export function repoFolder(repo: string): string {
  return repo.split("/").map(safeName).join("--");
}

/**
 * The cache root: the option, else $EDGECLIP_CACHE, else `<platform cache folder>/edgeclip`;
 * undefined on a host that cannot write files.
 */
export function cacheRoot(cacheDir?: string): string | undefined {
  if (!host.writer) return undefined;
  if (cacheDir) return cacheDir;
  const env = host.env("EDGECLIP_CACHE");
  if (env) return env;
  const home = host.writer.cacheHome();
  return home && `${home.replace(/[\\/]+$/, "")}/edgeclip`;
}

function random(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** The cache in a folder of the host's file system, written through `fs`. */
export function diskCache(root: string, fs: HostWriter): CacheStore {
  const dir = (repo: string) => `${root.replace(/[\\/]+$/, "")}/${repoFolder(repo)}`;
  const blobPath = (repo: string, blob: string) => `${dir(repo)}/blobs/${safeName(blob)}`;
  const refPath = (repo: string, rev: string, file: string) =>
    `${dir(repo)}/refs/${safeName(encodeURIComponent(rev))}/${
      safeName(encodeURIComponent(file))
    }.json`;
  const cannot = (what: string, path: string, e: unknown) =>
    new EdgeClipError(
      "source_unavailable",
      `download cache: cannot ${what} ${path}: ${
        host.explain(e)
      } (set cacheDir or $EDGECLIP_CACHE)`,
      { file: path },
      { cause: e },
    );
  /** Writes `path` atomically: a temporary file renamed into place once `write` completes. */
  async function atomic(path: string, write: (sink: ByteSink) => Promise<void>): Promise<void> {
    const folder = path.slice(0, path.lastIndexOf("/"));
    const tmp = `${path}.partial-${random()}`;
    let w;
    try {
      await fs.mkdir(folder);
      w = await fs.create(tmp);
    } catch (e) {
      throw cannot("write in", folder, e);
    }
    try {
      await write(w);
      await w.close();
      await fs.rename(tmp, path);
    } catch (e) {
      await w.close().catch(() => {}); // closed already, or failing: the file goes anyway
      await fs.remove(tmp).catch(() => {});
      throw e;
    }
  }
  const enc = new TextEncoder();
  return {
    label: root,
    holdsWeights: true,
    async getRef(repo, rev, file) {
      let text: string;
      try {
        text = new TextDecoder().decode(await host.readFile(refPath(repo, rev, file)));
      } catch {
        return undefined;
      }
      try {
        const m = JSON.parse(text);
        return typeof m?.etag === "string" ? m as FileMeta : undefined;
      } catch {
        return undefined; // unreadable: as if absent (it is rewritten on the next download)
      }
    },
    putRef: (repo, rev, file, meta) =>
      atomic(
        refPath(repo, rev, file),
        async (s) => await s.write(enc.encode(JSON.stringify(meta))),
      ),
    async has(repo, blob) {
      try {
        return (await host.stat(blobPath(repo, blob))).isFile;
      } catch {
        return false;
      }
    },
    async bytes(repo, blob) {
      try {
        return await host.readFile(blobPath(repo, blob));
      } catch (e) {
        throw cannot("read", blobPath(repo, blob), e);
      }
    },
    async open(repo, blob) {
      try {
        return await host.open(blobPath(repo, blob));
      } catch (e) {
        throw cannot("read", blobPath(repo, blob), e);
      }
    },
    put: (repo, blob, write) => atomic(blobPath(repo, blob), write),
  };
}
