// createHandler: a `(Request) => Promise<Response>` serving one loaded model over HTTP, usable
// as `Deno.serve(createHandler(clip))` or inside any fetch-style edge runtime.

import { errorResponse, HttpError, jsonResponse } from "./error_response.ts";
import { readJsonBody } from "./body.ts";
import { ComputeQueue } from "./queue.ts";
import { classify, embeddings, health, type RouteContext, type ServedClip } from "./routes.ts";
import { parseClassifyRequest, parseEmbeddingsRequest, type SchemaLimits } from "./schema.ts";

export type { ServedClip } from "./routes.ts";

/** Limits and settings of {@link createHandler}. Every field is optional. */
export interface HandlerOptions {
  /** Largest request body in bytes, refused while streaming (default 16 MiB). */
  maxBodyBytes?: number;
  /** Most inputs in one embeddings request (default 64). */
  maxBatch?: number;
  /** Most labels in one classify request (default 1000). */
  maxLabels?: number;
  /** Most prompts (labels × templates) in one classify request (default 4096). */
  maxPrompts?: number;
  /** Largest encoded image in bytes (default: maxBodyBytes). */
  maxImageBytes?: number;
  /** Largest decoded image in pixels (default 2^25, about 33.5 megapixels). */
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
  /** The model name reported and accepted in `model` (default: the config's name, or "clip"). */
  modelName?: string;
  /** The dtype reported by /healthz (default: what the model reports, or "f32"). */
  dtype?: string;
  /** Receives server-side failures (5xx) with their stack (default: console.error). */
  onError?: (error: unknown) => void;
}

const MiB = 2 ** 20;

function positive(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  return v;
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
 *   data URL or base64 → `{ results: [{ label, score }] }`.
 * - `GET /healthz` — `{ status, model, dtype, adapters, queue }`.
 *
 * Bad input answers 4xx `{ error: { code, message } }` (400 invalid_input, 413
 * input_too_large, 415 non-JSON body, 404/405 routing, 422 image_decode / input_too_long);
 * server faults answer a generic 500. Model calls run one at a time in arrival order; when
 * `maxQueue` requests already wait, the answer is 503 `overloaded` with `retry-after`.
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
  const maxBodyBytes = positive(options.maxBodyBytes, "maxBodyBytes", 16 * MiB);
  const limits: SchemaLimits = {
    maxBatch: positive(options.maxBatch, "maxBatch", 64),
    maxLabels: positive(options.maxLabels, "maxLabels", 1000),
    maxPrompts: positive(options.maxPrompts, "maxPrompts", 4096),
  };
  const maxQueue = options.maxQueue ?? 16;
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
      maxImageBytes: positive(options.maxImageBytes, "maxImageBytes", maxBodyBytes),
      timeoutMs: positive(options.remoteTimeoutMs, "remoteTimeoutMs", 10_000),
    },
    maxBodyBytes,
    maxPixels: positive(options.maxPixels, "maxPixels", 2 ** 25),
  };
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

  return async (req: Request): Promise<Response> => {
    try {
      const path = new URL(req.url).pathname;
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (!route) {
        throw new HttpError("not_found", `no route ${path} (see /v1/embeddings, /v1/classify)`);
      }
      if (!route.methods.includes(req.method)) {
        throw new HttpError(
          "method_not_allowed",
          `${path} accepts ${route.methods.join(", ")}, not ${req.method}`,
          { allow: route.methods.join(", ") },
        );
      }
      const body = await route.run({ ...base, signal: () => req.signal }, req);
      const res = jsonResponse(body);
      return req.method === "HEAD" ? new Response(null, { headers: res.headers }) : res;
    } catch (e) {
      return errorResponse(e, log);
    }
  };
}
