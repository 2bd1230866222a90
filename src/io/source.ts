// Where model and adapter files come from: a local folder or file, a URL (http(s) or file:),
// or files held in memory. Local files go through the host (host.ts); URLs through fetch.

import { EdgeClipError } from "../errors.ts";
import { host, isDir, type RandomAccess } from "./host.ts";

/** A set of named files: a model or adapter folder. */
export interface FileSet {
  /** Human-readable origin for messages. */
  readonly label: string;
  exists(name: string): Promise<boolean>;
  bytes(name: string): Promise<Uint8Array>;
  text(name: string): Promise<string>;
  open(name: string): Promise<RandomAccess>;
}

/** In-memory files: name → bytes (or text). */
export type MemoryFiles = Record<string, Uint8Array | ArrayBuffer | string>;

/** What loadClip/loadAdapter accept as a source. */
export type Source = string | URL | MemoryFiles;

function unavailable(label: string, name: string, why: string, cause?: unknown): EdgeClipError {
  return new EdgeClipError(
    "source_unavailable",
    `cannot read ${name} from ${label}: ${why}`,
    { source: label, file: name },
    { cause },
  );
}

function memoryAccess(data: Uint8Array): RandomAccess {
  let bytes: Uint8Array | null = data;
  return {
    size: data.length,
    read(offset, dest) {
      if (!bytes) return Promise.reject(new RangeError("read after close"));
      if (offset < 0 || offset + dest.length > bytes.length) {
        return Promise.reject(
          new RangeError(`read past end (${offset}+${dest.length} > ${bytes.length})`),
        );
      }
      dest.set(bytes.subarray(offset, offset + dest.length));
      return Promise.resolve();
    },
    close() {
      bytes = null; // a fetched weight file is released once its tensors are in linear memory
    },
  };
}

function toBytes(v: Uint8Array | ArrayBuffer | string): Uint8Array {
  if (typeof v === "string") return new TextEncoder().encode(v);
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

/** Files held in memory. */
export function memoryFileSet(files: MemoryFiles, label = "in-memory files"): FileSet {
  // own entries only: a file named "constructor" is not Object.prototype.constructor
  const has = (name: string) => Object.hasOwn(files, name) && files[name] !== undefined;
  const get = (name: string): Uint8Array => {
    if (!has(name)) throw unavailable(label, name, "not among the given files");
    return toBytes(files[name]);
  };
  return {
    label,
    exists: (name) => Promise.resolve(has(name)),
    bytes: (name) => Promise.resolve().then(() => get(name)),
    text: (name) => Promise.resolve().then(() => new TextDecoder().decode(get(name))),
    open: (name) => Promise.resolve().then(() => memoryAccess(get(name))),
  };
}

/** A local folder. */
export function folderFileSet(dir: string): FileSet {
  const path = (name: string) => `${dir.replace(/\/+$/, "")}/${name}`;
  const read = async (name: string) => {
    try {
      return await host.readFile(path(name));
    } catch (e) {
      throw unavailable(dir, name, host.explain(e), e);
    }
  };
  return {
    label: dir,
    async exists(name) {
      try {
        return (await host.stat(path(name))).isFile;
      } catch {
        return false;
      }
    },
    bytes: read,
    text: async (name) => new TextDecoder().decode(await read(name)),
    async open(name) {
      let ra: RandomAccess;
      try {
        ra = await host.open(path(name));
      } catch (e) {
        throw unavailable(dir, name, host.explain(e), e);
      }
      return {
        size: ra.size,
        read: (offset, dest) =>
          ra.read(offset, dest).catch((e) => {
            throw unavailable(dir, name, host.explain(e), e);
          }),
        close: () => ra.close(),
      };
    },
  };
}

/**
 * A folder behind an http(s) URL; each file is fetched once when asked for. A file opened for
 * tensor reads leaves the cache, so its bytes are freed when the reader closes.
 */
export function urlFileSet(base: URL): FileSet {
  const dir = new URL(base.href.endsWith("/") ? base.href : base.href + "/");
  const cache = new Map<string, Promise<Uint8Array>>();
  const get = (name: string): Promise<Uint8Array> => {
    let p = cache.get(name);
    if (!p) {
      const url = new URL(name, dir);
      p = (async () => {
        if (url.protocol === "file:") {
          try {
            return await host.readFile(url);
          } catch (e) {
            throw unavailable(dir.href, name, host.explain(e), e);
          }
        }
        let res: Response;
        try {
          res = await fetch(url);
        } catch (e) {
          throw unavailable(dir.href, name, host.explain(e), e);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw unavailable(dir.href, name, `HTTP ${res.status} ${res.statusText}`);
        }
        return new Uint8Array(await res.arrayBuffer());
      })();
      cache.set(name, p);
    }
    return p;
  };
  return {
    label: dir.href,
    exists: (name) => get(name).then(() => true, () => false),
    bytes: get,
    text: async (name) => new TextDecoder().decode(await get(name)),
    open: async (name) => {
      const bytes = await get(name);
      cache.delete(name);
      return memoryAccess(bytes);
    },
  };
}

/**
 * Resolves a source into a file set. A path or URL naming a single `.safetensors` file becomes a
 * one-file set whose only member is `file` (so callers can tell a package from a folder).
 */
export async function resolveSource(
  source: Source,
): Promise<{ files: FileSet; single?: string }> {
  if (source instanceof URL || (typeof source === "string" && /^(https?|file):/i.test(source))) {
    const url = source instanceof URL ? source : new URL(source);
    // file: URLs are local paths (random access, no whole-file read)
    if (url.protocol === "file:") return await resolveSource(decodeURIComponent(url.pathname));
    if (/\.safetensors$/i.test(url.pathname)) {
      const name = decodeURIComponent(url.pathname.split("/").pop()!);
      return { files: urlFileSet(new URL(".", url)), single: name };
    }
    return { files: urlFileSet(url) };
  }
  if (typeof source === "string") {
    if (await isDir(source)) return { files: folderFileSet(source) };
    const slash = source.lastIndexOf("/");
    const dir = slash >= 0 ? source.slice(0, slash) || "/" : ".";
    const name = source.slice(slash + 1);
    try {
      await host.stat(source);
    } catch (e) {
      throw unavailable(source, name, host.explain(e), e);
    }
    return { files: folderFileSet(dir), single: name };
  }
  if (source && typeof source === "object") {
    const names = Object.keys(source);
    const single = names.length === 1 && /\.safetensors$/i.test(names[0]) ? names[0] : undefined;
    return { files: memoryFileSet(source), single };
  }
  throw new EdgeClipError(
    "invalid_input",
    "source must be a folder or file path, a URL, or an object of in-memory files",
  );
}
