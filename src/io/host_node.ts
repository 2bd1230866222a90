// The Node host (also Bun and other runtimes with Node's `fs`): files through node:fs, variables
// through process.env. node:fs is reached through `process.getBuiltinModule` (Node ≥ 20.16), else
// a dynamic import, so that no static `node:` import breaks a bundle for browsers or Workers.

import {
  type FileWriter,
  type Host,
  type HostWriter,
  type PathInfo,
  platformCacheHome,
  type RandomAccess,
} from "./host.ts";

/** The part of node:fs this host uses. */
interface NodeFs {
  promises: {
    readFile(path: string | URL): Promise<Uint8Array>;
    stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean; size: number }>;
    // for the download cache
    mkdir(path: string, opts: { recursive: true }): Promise<unknown>;
    open(path: string, flags: string): Promise<{
      write(b: Uint8Array, o: number, n: number): Promise<{ bytesWritten: number }>;
      close(): Promise<void>;
    }>;
    rename(from: string, to: string): Promise<void>;
    rm(path: string, opts: { force: true }): Promise<void>;
  };
  openSync(path: string, flags: string): number;
  fstatSync(fd: number): { size: number };
  readSync(fd: number, into: Uint8Array, offset: number, length: number, position: number): number;
  closeSync(fd: number): void;
}

interface NodeProcess {
  platform?: string;
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

// Read on first use, never at import: under Deno, `globalThis.process` is a getter that boots
// Deno's Node compatibility layer (measured: +5 MiB of peak RSS for every Deno user).
let procRead: NodeProcess | undefined | null = null;
function proc(): NodeProcess | undefined {
  if (procRead === null) procRead = (globalThis as { process?: NodeProcess }).process;
  return procRead;
}

let fsModule: Promise<NodeFs> | undefined;
function fs(): Promise<NodeFs> {
  fsModule ??= (async () => {
    const builtin = proc()?.getBuiltinModule?.("node:fs");
    if (builtin) return builtin as NodeFs;
    const name = "node:fs"; // a variable, so bundlers leave the import to run time
    return (await import(name)) as NodeFs;
  })();
  return fsModule;
}

/** A plain Uint8Array over a Buffer's bytes (a Buffer's slice() is a view, not a copy). */
function plain(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

async function open(path: string): Promise<RandomAccess> {
  const f = await fs();
  const fd = f.openSync(path, "r");
  let size: number;
  try {
    size = f.fstatSync(fd).size;
  } catch (e) {
    f.closeSync(fd);
    throw e;
  }
  return {
    size,
    // synchronous positioned reads, as the Deno host (a load is hundreds of reads)
    read(offset, dest) {
      try {
        let done = 0;
        while (done < dest.length) {
          const n = f.readSync(fd, dest, done, dest.length - done, offset + done);
          if (n === 0) throw new RangeError(`unexpected end of file at ${offset + done}`);
          done += n;
        }
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close: () => f.closeSync(fd),
  };
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file",
  ENOTDIR: "no such file (a parent is not a folder)",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a folder, not a file",
};

async function create(path: string): Promise<FileWriter> {
  const f = await (await fs()).promises.open(path, "w");
  return {
    async write(chunk) {
      for (let o = 0; o < chunk.length;) {
        o += (await f.write(chunk, o, chunk.length - o)).bytesWritten;
      }
    },
    close: () => f.close(),
  };
}

/** Writes for the download cache (io/cache.ts). */
const NODE_WRITER: HostWriter = {
  cacheHome: () => platformCacheHome(proc()?.platform ?? "linux", (n) => proc()?.env?.[n]),
  mkdir: async (path) => void (await (await fs()).promises.mkdir(path, { recursive: true })),
  create,
  rename: async (from, to) => await (await fs()).promises.rename(from, to),
  remove: async (path) => await (await fs()).promises.rm(path, { force: true }),
};

const NODE_HOST: Host = {
  name: "node",
  readFile: async (path) => plain(await (await fs()).promises.readFile(path)),
  open,
  async stat(path): Promise<PathInfo> {
    const s = await (await fs()).promises.stat(path);
    return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
  },
  env: (name) => proc()?.env?.[name],
  explain(e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === "string" && code in REASONS) return REASONS[code];
    return e instanceof Error ? e.message : String(e);
  },
  writer: NODE_WRITER,
};

/** The Node host when running under Node (or a runtime that reports a Node version). */
export function nodeHost(): Host | undefined {
  return typeof proc()?.versions?.node === "string" ? NODE_HOST : undefined;
}
