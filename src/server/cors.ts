// CORS for browsers calling the API from other origins: which origins may, the answer to a
// preflight (OPTIONS), and the headers added to every answer (errors included) for them.

import { HttpError } from "./error_response.ts";

/** Allowed origins: "*" (any), or exact origins such as "https://app.example.com". */
export type CorsOption = "*" | readonly string[];

/** How long a browser may cache a preflight answer (s); Chromium caps it at 7200. */
const MAX_AGE = "7200";
/** Request headers a browser may send: the API reads only content-type. */
const ALLOW_HEADERS = "content-type";
/** Response headers a script may read besides the CORS-safelisted ones. */
const EXPOSE_HEADERS = "retry-after";

/** A validated CORS policy. */
export class CorsPolicy {
  readonly #any: boolean;
  readonly #origins: ReadonlySet<string>;

  /** Throws RangeError unless `option` is "*" or a list of origins (scheme://host[:port]). */
  constructor(option: CorsOption) {
    this.#any = option === "*";
    const list = option === "*" ? [] : option;
    if (!this.#any && (!Array.isArray(list) || list.length === 0)) {
      throw new RangeError('cors must be "*" or a non-empty array of origins');
    }
    for (const o of list) {
      let origin: string | undefined;
      try {
        origin = new URL(o).origin;
      } catch { /* not a URL */ }
      if (typeof o !== "string" || origin !== o) {
        throw new RangeError(
          `cors: ${JSON.stringify(o)} is not an origin (scheme://host[:port], no path or "/")`,
        );
      }
    }
    this.#origins = new Set(list);
  }

  /** The Access-Control-Allow-Origin value for a request's Origin, or undefined if refused. */
  allowOrigin(origin: string | null): string | undefined {
    if (origin === null) return undefined;
    if (this.#any) return "*";
    return this.#origins.has(origin) ? origin : undefined;
  }

  /** Adds the CORS headers an answer to `req` needs (always Vary: Origin for a list). */
  decorate(req: Request, res: Response): Response {
    const allow = this.allowOrigin(req.headers.get("origin"));
    if (!this.#any) res.headers.append("vary", "Origin");
    if (allow) {
      res.headers.set("access-control-allow-origin", allow);
      res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    }
    return res;
  }
}

/**
 * The answer to OPTIONS on a route accepting `methods`: 204 with `Allow`, plus, under a CORS
 * policy, the preflight's Access-Control-Allow-* headers (the caller adds the origin's). An
 * origin the policy refuses gets 403 `origin_not_allowed`: a browser would fail the preflight
 * anyway, and saying so helps whoever debugs it. Without a policy no Access-Control-* header is
 * sent, so browsers refuse cross-origin calls.
 */
export function optionsResponse(
  req: Request,
  methods: readonly string[],
  policy: CorsPolicy | undefined,
): Response {
  const allow = [...methods, "OPTIONS"].join(", ");
  if (!policy) return new Response(null, { status: 204, headers: { allow } });
  const origin = req.headers.get("origin");
  if (origin !== null && !policy.allowOrigin(origin)) {
    throw new HttpError(
      "origin_not_allowed",
      `origin ${JSON.stringify(origin)} may not call this server (see its cors setting)`,
    );
  }
  return new Response(null, {
    status: 204,
    headers: {
      allow,
      "access-control-allow-methods": allow,
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": MAX_AGE,
      vary: "Access-Control-Request-Method, Access-Control-Request-Headers",
    },
  });
}
