// The npm package in headless Chromium: a page served from 127.0.0.1 imports the installed package
// through an import map, loads the golden model from a URL and from Files, embeds texts, images as
// Blobs and as ImageData, and posts the embeddings back; they must equal Deno's within 1e-6. A
// path, which a browser cannot read, must fail with an EdgeClipError that says what to pass.

import { ok, strictEqual } from "node:assert/strict";
import { installedPackage } from "./_package.ts";
import {
  assertSameEmbeddings,
  denoProbe,
  MODEL_DIR,
  probeFiles,
  type ProbeResult,
  TEXTS,
} from "./_probe.ts";
import { have, haveNode, ROOT, run, scratch } from "./_tools.ts";

const CHROMIUM = Deno.env.get("CHROMIUM") ?? "chromium";
const haveChromium = () =>
  have(
    "chromium",
    async () => (await run(CHROMIUM, ["--version"])).code === 0,
    "apt-get install chromium",
  );
const ignore = !MODEL_DIR || !(await haveNode()) || !(await haveChromium());
const PROBE = `${ROOT}tests/hosts/probe/`;

const TYPES: Record<string, string> = {
  js: "text/javascript",
  html: "text/html; charset=utf-8",
  json: "application/json",
  wasm: "application/wasm",
};

/** Flags for a quiet headless Chromium that reaches nothing but the test server. */
function chromiumArgs(profile: string, url: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-crash-reporter",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
    url,
  ];
}

interface PageResult {
  error?: string;
  fromUrl: ProbeResult;
  fromFiles: ProbeResult;
  pathError: { isEdgeClipError: boolean; code: string; message: string };
  userAgent: string;
}

/** Serves the page, the package, the model and the inputs; resolves with what the page posts. */
async function servePage(pkg: string, dir: string) {
  const f = await probeFiles(dir);
  const modelFiles = [...Deno.readDirSync(MODEL_DIR!)].filter((e) => e.isFile).map((e) => e.name);
  const spec = {
    texts: TEXTS,
    images: f.images.map((p) => `/images/${p.slice(p.lastIndexOf("/") + 1)}`),
    pixels: { url: "/pixels.rgba", width: f.pixels.width, height: f.pixels.height },
    modelFiles,
  };
  let deliver: (r: PageResult) => void = () => {};
  const result = new Promise<PageResult>((r) => (deliver = r));
  const file = (path: string): string | undefined => {
    if (path === "/") return `${PROBE}browser.html`;
    if (path === "/probe.js" || path === "/browser_probe.js") return PROBE + path.slice(1);
    if (path.startsWith("/pkg/")) return `${pkg}/${path.slice(5)}`;
    if (path.startsWith("/model/")) return `${MODEL_DIR}/${path.slice(7)}`;
    if (path.startsWith("/images/")) return f.images.find((p) => p.endsWith(path.slice(7)));
    if (path === "/pixels.rgba") return f.pixels.file;
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/result" && req.method === "POST") {
      deliver(await req.json());
      return new Response("thanks");
    }
    if (path === "/spec.json") return Response.json(spec);
    const p = file(path);
    if (!p || path.includes("..")) return new Response("not found", { status: 404 });
    try {
      const type = TYPES[p.slice(p.lastIndexOf(".") + 1)] ?? "application/octet-stream";
      return new Response(await Deno.readFile(p), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { server, result };
}

Deno.test(
  { name: "browser: the package in headless Chromium embeds as Deno does", ignore },
  async () => {
    const { pkg } = await installedPackage();
    const dir = await scratch("browser_test_");
    const { server, result } = await servePage(pkg, dir);
    const browser = new Deno.Command(CHROMIUM, {
      args: chromiumArgs(`${dir}/profile`, `http://127.0.0.1:${server.addr.port}/`),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(browser.stderr).text();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, no) => {
        timer = setTimeout(() => no(new Error("the page posted no result in 60 s")), 60_000);
      });
      const page = await Promise.race([
        result,
        timeout,
        browser.status.then(async (s) => {
          throw new Error(`chromium exited (${s.code}) before the page answered:\n${await stderr}`);
        }),
      ]);
      ok(!page.error, page.error);
      const want = await denoProbe(dir);
      assertSameEmbeddings("chromium (model URL)", page.fromUrl, want);
      assertSameEmbeddings("chromium (model Files)", page.fromFiles, want);
      const e = page.pathError;
      strictEqual(e.isEdgeClipError && e.code, "source_unavailable", e.message);
      ok(/models\/clip/.test(e.message) && /no file system; pass a URL/.test(e.message), e.message);
      const version = /Chrome\/[\d.]+/.exec(page.userAgent)?.[0];
      console.log(`${version}: page start → first embedding ${page.fromUrl.firstMs.toFixed(0)} ms`);
    } finally {
      clearTimeout(timer);
      try {
        browser.kill();
      } catch { /* already gone */ }
      await browser.status;
      await stderr;
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
