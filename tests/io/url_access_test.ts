// Weight files behind a URL are read without downloading them whole (io/url_access.ts): random
// reads of every size (forward, backward, across megabytes, at the end) return the file's bytes;
// a server that ignores Range still works; a failed answer is an error; a model loaded by URL
// embeds exactly as from its folder.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError, loadClip } from "../../mod.ts";
import { openUrl } from "../../src/io/url_access.ts";
import { goldenPath } from "../_util/golden.ts";
import { Prng } from "../_util/prng.ts";

const canServe = (await Deno.permissions.query({ name: "net", host: "127.0.0.1" })).state ===
  "granted";

type Mode = "ranges" | "no-ranges" | "short";

/** Serves `files` (name → bytes); records each request's path and Range header. */
function serve(files: Record<string, Uint8Array>, mode: Mode) {
  const seen: { path: string; range: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname.slice(1);
    const range = req.headers.get("range");
    seen.push({ path, range });
    const data = files[path];
    if (!data) return new Response("no", { status: 404 });
    const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? "");
    if (!m || mode === "no-ranges") return new Response(data as BlobPart);
    const from = Number(m[1]);
    if (from >= data.length) return new Response(null, { status: 416 });
    const to = Math.min(data.length - 1, m[2] ? Number(m[2]) : data.length - 1);
    const body = data.subarray(from, mode === "short" && from > 0 ? to : to + 1);
    return new Response(body as BlobPart, {
      status: 206,
      headers: { "content-range": `bytes ${from}-${to}/${data.length}` },
    });
  });
  return {
    server,
    seen,
    url: (name: string) => new URL(`http://127.0.0.1:${server.addr.port}/${name}`),
  };
}

/** Sizes in the range of the readers' windows (1 MiB stream window, 8 MiB range reads). */
const URL_WINDOW = 1 << 20;
const ref = (file: string) => ({ file, source: "test server" });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

Deno.test(
  { name: "url access: random reads by range equal the file", ignore: !canServe },
  async () => {
    const rng = new Prng(7);
    const size = 2 * URL_WINDOW + 12345;
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = rng.int(0, 255);
    const { server, seen, url } = serve(
      { "w.safetensors": data, "empty.bin": new Uint8Array(0) },
      "ranges",
    );
    try {
      const ra = await openUrl(url("w.safetensors"), ref("w.safetensors"));
      strictEqual(ra.size, size);
      const cases: [number, number][] = [
        [0, 1],
        [1, 8],
        [URL_WINDOW - 3, 7],
        [size - 1, 1],
        [5, URL_WINDOW + 1],
        [size - 9, 9],
        [URL_WINDOW, 0],
        [3, size - 3],
      ];
      for (let i = 0; i < 20; i++) {
        const off = rng.int(0, size - 1);
        cases.push([off, rng.int(0, Math.min(size - off, URL_WINDOW >> 2))]);
      }
      for (const [off, len] of cases) {
        const dest = new Uint8Array(len);
        await ra.read(off, dest);
        ok(sameBytes(dest, data.subarray(off, off + len)), `bytes ${off}+${len}`);
      }
      await rejects(ra.read(size - 1, new Uint8Array(2)));
      ok(seen.length <= cases.length + 1, `${seen.length} requests for ${cases.length} reads`);
      ra.close();
      strictEqual((await openUrl(url("empty.bin"), ref("empty.bin"))).size, 0);
    } finally {
      await server.shutdown();
    }
  },
);

Deno.test(
  { name: "url access: no ranges, short ranges and HTTP errors", ignore: !canServe },
  async () => {
    const data = new Uint8Array(URL_WINDOW + 100).map((_, i) => i * 31);
    const plain = serve({ "w.safetensors": data }, "no-ranges");
    const short = serve({ "w.safetensors": data }, "short");
    try {
      const ra = await openUrl(plain.url("w.safetensors"), ref("w.safetensors"));
      const dest = new Uint8Array(50);
      await ra.read(URL_WINDOW + 10, dest);
      deepStrictEqual(dest, data.subarray(URL_WINDOW + 10, URL_WINDOW + 60));
      await rejects(
        openUrl(plain.url("missing.safetensors"), ref("missing.safetensors")),
        (e) => e instanceof EdgeClipError && /404/.test(e.message),
      );
      // a range answer shorter than it says: an error, never a silent short read
      const cut = await openUrl(short.url("w.safetensors"), ref("w.safetensors"));
      await cut.read(0, new Uint8Array(10));
      await rejects(cut.read(URL_WINDOW * 3 >> 2, new Uint8Array(URL_WINDOW >> 1)));
    } finally {
      await plain.server.shutdown();
      await short.server.shutdown();
    }
  },
);

const modelDir = goldenPath("clip", "model");

Deno.test({
  name: "url access: a model by URL from a range server embeds as from its folder",
  ignore: !canServe || !modelDir,
}, async () => {
  const files: Record<string, Uint8Array> = {};
  for (const e of Deno.readDirSync(modelDir!)) {
    if (e.isFile) files[e.name] = await Deno.readFile(`${modelDir}/${e.name}`);
  }
  const { server, seen, url } = serve(files, "ranges");
  try {
    const embed = async (src: string) => {
      const clip = await loadClip(src);
      const [t] = await clip.embedText("a photo of a cat");
      clip.dispose();
      return t;
    };
    deepStrictEqual(await embed(url("").href), await embed(modelDir!));
    const weights = seen.filter((s) => s.path === "model.safetensors");
    ok(weights.length > 0, JSON.stringify(weights));
    await rejects(
      loadClip(url("nowhere/").href),
      (e) => e instanceof EdgeClipError && e.code === "source_unavailable",
    );
  } finally {
    await server.shutdown();
  }
});
