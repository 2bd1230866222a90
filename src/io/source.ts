// Where model and adapter files come from: a local folder or file, a Hub id ("org/name"), a URL
// (http(s) or file:), or files held in memory (bytes, Blobs, streams). Local files go through the
// host (host.ts); Hub repos through hub.ts (download cache); URLs through url_files.ts.
//
// A string that names an existing local path is local; a string of the Hub id form "org/name"
// that is not a local path is a Hub id.

import { EdgeClipError } from "../errors.ts";
import { host, type RandomAccess } from "./host.ts";
import { hubSource } from "./hub.ts";
import { hubEndpointOf, hubTokenOf, isHubId, type SourceOptions } from "./hub_repo.ts";
import { type MemoryFiles, memoryFileSet } from "./memory_files.ts";
import { urlFileSet } from "./url_files.ts";

export { type MemoryFile, type MemoryFiles, memoryFileSet } from "./memory_files.ts";
export { urlFileSet } from "./url_files.ts";
export { SOURCE_OPTIONS, type SourceOptions } from "./hub_repo.ts";

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
 * the Files of a folder (e.g. from `<input type="file" webkitdirectory>`); or an edgeclip package
 * alone as a File/Blob or a stream (read front to back as it arrives).
 */
export type Source =
  | string
  | URL
  | MemoryFiles
  | readonly File[]
  | Blob
  | ReadableStream<Uint8Array>;

function isList(s: Source): s is readonly File[] {
  return Array.isArray(s); // Array.isArray does not narrow a readonly array type
}

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
    origin = new URL(hubEndpointOf(opts)).origin;
  } catch {
    return {};
  }
  const token = hubTokenOf(opts);
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
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    const name = "model.safetensors";
    return {
      files: memoryFileSet({ [name]: source }, "a stream", { sequential: name }),
      single: name,
    };
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    // one File or Blob: a package file (a File keeps its name)
    const name = typeof File !== "undefined" && source instanceof File && source.name
      ? source.name
      : "model.safetensors";
    return { files: memoryFileSet({ [name]: source }, name), single: name };
  }
  if (isList(source)) {
    const files: MemoryFiles = {};
    for (const f of source as readonly unknown[]) {
      if (!(typeof File !== "undefined" && f instanceof File)) {
        throw new EdgeClipError("invalid_input", "an array source must hold File objects only");
      }
      files[f.name] = f;
    }
    return await resolveSource(files, opts);
  }
  if (source && typeof source === "object" && !ArrayBuffer.isView(source)) {
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
      "in-memory files, Files, or an edgeclip package as a Blob or stream",
  );
}
