// HTTP requests for model files: redirects followed by hand so a token only ever reaches the host
// it is meant for (the Hub answers large files with a 302 to a CDN on another host), and every
// failure an EdgeClipError naming the file, the URL and the status, with a code that tells a
// missing file (source_unavailable) from a refusal (source_denied) and a broken download
// (source_network).

import { EdgeClipError } from "../errors.ts";
import { host } from "./host.ts";

/** What a request is for, in messages: the file and where it belongs (a repo id, a folder URL). */
export interface FileRef {
  readonly file: string;
  readonly source: string;
}

export interface RequestOptions {
  method?: "GET" | "HEAD";
  /** A Range header value ("bytes=100-"). */
  range?: string;
  /** Sent as `Authorization: Bearer` to URLs of `tokenOrigin` only, never to a redirect elsewhere. */
  token?: string;
  tokenOrigin?: string;
  /**
   * Return a redirect to another origin instead of following it: the Hub's 302 to its CDN
   * carries the file's ETag, size and commit (X-Linked-Etag, X-Linked-Size, X-Repo-Commit).
   */
  stopAtOtherOrigin?: boolean;
}

/** Time allowed for a server to answer with headers, and for a body to deliver its next bytes. */
export const STALL_MS = 60_000;
const MAX_REDIRECTS = 10;

/** A response whose status the caller judges (see failure); network failures have thrown. */
export async function request(
  url: URL,
  ref: FileRef,
  opts: RequestOptions = {},
): Promise<Response> {
  let at = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = new Headers();
    if (opts.range) headers.set("Range", opts.range);
    if (opts.token && opts.tokenOrigin === at.origin) {
      headers.set("Authorization", `Bearer ${opts.token}`);
    }
    let res = await send(at, ref, { method: opts.method ?? "GET", headers, redirect: "manual" });
    if (res.type === "opaqueredirect") {
      // a browser hides manual redirects; its own redirect drops Authorization across origins
      res = await send(at, ref, { method: opts.method ?? "GET", headers, redirect: "follow" });
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) return res;
    const next = new URL(location, at);
    if (opts.stopAtOtherOrigin && next.origin !== at.origin) return res;
    await res.body?.cancel();
    at = next;
  }
  throw new EdgeClipError(
    "source_network",
    `cannot read ${ref.file} from ${ref.source}: more than ${MAX_REDIRECTS} redirects from ${url}`,
    { ...ref, url: url.href },
  );
}

/**
 * Runs `onLate` after `ms` unless the returned function is called first. Not setTimeout: under
 * Deno that loads its Node timers on first use (measured: +3.5 MiB of peak RSS); a timeout
 * signal costs nothing extra, and once its listener is gone it holds no process open.
 */
export function deadline(ms: number, onLate: () => void): () => void {
  const signal = AbortSignal.timeout(ms);
  signal.addEventListener("abort", onLate, { once: true });
  return () => signal.removeEventListener("abort", onLate);
}

/** fetch with a deadline for the headers; a failure to connect is source_network. */
async function send(url: URL, ref: FileRef, init: RequestInit): Promise<Response> {
  const abort = new AbortController();
  const answered = deadline(STALL_MS, () => abort.abort());
  try {
    return await fetch(url, { ...init, signal: abort.signal });
  } catch (e) {
    // a missing --allow-net is not a network failure: say what to do instead
    const permission = !(e instanceof TypeError) && !abort.signal.aborted;
    const why = abort.signal.aborted
      ? `no answer within ${STALL_MS / 1000} s`
      : permission
      ? host.explain(e)
      : `network failure (${(e as Error).message})`;
    throw new EdgeClipError(
      permission ? "source_unavailable" : "source_network",
      `cannot read ${ref.file} from ${ref.source}: ${url.href}: ${why}`,
      { ...ref, url: url.href },
      { cause: e },
    );
  } finally {
    answered();
  }
}

/**
 * The error for a response that is not what was asked for, by status: 401/403 source_denied,
 * 404 source_unavailable, anything else source_network. `hub` words them for a Hub repo. The
 * Hub's X-Error-Code tells a missing repo or revision from a missing file.
 */
export function failure(res: Response, url: URL, ref: FileRef, hub = false): EdgeClipError {
  res.body?.cancel().catch(() => {});
  const status = res.status, hubCode = res.headers.get("x-error-code") ?? "";
  const ctx = { ...ref, url: url.href, status };
  const said = `${url.href} answered HTTP ${status}`;
  const msg = (what: string) => `cannot read ${ref.file} from ${ref.source}: ${said}: ${what}`;
  if (status === 401 || status === 403 || hubCode === "GatedRepo") {
    const what = hub
      ? hubCode === "RepoNotFound"
        ? "no such repo, or it is private or gated: pass a token (token option or $HF_TOKEN)"
        : "the repo is gated or private: pass a token (token option or $HF_TOKEN) with access"
      : "access refused";
    return new EdgeClipError("source_denied", msg(what), ctx);
  }
  if (status === 404) {
    const what = !hub
      ? "no such file"
      : hubCode === "RepoNotFound"
      ? "no such repo"
      : hubCode === "RevisionNotFound"
      ? "no such revision"
      : "no such file in this repo/revision";
    return new EdgeClipError("source_unavailable", msg(what), ctx);
  }
  return new EdgeClipError("source_network", msg(res.statusText || "request failed"), ctx);
}

/**
 * Guards the reads of one body: a read that gets nothing for `ms` is cancelled and fails with
 * `where()`. One timeout signal serves consecutive reads (a 600 MB download makes ~9k reads, and a
 * signal per read kept ~5 MiB of pending timers alive), and its listener is attached only while a
 * read waits, so a finished body holds no process open.
 */
export function stallGuard(
  cancel: () => void,
  where: () => EdgeClipError,
  ms = STALL_MS,
): <T>(read: () => Promise<T>) => Promise<T> {
  let signal: AbortSignal | undefined;
  return async (read) => {
    const since = performance.now();
    let late = () => {};
    const stalled = new Promise<never>((_, reject) => {
      late = () => {
        const left = ms - (performance.now() - since);
        if (left > 0) {
          // the signal was armed for an earlier read: this one gets its whole time
          signal = AbortSignal.timeout(left);
          signal.addEventListener("abort", late, { once: true });
          return;
        }
        cancel();
        reject(where());
      };
    });
    if (!signal || signal.aborted) signal = AbortSignal.timeout(ms);
    signal.addEventListener("abort", late, { once: true });
    try {
      return await Promise.race([read(), stalled]);
    } finally {
      signal.removeEventListener("abort", late);
    }
  };
}

/** Byte count from a Content-Length (or X-Linked-Size) header; undefined when absent or bad. */
export function lengthOf(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Total size from a 206's Content-Range ("bytes 0-99/1234"); undefined when not given. */
export function rangeTotal(value: string | null): number | undefined {
  const m = /\/(\d+)\s*$/.exec(value ?? "");
  return m ? lengthOf(m[1]) : undefined;
}

/** Where a 206 response starts ("bytes 100-199/1234" → 100); undefined when not a range. */
export function rangeStart(value: string | null): number | undefined {
  const m = /^\s*bytes\s+(\d+)-/.exec(value ?? "");
  return m ? lengthOf(m[1]) : undefined;
}
