// Images as HTTP clients send them: data: URLs, bare base64, or (only when the server allows it)
// http(s) URLs. Always turned into bytes here: a string is never handed to the library, which
// would read it as a file path.

import { EdgeClipError } from "../errors.ts";
import { base64Decode } from "../io/base64.ts";
import { readCapped } from "../io/read_capped.ts";

/** How the server obtains image bytes. */
export interface ImagePolicy {
  /** Fetch http(s) image URLs: false (default), true, or a predicate on each URL and redirect. */
  allowRemote: boolean | ((url: URL) => boolean);
  /** Largest encoded image, in bytes. */
  maxImageBytes: number;
  /** Time limit for fetching one remote image. */
  timeoutMs: number;
}

/** The image bytes one request may hold in total (bounds memory for remote images). */
export class ByteBudget {
  #left: number;
  constructor(readonly max: number) {
    this.#left = max;
  }
  take(n: number): void {
    this.#left -= n;
    if (this.#left < 0) {
      throw new EdgeClipError(
        "input_too_large",
        `the images of this request total more than ${this.max} bytes`,
        { maxBytes: this.max },
      );
    }
  }
}

const MAX_REDIRECTS = 5;

function invalid(message: string): never {
  throw new EdgeClipError("invalid_input", message);
}

function tooLarge(where: string, n: number, max: number): never {
  throw new EdgeClipError(
    "input_too_large",
    `${where}: the image is ${n} bytes, over the limit of ${max}`,
    { bytes: n, maxImageBytes: max },
  );
}

function short(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}

/** Decodes standard or URL-safe base64 (ASCII whitespace ignored). */
export function decodeBase64(text: string, where: string): Uint8Array {
  const alphabet = /[-_]/.test(text) ? "base64url" : "base64";
  try {
    return base64Decode(text, alphabet);
  } catch {
    invalid(`${where} is not valid base64 (send a data: URL or base64-encoded image bytes)`);
  }
}

/** The bytes of a `data:[type][;param…];base64,<payload>` URL. */
function dataUrlBytes(url: string, where: string): Uint8Array {
  const comma = url.indexOf(",");
  if (comma < 0) invalid(`${where} is a data: URL without a comma before its payload`);
  const params = url.slice(5, comma).split(";").map((p) => p.trim().toLowerCase());
  if (!params.includes("base64")) {
    invalid(`${where} must be a base64 data: URL (data:image/png;base64,...)`);
  }
  return decodeBase64(url.slice(comma + 1), where);
}

function remoteAllowed(policy: ImagePolicy, url: URL): boolean {
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return typeof policy.allowRemote === "function" ? policy.allowRemote(url) : policy.allowRemote;
}

/** Fetches a remote image, following redirects itself so the policy sees every hop. */
async function fetchImage(url: URL, policy: ImagePolicy, where: string): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const fail = (why: string): never => {
    throw new EdgeClipError(
      "source_unavailable",
      `${where}: cannot fetch ${short(url.href)}: ${why}`,
    );
  };
  let res: Response | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    try {
      res = await fetch(url, { signal, redirect: "manual" });
    } catch (e) {
      fail(signal.aborted ? `no answer within ${policy.timeoutMs} ms` : (e as Error).message);
    }
    const location = res!.headers.get("location");
    if (res!.status < 300 || res!.status >= 400 || location === null) break;
    await res!.body?.cancel();
    const next = new URL(location, url);
    if (!remoteAllowed(policy, next)) fail(`redirect to ${short(next.href)} is not allowed`);
    url = next;
    res = undefined;
  }
  if (!res) fail(`more than ${MAX_REDIRECTS} redirects`);
  if (!res!.ok) {
    await res!.body?.cancel();
    fail(`HTTP ${res!.status}`);
  }
  const max = policy.maxImageBytes;
  const declared = Number(res!.headers.get("content-length") ?? NaN);
  try {
    return await readCapped(
      res!.body,
      max,
      (n) => tooLarge(where, n, max),
      Number.isNaN(declared) ? undefined : declared,
    );
  } catch (e) {
    if (e instanceof EdgeClipError) throw e;
    return fail(
      signal.aborted ? `no answer within ${policy.timeoutMs} ms` : (e as Error).message,
    );
  }
}

/**
 * The encoded bytes of an image reference: a data: URL, bare base64, or an http(s) URL when the
 * policy allows. `where` names the field in error messages (e.g. "input[2].image_url.url").
 */
export async function imageBytes(
  ref: unknown,
  where: string,
  policy: ImagePolicy,
  budget: ByteBudget,
): Promise<Uint8Array> {
  if (typeof ref !== "string") invalid(`${where} must be a string (a data: URL or base64)`);
  const s = ref.trim();
  if (s.length === 0) invalid(`${where} is empty`);
  let bytes: Uint8Array;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s)?.[1].toLowerCase();
  if (scheme === undefined) {
    bytes = decodeBase64(s, where); // base64 has no ":", so anything with a scheme is a URL
  } else if (scheme === "data") {
    bytes = dataUrlBytes(s, where);
  } else if (scheme === "http" || scheme === "https") {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      invalid(`${where} is not a valid URL`);
    }
    if (!remoteAllowed(policy, url)) {
      invalid(
        `${where}: remote image URLs are not accepted by this server; ` +
          "send the image inline as a data: URL",
      );
    }
    bytes = await fetchImage(url, policy, where);
  } else {
    invalid(`${where}: ${scheme}: URLs are not accepted; send a data: URL or base64`);
  }
  if (bytes.length === 0) invalid(`${where} holds no image bytes`);
  if (bytes.length > policy.maxImageBytes) tooLarge(where, bytes.length, policy.maxImageBytes);
  budget.take(bytes.length);
  return bytes;
}
