// The host's file system and environment behind one small object: the only src/ file outside
// cli/ that touches Deno.*. Another runtime (Node; a browser or Worker without a file system,
// which must fail with a clear EdgeClipError when given a path) plugs in here as another Host.

/** Byte-range reads of one file without holding all of it in JS memory. */
export interface RandomAccess {
  readonly size: number;
  /** Fills `dest` with the bytes at [offset, offset + dest.length). */
  read(offset: number, dest: Uint8Array): Promise<void>;
  close(): void;
}

/** What stat says about a path. */
export interface PathInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly size: number;
}

/** Sequential writes to a new file (a download on its way into the cache). */
export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): void;
}

/** File-system and environment access. Failures are the host's own errors: see `explain`. */
export interface Host {
  readFile(path: string | URL): Promise<Uint8Array>;
  /** Opens a file for random-access reads. */
  open(path: string): Promise<RandomAccess>;
  stat(path: string): Promise<PathInfo>;
  /** An environment variable, undefined when unset or not readable. */
  env(name: string): string | undefined;
  /** The reason a host call failed, in words a message can carry ("no such file", …). */
  explain(e: unknown): string;

  // What the download cache needs (io/cache_disk.ts). A host without a file system answers
  // undefined to cacheHome() and is never asked for the rest.

  /**
   * The platform's folder for caches: $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches
   * (macOS), %LOCALAPPDATA% (Windows); undefined when the host has no file system or no home.
   */
  cacheHome(): string | undefined;
  /** Creates a folder and its parents; an existing folder is fine. */
  mkdir(path: string): Promise<void>;
  /** Creates (or truncates) a file for sequential writes. */
  create(path: string): Promise<FileWriter>;
  /** Moves a file onto `to` in one step, replacing it: how a finished download appears. */
  rename(from: string, to: string): Promise<void>;
  /** Deletes a file; a missing one is fine. */
  remove(path: string): Promise<void>;
}

/** Opens a local file for reads; a read past its end fails with a RangeError. */
async function denoOpen(path: string): Promise<RandomAccess> {
  const f = await Deno.open(path, { read: true });
  let size: number;
  try {
    size = (await f.stat()).size;
  } catch (e) {
    f.close();
    throw e;
  }
  return {
    size,
    // Synchronous on purpose: a model load is hundreds of reads, and each async seek + read
    // pair costs two thread-pool round trips (measured: 347 reads of a ViT-B/32 package
    // 103–110 ms async vs ~50 ms for the same bytes in one stream).
    read(offset, dest) {
      try {
        f.seekSync(offset, Deno.SeekMode.Start);
        let done = 0;
        while (done < dest.length) {
          const n = f.readSync(dest.subarray(done));
          if (n === null) throw new RangeError(`unexpected end of file at ${offset + done}`);
          done += n;
        }
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close: () => f.close(),
  };
}

/** The platform cache folder from the environment (see Host.cacheHome). */
function denoCacheHome(env: (name: string) => string | undefined): string | undefined {
  if (Deno.build.os === "windows") return env("LOCALAPPDATA");
  const home = env("HOME");
  if (Deno.build.os === "darwin") return home && `${home}/Library/Caches`;
  return env("XDG_CACHE_HOME") || (home && `${home}/.cache`);
}

async function denoCreate(path: string): Promise<FileWriter> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  return {
    async write(chunk) {
      for (let o = 0; o < chunk.length;) o += await f.write(chunk.subarray(o));
    },
    close: () => f.close(),
  };
}

const DENO_HOST: Host = {
  readFile: (path) => Deno.readFile(path),
  open: denoOpen,
  stat: async (path) => {
    const s = await Deno.stat(path);
    return { isFile: s.isFile, isDirectory: s.isDirectory, size: s.size };
  },
  env(name) {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env: treated as unset
    }
  },
  explain(e) {
    if (e instanceof Deno.errors.NotFound) return "no such file";
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return "permission denied (run Deno with --allow-read / --allow-net for this path)";
    }
    return e instanceof Error ? e.message : String(e);
  },
  cacheHome: () => denoCacheHome(DENO_HOST.env),
  mkdir: (path) => Deno.mkdir(path, { recursive: true }),
  create: denoCreate,
  rename: (from, to) => Deno.rename(from, to),
  async remove(path) {
    try {
      await Deno.remove(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  },
};

/** The host edgeclip runs on (the one place a Node or browser host will be chosen). */
export const host: Host = DENO_HOST;

/** True when `path` names an existing directory. */
export async function isDir(path: string): Promise<boolean> {
  try {
    return (await host.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
