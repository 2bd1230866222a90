// Request bodies: JSON only, read as a stream and abandoned as soon as they pass the byte limit,
// so an oversized upload costs at most `maxBytes` of memory.

import { EdgeClipError } from "../errors.ts";
import { HttpError } from "./error_response.ts";
import { readCapped as readStreamCapped } from "../io/read_capped.ts";

/** True for application/json and application/<something>+json, with any parameters. */
function isJson(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function tooLarge(max: number): never {
  throw new EdgeClipError(
    "input_too_large",
    `the request body is over the limit of ${max} bytes`,
    { maxBodyBytes: max },
  );
}

/**
 * Reads at most `max` bytes of the body; throws input_too_large beyond that. A body stream that
 * fails (the client closed the connection mid-upload: Deno reports BadResource) is the client's
 * doing, not a server fault: it becomes `request_aborted` (499, not logged).
 */
export async function readCapped(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  try {
    return await readStreamCapped(
      req.body,
      max,
      () => tooLarge(max),
      declared === null ? undefined : Number(declared),
    );
  } catch (e) {
    if (e instanceof EdgeClipError) throw e;
    throw new HttpError(
      "request_aborted",
      `the client stopped sending the request body (${(e as Error)?.name ?? "error"})`,
    );
  }
}

/** Checks the content type, reads the body under the limit and parses it as JSON. */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  if (!isJson(req.headers.get("content-type"))) {
    await req.body?.cancel().catch(() => {});
    throw new HttpError(
      "unsupported_media_type",
      "the request body must be JSON (send content-type: application/json)",
    );
  }
  const bytes = await readCapped(req, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new EdgeClipError("invalid_input", "the request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EdgeClipError(
      "invalid_input",
      `the request body is not valid JSON (${(e as Error).message})`,
    );
  }
}
