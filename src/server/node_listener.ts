// Serves a fetch-style handler from Node's HTTP server: `http.createServer(nodeListener(h))`.
// Typed by the shape of Node's request and response objects (no `node:` import), so this file
// stays web-standard and loads in every runtime.

/** The part of Node's `http.IncomingMessage` the listener reads. */
export interface NodeRequest extends AsyncIterable<Uint8Array | string> {
  readonly method?: string;
  readonly url?: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Node's socket; a TLS socket has `encrypted: true`. */
  readonly socket?: object;
}

/** The part of Node's `http.ServerResponse` the listener writes. */
export interface NodeResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  setHeader(name: string, value: string | string[]): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: Uint8Array): unknown;
  destroy(error?: Error): unknown;
  once(event: "close" | "drain", listener: () => void): unknown;
}

/** A `Request` for a Node request; `signal` aborts when the client hangs up first. */
function toRequest(req: NodeRequest, signal: AbortSignal): Request {
  const host = [req.headers.host].flat()[0] ?? "localhost";
  const tls = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const url = new URL(req.url ?? "/", `${tls ? "https" : "http"}://${host}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue; // HTTP/2 pseudo-headers
    for (const v of [value].flat()) headers.append(name, v);
  }
  const method = req.method ?? "GET";
  let body: ReadableStream<Uint8Array> | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const it = req[Symbol.asyncIterator]();
    body = new ReadableStream({
      async pull(c) {
        const { value, done } = await it.next();
        if (done) c.close();
        else c.enqueue(typeof value === "string" ? new TextEncoder().encode(value) : value);
      },
      async cancel() {
        await it.return?.();
      },
    });
  }
  // duplex: a streamed request body (required by Node's fetch, unknown to the DOM typings)
  return new Request(url, { method, headers, body, signal, duplex: "half" } as RequestInit);
}

/**
 * Writes `res` to Node's response, waiting for "drain" when the socket's buffer is full; stops
 * (cancelling the body) once `gone` aborts.
 */
async function send(res: Response, out: NodeResponse, gone: AbortSignal): Promise<void> {
  out.statusCode = res.status;
  const cookies = res.headers.getSetCookie?.() ?? [];
  res.headers.forEach((value, name) => {
    if (name !== "set-cookie") out.setHeader(name, value);
  });
  if (cookies.length) out.setHeader("set-cookie", cookies);
  if (!res.body) {
    out.end();
    return;
  }
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!out.write(value)) {
      await new Promise<void>((r) => {
        out.once("drain", r);
        gone.addEventListener("abort", () => r(), { once: true });
      });
    }
    if (gone.aborted) {
      await reader.cancel();
      return;
    }
  }
  out.end();
}

/**
 * A listener for Node's `http.createServer` (or `https`) that serves a fetch-style handler such
 * as {@link createHandler}'s. A client that hangs up aborts the request's `signal`.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "node:http";
 * import { loadClip } from "edgeclip";
 * import { createHandler, nodeListener } from "edgeclip/server";
 *
 * const clip = await loadClip("./clip-vit-base-patch32");
 * createServer(nodeListener(createHandler(clip))).listen(8000, "127.0.0.1");
 * ```
 */
export function nodeListener(
  handler: (req: Request) => Promise<Response>,
): (req: NodeRequest, res: NodeResponse) => Promise<void> {
  return async (req, out) => {
    const gone = new AbortController();
    out.once("close", () => {
      if (!out.writableEnded) gone.abort(new DOMException("the client hung up", "AbortError"));
    });
    try {
      await send(await handler(toRequest(req, gone.signal)), out, gone.signal);
    } catch (e) {
      // the handler answers its own errors: what lands here is a failed write or a broken handler
      if (!out.headersSent) {
        out.statusCode = 500;
        out.end();
      } else {
        out.destroy(e instanceof Error ? e : new Error(String(e)));
      }
    }
  };
}
