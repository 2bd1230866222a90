// examples/cloudflare-worker/ in workerd (the npm package pinned in deno.json): the example is
// bundled against the installed npm package, its kernels imported as wasm modules, the golden
// model fetched by URL from a server here; /v1/embeddings must answer as Deno's handler does. The
// same worker without setKernelModules must fail saying why (workerd forbids run-time compiles).

import { ok, strictEqual } from "node:assert/strict";
import { installedPackage } from "./_package.ts";
import { assertSameAnswer, denoAnswer, embeddingsRequest, MODEL_DIR } from "./_probe.ts";
import { have, haveNode, must, ROOT, run, scratch } from "./_tools.ts";

const EXAMPLE = `${ROOT}examples/cloudflare-worker/`;

/** The workerd binary of the version deno.json pins, from Deno's npm cache. */
async function workerdBinary(): Promise<string> {
  const spec: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).imports.workerd;
  const version = spec.slice(spec.lastIndexOf("@") + 1);
  const os = { linux: "linux", darwin: "darwin", windows: "windows" }[Deno.build.os as string];
  const arch = { x86_64: "64", aarch64: "arm64" }[Deno.build.arch];
  const info = JSON.parse(await must(Deno.execPath(), ["info", "--json"]));
  const exe = Deno.build.os === "windows" ? "workerd.exe" : "workerd";
  return `${info.npmCache}/registry.npmjs.org/@cloudflare/workerd-${os}-${arch}/${version}/bin/${exe}`;
}

const WORKERD = await workerdBinary();
const haveWorkerd = () =>
  have("workerd", async () => {
    if ((await run(WORKERD, ["--version"])).code === 0) return true;
    // not in Deno's cache yet: `deno install` fetches what deno.json pins (this platform's binary)
    await run(Deno.execPath(), ["install", "--quiet"], { cwd: ROOT });
    return (await run(WORKERD, ["--version"])).code === 0;
  }, "`deno install` caches the pinned npm package workerd (needs the npm registry)");
const ignore = !MODEL_DIR || !(await haveNode()) || !(await haveWorkerd());

/** A free port on 127.0.0.1 (workerd takes its socket address on the command line). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/**
 * Runs workerd on `config` until `use` returns; `use` gets the base URL and the spawn time.
 * Returns what workerd printed.
 */
async function withWorkerd(
  dir: string,
  config: string,
  env: Record<string, string>,
  use: (base: string, started: number) => Promise<void>,
): Promise<string> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(WORKERD, {
    args: ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`],
    cwd: dir,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  let failure: unknown;
  try {
    await use(`http://127.0.0.1:${port}`, started);
  } catch (e) {
    failure = e;
  }
  try {
    child.kill();
  } catch { /* already gone */ }
  await child.status;
  const said = (await log).join("\n");
  if (failure) throw new Error(`${failure}\nworkerd said:\n${said}`);
  return said;
}

/** POSTs `body` to /v1/embeddings, retrying while workerd is not listening yet. */
async function postWhenUp(base: string, body: unknown): Promise<Response> {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      return await fetch(`${base}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

Deno.test(
  { name: "workerd: the Cloudflare Worker example answers as Deno does", ignore },
  async () => {
    const { project } = await installedPackage();
    const dir = await scratch("workerd_test_");
    const worker = `${project}/worker`;
    await Deno.remove(worker, { recursive: true }).catch(() => {});
    await Deno.mkdir(worker);
    for (const f of ["worker.js", "config.capnp", "build.ts"]) {
      await Deno.copyFile(EXAMPLE + f, `${worker}/${f}`);
    }
    await must(Deno.execPath(), ["run", "-A", "build.ts"], { cwd: worker });
    // the same worker without setKernelModules: run-time compilation, which workerd refuses
    const source = await Deno.readTextFile(`${worker}/worker.js`);
    const bare = source.replace(/^setKernelModules\(\{ relaxed, simd128 \}\);$/m, "");
    ok(bare !== source);
    await Deno.writeTextFile(`${worker}/bare.js`, bare);
    await must(Deno.execPath(), ["run", "-A", "build.ts", "bare.js"], { cwd: worker });
    await Deno.writeTextFile(
      `${worker}/bare.capnp`,
      (await Deno.readTextFile(`${worker}/config.capnp`)).replace(
        '"dist/worker.js"',
        '"dist/bare.js"',
      ),
    );
    const models = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      try {
        return new Response(await Deno.readFile(`${MODEL_DIR}${new URL(req.url).pathname}`));
      } catch {
        return new Response("no such file", { status: 404 });
      }
    });
    const env = { EDGECLIP_MODEL: `http://127.0.0.1:${models.addr.port}/` };
    try {
      const body = await embeddingsRequest(dir);
      const want = await denoAnswer(body);
      await withWorkerd(worker, "config.capnp", env, async (base, started) => {
        const res = await postWhenUp(base, body);
        const ms = performance.now() - started;
        strictEqual(res.status, 200, await res.clone().text());
        assertSameAnswer("workerd", await res.json(), want);
        console.log(`workerd: process start → first embedding ${ms.toFixed(0)} ms`);
      });
      const said = await withWorkerd(worker, "bare.capnp", env, async (base) => {
        const res = await postWhenUp(base, { input: "a cat" });
        strictEqual(res.status, 500);
        await res.body?.cancel();
      });
      ok(/code generation disallowed.*pass them to setKernelModules\(\)/.test(said), said);
    } finally {
      await models.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
