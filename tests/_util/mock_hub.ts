// A Hugging Face Hub stand-in on 127.0.0.1 for tests (and the hub benchmark): repos served from
// local folders at /{org}/{name}/resolve/{revision}/{path}, as the Hub answers — small files
// directly with an ETag, large ones (LFS: *.safetensors, *.bin, *.msgpack) as a 302 to a second
// "CDN" server on another port carrying X-Linked-Etag (the file's SHA-256), X-Linked-Size and
// X-Repo-Commit; Range and HEAD on both; 401/404 with the Hub's X-Error-Code. Every request is
// logged (method, host, path, Range, Authorization) so tests can check what went where.

export interface MockRepo {
  /** The folder whose files (and subfolders) the repo holds. */
  dir: string;
  /** The commit id "main" resolves to (40 hex digits); a default is made up. */
  commit?: string;
  /** A gated or private repo: only this token may read it. */
  token?: string;
}

export interface MockHubOptions {
  repos: Record<string, MockRepo>;
  /** The CDN ignores Range headers (answers 200 with the whole file). */
  noRange?: boolean;
}

export interface Logged {
  server: "hub" | "cdn";
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
}

export interface MockHub {
  /** The endpoint to pass as hubEndpoint / HF_ENDPOINT. */
  url: string;
  cdnUrl: string;
  readonly log: Logged[];
  /** Answer every request with this status from now on (undefined: serve normally). */
  failWith?: number;
  /** The CDN drops the connection after this many body bytes (an interrupted download). */
  cutAfter?: number;
  close(): Promise<void>;
}

const LFS = /\.(safetensors|bin|msgpack|h5)$/;

async function sha256(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const h = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A file's bytes as the response to `req`: the whole file, or the Range asked for. */
export async function fileResponse(
  req: Request,
  path: string,
  headers: Record<string, string>,
  range: boolean,
): Promise<Response> {
  const f = await Deno.open(path);
  const size = (await f.stat()).size;
  const m = range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("range") ?? "") : null;
  const h = new Headers({ ...headers, "accept-ranges": range ? "bytes" : "none" });
  if (req.method === "HEAD") {
    f.close();
    h.set("content-length", String(size));
    return new Response(null, { status: 200, headers: h });
  }
  if (!m) {
    h.set("content-length", String(size));
    return new Response(f.readable, { status: 200, headers: h });
  }
  const a = Number(m[1]), b = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  if (a >= size) {
    f.close();
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${size}` } });
  }
  await f.seek(a, Deno.SeekMode.Start);
  let left = b - a + 1;
  const body = f.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        if (left <= 0) return;
        out.enqueue(chunk.subarray(0, left));
        left -= chunk.length;
      },
    }),
  );
  h.set("content-length", String(b - a + 1));
  h.set("content-range", `bytes ${a}-${b}/${size}`);
  return new Response(body, { status: 206, headers: h });
}

/** `res` with its body failing after `n` bytes: the server drops the connection mid-body. */
function cut(res: Response, n: number): Response {
  let left = n;
  const body = res.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        if (chunk.length >= left) {
          if (left > 0) out.enqueue(chunk.slice(0, left));
          left = 0;
          out.error(new Error("connection dropped (test)"));
          return;
        }
        left -= chunk.length;
        out.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: res.status, headers: res.headers });
}

function hubError(status: number, code: string): Response {
  return new Response(JSON.stringify({ error: code }), {
    status,
    headers: { "x-error-code": code, "content-type": "application/json" },
  });
}

/** Starts the Hub and its CDN on 127.0.0.1 (ports chosen by the system). */
export function startMockHub(opts: MockHubOptions): Promise<MockHub> {
  const log: Logged[] = [];
  const blobs = new Map<string, string>(); // sha256 → path
  const shas = new Map<string, Promise<string>>();
  const shaOf = (path: string) => {
    let p = shas.get(path);
    if (!p) shas.set(path, p = sha256(path));
    return p;
  };
  const record = (server: Logged["server"], req: Request) =>
    log.push({
      server,
      method: req.method,
      path: decodeURIComponent(new URL(req.url).pathname),
      range: req.headers.get("range"),
      authorization: req.headers.get("authorization"),
    });
  const hub: MockHub = {
    url: "",
    cdnUrl: "",
    log,
    close: async () => await Promise.all([server.shutdown(), cdn.shutdown()]).then(() => {}),
  };
  const cdn = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    record("cdn", req);
    if (hub.failWith) return new Response("failing", { status: hub.failWith });
    const sha = new URL(req.url).pathname.split("/").pop()!;
    const path = blobs.get(sha);
    if (!path) return new Response("no such blob", { status: 404 });
    const res = await fileResponse(req, path, { etag: `"${sha}"` }, !opts.noRange);
    return hub.cutAfter === undefined || !res.body ? res : cut(res, hub.cutAfter);
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    record("hub", req);
    if (hub.failWith) return new Response("failing", { status: hub.failWith });
    const parts = decodeURIComponent(new URL(req.url).pathname).split("/").slice(1);
    const [org, name, resolve, rev, ...rest] = parts;
    const repo = opts.repos[`${org}/${name}`];
    if (!repo || resolve !== "resolve") return hubError(404, "RepoNotFound");
    if (repo.token && req.headers.get("authorization") !== `Bearer ${repo.token}`) {
      return hubError(req.headers.get("authorization") ? 403 : 401, "GatedRepo");
    }
    const commit = repo.commit ?? "0123456789abcdef0123456789abcdef01234567";
    if (rev !== "main" && rev !== commit) return hubError(404, "RevisionNotFound");
    const file = rest.join("/");
    const path = `${repo.dir}/${file}`;
    if (!file || rest.includes("..")) return hubError(404, "EntryNotFound");
    try {
      if (!(await Deno.stat(path)).isFile) return hubError(404, "EntryNotFound");
    } catch {
      return hubError(404, "EntryNotFound");
    }
    const sha = await shaOf(path);
    if (LFS.test(file)) {
      blobs.set(sha, path);
      const size = (await Deno.stat(path)).size;
      return new Response(null, {
        status: 302,
        headers: {
          location: `${hub.cdnUrl}/blobs/${sha}?expires=soon`,
          "x-linked-etag": `"${sha}"`,
          "x-linked-size": String(size),
          "x-repo-commit": commit,
          etag: `"git-${sha.slice(0, 40)}"`,
        },
      });
    }
    return await fileResponse(req, path, {
      etag: `"${sha.slice(0, 40)}"`,
      "x-repo-commit": commit,
    }, true);
  });
  hub.url = `http://127.0.0.1:${server.addr.port}`;
  hub.cdnUrl = `http://127.0.0.1:${cdn.addr.port}`;
  return Promise.resolve(hub);
}
