// Errors → HTTP: which status each EdgeClipError code answers with, and the JSON error body
// `{ error: { code, message } }`. Unexpected errors become a generic 500: no stack, no paths.

import { EdgeClipError, type ErrorCode } from "../errors.ts";

/** Codes the server adds to the library's own (routing, media type, load shedding, bugs). */
export type ServerErrorCode =
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "model_not_found"
  | "origin_not_allowed"
  | "overloaded"
  | "request_aborted"
  | "internal_error";

/** HTTP status for each library error code. Codes about the model itself are server faults. */
export const STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = {
  invalid_input: 400,
  adapter_setup: 400,
  adapter_unsupported: 400,
  adapter_in_use: 409,
  // a call this model cannot serve (text on a classifier package)
  tower_missing: 400,
  input_too_large: 413,
  input_too_long: 422,
  image_decode: 422,
  // a remote image that could not be fetched, or a model without the files a call needs
  source_unavailable: 422,
  source_denied: 422,
  // a download the server made failed (the model's host, a remote image): a gateway's fault
  source_network: 502,
  disposed: 503,
  model_format: 500,
  model_weights: 500,
  model_config: 500,
  adapter_format: 500,
  adapter_mismatch: 500,
  runtime: 500,
};

const STATUS_OF_SERVER_CODE: Readonly<Record<ServerErrorCode, number>> = {
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  model_not_found: 404,
  origin_not_allowed: 403,
  overloaded: 503,
  // nginx's "client closed request": nobody reads it, but it must not look like a server fault
  request_aborted: 499,
  internal_error: 500,
};

/** An error the server raises itself (routing, content type, queue full). */
export class HttpError extends Error {
  readonly code: ServerErrorCode;
  readonly headers: Record<string, string>;

  constructor(code: ServerErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.headers = headers;
  }
}

/** A JSON response with the given status. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * The error response for anything thrown while handling a request. `log` receives errors that
 * are the server's fault (5xx), with their stack, so that operators see what clients do not.
 */
export function errorResponse(e: unknown, log: (e: unknown) => void): Response {
  if (e instanceof HttpError) {
    return jsonResponse(
      { error: { code: e.code, message: e.message } },
      STATUS_OF_SERVER_CODE[e.code],
      e.headers,
    );
  }
  if (e instanceof EdgeClipError) {
    const status = STATUS_OF_CODE[e.code] ?? 500;
    if (status >= 500) {
      log(e);
      // model-side failures: the code helps operators; the message may hold server paths
      const message = e.code === "disposed"
        ? "the model is not available"
        : "the model failed to process this request";
      return jsonResponse({ error: { code: e.code, message } }, status);
    }
    return jsonResponse({ error: { code: e.code, message: e.message } }, status);
  }
  if (e instanceof DOMException && e.name === "AbortError") {
    return jsonResponse(
      { error: { code: "request_aborted", message: "the client went away" } },
      499,
    );
  }
  log(e);
  return jsonResponse(
    { error: { code: "internal_error", message: "internal server error" } },
    500,
  );
}
