// Where model and adapter files come from: a local folder or file, a Hub id ("org/name"), a URL
// (http(s) or file:), or files held in memory (bytes, Blobs, streams). Local files go through the
// host (host.ts); Hub repos through hub.ts (download cache); URLs through url_files.ts.
//
// A string that names an existing local path is local; a string of the Hub id form "org/name"
// that is not a local path is a Hub id.

import { EdgeClipError } from "../errors.ts";
import { host, type RandomAccess } from "./host.ts";
import { hubSource } from "./hub.ts";
import { isHubId, PUBLIC_HUB, type SourceOptions } from "./hub_repo.ts";
import { type MemoryFiles, memoryFileSet } from "./memory_files.ts";
import { urlFileSet } from "./url_files.ts";

export { type MemoryFile, type MemoryFiles, memoryFileSet } from "./memory_files.ts";
export { urlFileSet } from "./url_files.ts";
export type { SourceOptions } from "./hub_repo.ts";

/** A set of named files: a model or adapter folder. */
export interface FileSet {
  /** Human-readable origin for messages. */
  readonly label: string;
  /**
   * True when the files are the caller's (in memory): read during the load only, never kept or
   * opened again afterwards.
   */
  readonly transient?: boolean;
  exists(name: string): Promise<boolean>;
  bytes(name: string): Promise<Uint8Array>;
  text(name: string): Promise<string>;
  open(name: string): Promise<RandomAccess>;
}

/**
 * What loadClip/loadAdapter accept as a source: a path, Hub id or URL; in-memory files by name;
 * or an edgeclip package alone as a stream or Blob (read front to back as it arrives).
 */
export type Source = string | URL | MemoryFiles | ReadableStream<Uint8Array> | Blob;

function unavailable(label: string, name: string, why: string, cause?: unknown): EdgeClipError {
  return new EdgeClipError(
    "source_unavailable",
    `cannot read ${name} from ${label}: ${why}`,
    { source: label, file: name },
    { cause },
  );
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

/** The token for a URL on the Hub's own host (the option, else $HF_TOKEN); none elsewhere. */
function urlAuth(url: URL, opts: SourceOptions): { token?: string; tokenOrigin?: string } {
  let origin: string;
  try {
    origin = new URL(opts.hubEndpoint ?? host.env("HF_ENDPOINT") ?? PUBLIC_HUB).origin;
  } catch {
    return {};
  }
  const token = opts.token ?? (host.env("HF_TOKEN") || undefined);
  return url.origin === origin && token ? { token, tokenOrigin: origin } : {};
}

/** The single file a URL or path names: a `.safetensors` file (an edgeclip package). */
const SINGLE = /\.safetensors$/i;

/** Whether a local path exists, and is a folder. */
async function localKind(path: string): Promise<"dir" | "file" | undefined> {
  try {
    return (await host.stat(path)).isDirectory ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/**
 * Resolves a source into a file set. A path, URL or stream naming a single `.safetensors` file
 * becomes a one-file set whose only member is `single` (so callers can tell a package from a
 * folder).
 */
export async function resolveSource(
  source: Source,
  opts: SourceOptions = {},
): Promise<{ files: FileSet; single?: string }> {
  if (source instanceof URL || (typeof source === "string" && /^(https?|file):/i.test(source))) {
    const url = source instanceof URL ? source : new URL(source);
    // file: URLs are local paths (random access, no whole-file read)
    if (url.protocol === "file:") return await resolveSource(decodeURIComponent(url.pathname));
    const auth = urlAuth(url, opts);
    if (SINGLE.test(url.pathname)) {
      const name = decodeURIComponent(url.pathname.split("/").pop()!);
      return { files: urlFileSet(new URL(".", url), auth), single: name };
    }
    return { files: urlFileSet(url, auth) };
  }
  if (typeof source === "string") {
    const kind = await localKind(source);
    if (kind === "dir") return { files: folderFileSet(source) };
    if (kind === undefined && isHubId(source)) return { files: await hubSource(source, opts) };
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
  const name = "model.safetensors";
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    return {
      files: memoryFileSet({ [name]: source }, "a stream", { sequential: name }),
      single: name,
    };
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return { files: memoryFileSet({ [name]: source }, "a Blob"), single: name };
  }
  if (
    source && typeof source === "object" && !Array.isArray(source) && !ArrayBuffer.isView(source)
  ) {
    const names = Object.keys(source);
    const single = names.length === 1 && SINGLE.test(names[0]) ? names[0] : undefined;
    return {
      files: memoryFileSet(source as MemoryFiles, undefined, { sequential: single }),
      single,
    };
  }
  throw new EdgeClipError(
    "invalid_input",
    'source must be a folder or file path, a Hub id ("org/name"), a URL, an object of ' +
      "in-memory files, or an edgeclip package as a stream or Blob",
  );
}
