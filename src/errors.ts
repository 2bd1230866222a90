// The one error type edgeclip throws. `code` is stable (callers and the HTTP layer switch on it);
// `message` says what was wrong and what to do; `context` carries structured detail (key, shapes…).

/** Every stable error code, with the situation it names. */
export const ERROR_CODES = {
  /** A model file is corrupt, truncated or not the format it claims (safetensors header, dtype…). */
  model_format: "model file is malformed",
  /** A weight is missing, unexpected or has the wrong shape for the config. */
  model_weights: "model weights do not match the config",
  /** config.json / preprocessor_config.json is missing a field or has a bad value. */
  model_config: "model config is invalid",
  /**
   * A source (path, URL, Hub id, in-memory file set) could not be read, or a needed file is absent:
   * no such local file, HTTP 404 (no such file in this repo/revision), or not in the download
   * cache with `offline: true`. Context: `source`, `file`, and for HTTP `url` and `status`.
   */
  source_unavailable: "a file or URL could not be read",
  /**
   * The server refused the request (HTTP 401/403): a gated or private Hub repo, or a token
   * without access to it. Pass a token (`token` option or $HF_TOKEN). Context: `file`, `url`,
   * `status`.
   */
  source_denied: "access to a file was refused",
  /**
   * A download failed on the way: no connection, a server error (5xx, 429), a response cut
   * short or not what was asked for. Retrying may help; `offline: true` uses the cache alone.
   * Context: `file`, `url`, and `status` when the server answered.
   */
  source_network: "a download failed",
  /** A call argument has the wrong type, shape or value. */
  invalid_input: "invalid input",
  /** Text longer than the context when truncation is off. */
  input_too_long: "input text is too long",
  /** An input exceeds a configured limit (pixels, bytes, batch). */
  input_too_large: "input is too large",
  /** Image bytes could not be decoded (corrupt, truncated, unsupported variant). */
  image_decode: "image could not be decoded",
  /** An adapter folder is malformed (config, weights file, pickle). */
  adapter_format: "adapter files are malformed",
  /** An adapter does not fit the model (sizes, layers, keys, shapes). */
  adapter_mismatch: "adapter does not match the model",
  /** A method, option or composition the runtime (or the library on CLIP) does not support. */
  adapter_unsupported: "adapter feature is not supported",
  /** An adapter setup names unknown adapters or nests blocks in a way the library forbids. */
  adapter_setup: "invalid adapter setup",
  /**
   * An adapter or fusion cannot be deleted now: the active setup, a loaded fusion, a call still
   * running or a pending merge uses it, or it is merged into the base weights.
   */
  adapter_in_use: "adapter is in use",
  /**
   * The model lacks the tower a call needs: text on a vision-only or classifier package (its
   * labels were embedded at conversion), images on a text-only one.
   */
  tower_missing: "the model has no tower for this call",
  /** The Clip instance was disposed. */
  disposed: "the model was disposed",
  /** The WebAssembly host lacks a needed feature (SIMD) or memory. */
  runtime: "runtime failure",
} as const;

/** A stable error code: a key of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The only error type thrown by edgeclip.
 *
 * @example
 * ```ts
 * try { await loadClip("./missing") } catch (e) {
 *   if (e instanceof EdgeClipError && e.code === "source_unavailable") console.error(e.message);
 * }
 * ```
 */
export class EdgeClipError extends Error {
  /** What went wrong, stable across versions: callers switch on it. */
  readonly code: ErrorCode;
  /** Structured detail (the key, the shapes, the file…), frozen. */
  readonly context: Readonly<Record<string, unknown>>;

  /** An error with its stable code, a message saying what to do, and optional detail. */
  constructor(
    code: ErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EdgeClipError";
    this.code = code;
    this.context = Object.freeze({ ...context });
  }
}

/** Throws `EdgeClipError(code, message)` unless `cond` holds. */
export function check(
  cond: unknown,
  code: ErrorCode,
  message: string | (() => string),
  context?: Record<string, unknown>,
): asserts cond {
  if (!cond) {
    throw new EdgeClipError(code, typeof message === "string" ? message : message(), context);
  }
}

/** Formats a shape for messages: [3, 224, 224]. */
export function fmtShape(shape: readonly number[] | undefined): string {
  return shape ? `[${shape.join(", ")}]` : "(absent)";
}
