// Request bodies: JSON only, read as a stream and abandoned as soon as they pass the byte limit,
// so an oversized upload costs at most `maxBytes` of memory.

import { EdgeClipError } from "../errors.ts";
import { HttpError } from "./error_response.ts";

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

/** Reads at most `max` bytes of the body; throws input_too_large beyond that. */
export async function readCapped(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) {
    await req.body?.cancel().catch(() => {});
    tooLarge(max);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > max) {
        await reader.cancel().catch(() => {});
        tooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
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
