// The host of runtimes without a file system (browsers, Cloudflare Workers): every file call
// fails with an EdgeClipError that names the path and says what to pass instead.

import { EdgeClipError } from "../errors.ts";
import type { Host } from "./host.ts";

/** What a caller passes where no file system exists. */
const INSTEAD = "pass a URL (e.g. new URL(path, location.href) in a page), " +
  "or the bytes themselves (Uint8Array, Blob/File, or { name: bytes } for a model folder)";

function noFiles(path: string | URL): Promise<never> {
  const p = path instanceof URL ? path.href : path;
  return Promise.reject(
    new EdgeClipError(
      "source_unavailable",
      `cannot read the path ${p}: this runtime (a browser or Worker) has no file system; ${INSTEAD}`,
      { path: p },
    ),
  );
}

const NO_FILE_SYSTEM: Host = {
  name: "none",
  readFile: noFiles,
  open: noFiles,
  stat: noFiles,
  env: () => undefined,
  explain(e) {
    if (e instanceof EdgeClipError && e.code === "source_unavailable" && "path" in e.context) {
      return `this runtime (a browser or Worker) has no file system; ${INSTEAD}`;
    }
    return e instanceof Error ? e.message : String(e);
  },
};

/** The host without a file system. */
export function noFileSystemHost(): Host {
  return NO_FILE_SYSTEM;
}
