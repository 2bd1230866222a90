// Hugging Face Hub ids and where their files live: "org/name" at a revision resolves a file as
// `{endpoint}/{org}/{name}/resolve/{revision}/{file}`. The endpoint is the hubEndpoint option,
// else $HF_ENDPOINT, else the public Hub; the token is the token option, else $HF_TOKEN.

import { EdgeClipError } from "../errors.ts";
import { host } from "./host.ts";
import type { OnProgress } from "./progress.ts";

/** The public Hub. */
export const PUBLIC_HUB = "https://huggingface.co";

/**
 * A Hub repo id: "org/name", each part letters, digits, `-`, `_`, `.`, starting and ending with a
 * letter or digit, without `--` or `..` (the Hub's own rule).
 */
const PART = "[A-Za-z0-9](?:[\\w.-]*[A-Za-z0-9])?";
const HUB_ID = new RegExp(`^${PART}/${PART}$`);

/** True when `s` has the form of a Hub id (whether or not a local path of that name exists). */
export function isHubId(s: string): boolean {
  return HUB_ID.test(s) && !/--|\.\./.test(s) && s.length <= 200;
}

/** Options of a load from the Hub (API.md: loadClip). */
export interface HubOptions {
  /** A branch, tag or commit; default "main". */
  revision?: string;
  /** The Hub's address; default $HF_ENDPOINT, else https://huggingface.co. */
  hubEndpoint?: string;
  /** An access token for gated or private repos; default $HF_TOKEN. */
  token?: string;
  /** The download cache folder; default $EDGECLIP_CACHE, else the platform cache folder. */
  cacheDir?: string;
  /** Use the cache alone: no request is made. */
  offline?: boolean;
  /** A folder inside the repo holding the files (an adapter or fusion saved in a subfolder). */
  subfolder?: string;
}

/** The names of SourceOptions, for refusing unknown option names. */
export const SOURCE_OPTIONS = [
  "revision",
  "hubEndpoint",
  "token",
  "cacheDir",
  "offline",
  "subfolder",
  "onProgress",
] as const;

/** What loading any source can be told: Hub options, and progress. */
export interface SourceOptions extends HubOptions {
  /** Called during downloads and while tensors load. */
  onProgress?: OnProgress;
}

/** A Hub repo at a revision, with where to ask and what to send. */
export interface HubRepo {
  readonly id: string;
  readonly revision: string;
  readonly endpoint: URL;
  readonly token?: string;
  /** Path prefix of the files inside the repo ("" or "sub/dir/"). */
  readonly subfolder: string;
  /** Names the repo in messages: "org/name", with "@revision" and "/subfolder" when given. */
  readonly label: string;
}

function bad(msg: string): never {
  throw new EdgeClipError("invalid_input", msg);
}

/** The Hub endpoint: the option, else $HF_ENDPOINT, else the public Hub. */
export function hubEndpointOf(opts: SourceOptions): string {
  return opts.hubEndpoint ?? host.env("HF_ENDPOINT") ?? PUBLIC_HUB;
}

/** The Hub token: the option, else $HF_TOKEN (an empty variable is none). */
export function hubTokenOf(opts: SourceOptions): string | undefined {
  return opts.token ?? (host.env("HF_TOKEN") || undefined);
}

/** Resolves a Hub id and the options into a HubRepo. */
export function hubRepo(id: string, opts: HubOptions = {}): HubRepo {
  if (!isHubId(id)) bad(`${JSON.stringify(id)} is not a Hub id ("org/name")`);
  const revision = opts.revision ?? "main";
  if (typeof revision !== "string" || !revision || revision.length > 256) {
    bad(`revision must be a branch, tag or commit name, got ${JSON.stringify(revision)}`);
  }
  const raw = hubEndpointOf(opts);
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch {
    bad(`hubEndpoint ${JSON.stringify(raw)} is not a URL`);
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") {
    bad(`hubEndpoint ${JSON.stringify(raw)} must be an http(s) URL`);
  }
  const token = hubTokenOf(opts);
  if (token !== undefined && (typeof token !== "string" || /[\s]/.test(token))) {
    bad("token must be a string without spaces");
  }
  const sub = (opts.subfolder ?? "").replace(/^\/+|\/+$/g, "");
  if (sub.split("/").some((p) => p === ".." || p === ".")) {
    bad(`subfolder ${JSON.stringify(opts.subfolder)} must stay inside the repo`);
  }
  const label = `${id}${revision === "main" ? "" : `@${revision}`}${sub ? `/${sub}` : ""}`;
  return { id, revision, endpoint, token, subfolder: sub ? `${sub}/` : "", label };
}

/** The URL of `file` in the repo at `revision` (a commit id once known pins the rest of a load). */
export function resolveUrl(repo: HubRepo, file: string, revision = repo.revision): URL {
  const base = repo.endpoint.href.replace(/\/+$/, "");
  const path = (repo.subfolder + file).split("/").map(encodeURIComponent).join("/");
  return new URL(`${base}/${repo.id}/resolve/${encodeURIComponent(revision)}/${path}`);
}
