// The host's file system and environment behind one small object, chosen by feature detection:
// Deno (host_deno.ts), Node and Node-compatible runtimes (host_node.ts), or none — browsers and
// Workers, where a path fails with a clear EdgeClipError (host_none.ts). Everything else in src/
// outside cli/ uses web-standard APIs only (enforced by tests/architecture_test.ts).

import { denoHost } from "./host_deno.ts";
import { nodeHost } from "./host_node.ts";
import { noFileSystemHost } from "./host_none.ts";

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
  /** Once resolved, the file may be renamed (Windows refuses to move an open file). */
  close(): Promise<void>;
}

/**
 * What the download cache (cache.ts) needs beyond reads: a host with a writable file system has
 * one; a host without (browsers, Workers) has none, and the cache uses the web Cache API.
 */
export interface HostWriter {
  /**
   * The platform's folder for caches: $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches
   * (macOS), %LOCALAPPDATA% (Windows); undefined without a home folder.
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

/** The platform cache folder of a desktop OS, from its environment (HostWriter.cacheHome). */
export function platformCacheHome(
  os: string,
  env: (name: string) => string | undefined,
): string | undefined {
  if (os === "windows" || os === "win32") return env("LOCALAPPDATA");
  const home = env("HOME");
  if (os === "darwin") return home && `${home}/Library/Caches`;
  return env("XDG_CACHE_HOME") || (home && `${home}/.cache`);
}

/** File-system and environment access. Failures are the host's own errors: see `explain`. */
export interface Host {
  /** Which runtime this is, for messages ("deno", "node", or "none": no file system). */
  readonly name: "deno" | "node" | "none";
  readFile(path: string | URL): Promise<Uint8Array>;
  /** Opens a file for random-access reads. */
  open(path: string): Promise<RandomAccess>;
  stat(path: string): Promise<PathInfo>;
  /** An environment variable, undefined when unset or not readable. */
  env(name: string): string | undefined;
  /** The reason a host call failed, in words a message can carry ("no such file", …). */
  explain(e: unknown): string;
  /** Writes for the download cache; absent on a host without a writable file system. */
  readonly writer?: HostWriter;
}

/** The host of the running runtime: Deno, else Node (or Bun), else none (browsers, Workers). */
function detect(): Host {
  return denoHost() ?? nodeHost() ?? noFileSystemHost();
}

/** The host edgeclip runs on. */
export const host: Host = detect();
