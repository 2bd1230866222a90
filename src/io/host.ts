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
}

/** The host of the running runtime: Deno, else Node (or Bun), else none (browsers, Workers). */
function detect(): Host {
  return denoHost() ?? nodeHost() ?? noFileSystemHost();
}

/** The host edgeclip runs on. */
export const host: Host = detect();

/** True when `path` names an existing directory. */
export async function isDir(path: string): Promise<boolean> {
  try {
    return (await host.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
