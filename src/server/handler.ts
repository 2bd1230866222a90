// createHandler: a `(Request) => Promise<Response>` serving one loaded model over HTTP, usable
// as `Deno.serve(createHandler(clip))` or inside any fetch-style edge runtime.

import { errorResponse, HttpError, jsonResponse } from "./error_response.ts";
import { readJsonBody } from "./body.ts";
import { type CorsOption, CorsPolicy, optionsResponse } from "./cors.ts";
import { ComputeQueue } from "./queue.ts";
import { classify, embeddings, health, type RouteContext, type ServedClip } from "./routes.ts";
import { parseClassifyRequest, parseEmbeddingsRequest, type SchemaLimits } from "./schema.ts";

export type { ServedClip } from "./routes.ts";
export type { CorsOption } from "./cors.ts";

/**
 * Limits and settings of {@link createHandler}. Every field is optional. The default limits
 * keep one request's transient memory under ~48 MB (measured peak RSS above an idle server,
 * bench/request_memory.ts), so a 256 MB host running a ViT-B/32 int8 package (peak ~164 MiB)
 * keeps its headroom: a request body costs ~4.5 MB per MiB (read, decoded, parsed, base64
 * decoded), a decoded image ~6 MB per megapixel (JPEG; PNG ~3.5).
 */
export interface HandlerOptions {
  /** Largest request body in bytes, refused while streaming (default 6 MiB). */
  maxBodyBytes?: number;
  /** Most inputs in one embeddings request (default 64). */
  maxBatch?: number;
  /** Most labels in one classify request (default 1000). */
  maxLabels?: number;
  /**
   * Most prompts (labels × templates, a preset counting its list) in one classify request
   * (default 2048: 1000 labels × 2 templates cost ~49 MB on a ViT-B/32, bench/request_memory.ts).
   */
  maxPrompts?: number;
  /**
   * Longest text, label or template in characters (UTF-16 code units; default 4096: CLIP reads
   * 75 tokens, a few hundred characters, and 64 texts of 32 Ki CJK characters cost ~130 MB to
   * tokenize). Longer ones answer 413. Up to 32,768 (the tokenizer's scan bound) a text is read
   * whole; beyond, only up to a line end (see ClipTokenizer).
   */
  maxTextChars?: number;
  /** Largest encoded image in bytes (default 4 MiB). */
  maxImageBytes?: number;
  /** Largest decoded image in pixels (default 4,194,304: 2048 × 2048, ~4.2 megapixels). */
  maxPixels?: number;
  /**
   * Fetch http(s) image URLs: false (default: only inline data: URLs / base64), true, or a
   * predicate called for each URL and each redirect (e.g. to allow only some hosts). Turning
   * this on lets clients make the server fetch URLs of their choosing.
   */
  allowRemoteImages?: boolean | ((url: URL) => boolean);
  /** Time limit for fetching one remote image, in ms (default 10 000). */
  remoteTimeoutMs?: number;
  /** Requests that may wait for the model while one runs; beyond this, 503 (default 16). */
  maxQueue?: number;
  /**
   * The path the routes sit under, e.g. "/edgeclip" where a platform passes the function's name
   * in the URL (Supabase Edge Functions): `/edgeclip/v1/embeddings`. Default: none.
   */
  basePath?: string;
  /** The model name reported and accepted in `model` (default: the config's name, or "clip"). */
  modelName?: string;
  /** The dtype reported by /healthz (default: what the model reports, or "f32"). */
  dtype?: string;
  /** Receives server-side failures (5xx) with their stack (default: console.error). */
  onError?: (error: unknown) => void;
  /**
   * Origins whose pages may call the API from a browser: "*" (any) or a list of exact origins
   * ("https://app.example.com"). Preflights (OPTIONS) answer with the allowed methods and
   * headers, and every answer to an allowed origin, errors included, carries
   * Access-Control-Allow-Origin and Vary: Origin. Default: none (no CORS headers).
   */
  cors?: CorsOption;
  /**
   * Skip a request that waited for the model if its client has gone, by reading
   * `request.signal` (default false). In Deno 2.x, reading it makes Deno.serve print a
   * deprecation warning about its legacy abort behaviour once successful requests complete,
   * unless run with --unstable-no-legacy-abort.
   */
  checkAbandoned?: boolean;
}

const MiB = 2 ** 20;

/** The limits createHandler applies when an option is not given (see HandlerOptions). */
export const DEFAULT_LIMITS = Object.freeze({
  maxBodyBytes: 6 * MiB,
  maxImageBytes: 4 * MiB,
  maxPixels: 2048 * 2048,
  maxBatch: 64,
  maxLabels: 1000,
  maxPrompts: 2048,
  maxTextChars: 4096,
  maxQueue: 16,
  remoteTimeoutMs: 10_000,
});

function positive(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  return v;
}

/** A base path as matched: "" or "/a/b" (leading slash, none at the end). */
function routePrefix(basePath: string | undefined): string {
  if (basePath === undefined) return "";
  if (!basePath.startsWith("/")) throw new RangeError('basePath must start with "/"');
  return basePath.replace(/\/+$/, "");
}

type Route = {
  methods: readonly string[];
  run: (ctx: RouteContext, req: Request) => Promise<unknown> | unknown;
};

/**
 * An HTTP handler serving `clip`:
 *
 * - `POST /v1/embeddings` — OpenAI-compatible `{ model?, input }`; input is a string, an array
 *   of strings, or items `{ type: "image_url", image_url: { url } }` (data: URLs; http(s) only
 *   with `allowRemoteImages`) and `{ type: "text", text }`. Answers
 *   `{ object: "list", data: [{ object: "embedding", index, embedding }], model, usage }`.
 *   Also accepts `encoding_format: "float" | "base64"`, `dimensions` (must equal the model's),
 *   `user`, and edgeclip's `truncate` (default true) and `adapters`.
 * - `POST /v1/classify` — `{ image, labels, template?, topK?, adapters? }` where image is a
 *   data URL or base64 and template may be a preset name ("clip-imagenet-80",
 *   "clip-imagenet-7") → `{ results: [{ label, score }] }`.
 * - `GET /healthz` — `{ status, model, dtype, adapters, queue }`.
 * - `OPTIONS` on a route — 204 with `Allow`; with `cors`, the CORS preflight answer.
 *
 * Bad input answers 4xx `{ error: { code, message } }` (400 invalid_input, 403
 * origin_not_allowed, 413 input_too_large, 415 non-JSON body, 404/405 routing, 422
 * image_decode / input_too_long); server faults answer a generic 500 and go to `onError`. A
 * client that hangs up is no fault (499 `request_aborted`, not logged). Model calls run one at
 * a time in arrival order; when `maxQueue` requests already wait, the answer is 503
 * `overloaded` with `retry-after`.
 *
 * @example
 * ```ts
 * // (paths as seen from this file; elsewhere import edgeclip's mod.ts and server.ts)
 * import { loadClip } from "../../mod.ts";
 * import { createHandler } from "../../server.ts";
 *
 * const clip = await loadClip("../shared/golden/clip/model"); // the tiny test model
 * const handler = createHandler(clip, { maxBodyBytes: 4 * 2 ** 20, maxBatch: 32 });
 * const res = await handler(
 *   new Request("http://localhost/v1/embeddings", {
 *     method: "POST",
 *     headers: { "content-type": "application/json" },
 *     body: JSON.stringify({ input: ["a photo of a cat", "a photo of a dog"] }),
 *   }),
 * );
 * const { data, usage } = await res.json();
 * console.log(data.length, data[0].embedding.length, usage.prompt_tokens);
 * // or serve it: Deno.serve({ port: 8000 }, handler);
 * ```
 */
export function createHandler(
  clip: ServedClip,
  options: HandlerOptions = {},
): (req: Request) => Promise<Response> {
  const maxBodyBytes = positive(options.maxBodyBytes, "maxBodyBytes", DEFAULT_LIMITS.maxBodyBytes);
  const limits: SchemaLimits = {
    maxBatch: positive(options.maxBatch, "maxBatch", DEFAULT_LIMITS.maxBatch),
    maxLabels: positive(options.maxLabels, "maxLabels", DEFAULT_LIMITS.maxLabels),
    maxPrompts: positive(options.maxPrompts, "maxPrompts", DEFAULT_LIMITS.maxPrompts),
    maxTextChars: positive(options.maxTextChars, "maxTextChars", DEFAULT_LIMITS.maxTextChars),
  };
  const cors = options.cors === undefined ? undefined : new CorsPolicy(options.cors);
  const maxQueue = options.maxQueue ?? DEFAULT_LIMITS.maxQueue;
  if (!Number.isInteger(maxQueue) || maxQueue < 0) {
    throw new RangeError("maxQueue must be a non-negative integer");
  }
  const base = {
    clip,
    queue: new ComputeQueue(maxQueue),
    modelName: options.modelName ?? (clip.config.name || "clip"),
    dtype: options.dtype ?? clip.dtype ?? "f32",
    images: {
      allowRemote: options.allowRemoteImages ?? false,
      maxImageBytes: positive(
        options.maxImageBytes,
        "maxImageBytes",
        DEFAULT_LIMITS.maxImageBytes,
      ),
      timeoutMs: positive(
        options.remoteTimeoutMs,
        "remoteTimeoutMs",
        DEFAULT_LIMITS.remoteTimeoutMs,
      ),
    },
    maxBodyBytes,
    maxPixels: positive(options.maxPixels, "maxPixels", DEFAULT_LIMITS.maxPixels),
  };
  const basePath = routePrefix(options.basePath);
  const log = options.onError ?? ((e: unknown) => console.error("edgeclip server error:", e));

  const routes: Record<string, Route> = {
    "/v1/embeddings": {
      methods: ["POST"],
      run: async (ctx, req) =>
        embeddings(ctx, parseEmbeddingsRequest(await readJsonBody(req, maxBodyBytes), limits)),
    },
    "/v1/classify": {
      methods: ["POST"],
      run: async (ctx, req) =>
        classify(ctx, parseClassifyRequest(await readJsonBody(req, maxBodyBytes), limits)),
    },
    "/healthz": { methods: ["GET", "HEAD"], run: (ctx) => health(ctx) },
  };

  const answer = async (req: Request): Promise<Response> => {
    const full = new URL(req.url).pathname;
    const path = full.startsWith(basePath + "/") ? full.slice(basePath.length) : "";
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) {
      throw new HttpError(
        "not_found",
        `no route ${full} (see ${basePath}/v1/embeddings, ${basePath}/v1/classify)`,
      );
    }
    if (req.method === "OPTIONS") return optionsResponse(req, route.methods, cors);
    if (!route.methods.includes(req.method)) {
      throw new HttpError(
        "method_not_allowed",
        `${path} accepts ${route.methods.join(", ")}, not ${req.method}`,
        { allow: route.methods.join(", ") },
      );
    }
    // request.signal is read only on request (see checkAbandoned)
    const signal = options.checkAbandoned ? () => req.signal : undefined;
    const body = await route.run({ ...base, signal }, req);
    const res = jsonResponse(body);
    return req.method === "HEAD" ? new Response(null, { headers: res.headers }) : res;
  };

  return async (req: Request): Promise<Response> => {
    let res: Response;
    try {
      res = await answer(req);
    } catch (e) {
      res = errorResponse(e, log);
    }
    return cors ? cors.decorate(req, res) : res;
  };
}
