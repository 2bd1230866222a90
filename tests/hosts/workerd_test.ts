// examples/cloudflare-worker/ in workerd (the npm package pinned in deno.json): the example is
// bundled against the installed npm package, its kernels imported as wasm modules, the golden
// model fetched by URL from a server here; /v1/embeddings must answer as Deno's handler does. The
// same worker without setKernelModules must fail saying why (workerd forbids run-time compiles).

import { ok, strictEqual } from "node:assert/strict";
import { installedPackage } from "./_package.ts";
import {
  assertSameAnswer,
  denoAnswer,
  embeddingsRequest,
  MODEL_DIR,
  serveModel,
} from "./_probe.ts";
import { have, haveNode, must, ROOT, run, scratch } from "./_tools.ts";
import { buildWorker, postWhenUp, withWorkerd, WORKERD } from "./_workerd.ts";

const haveWorkerd = () =>
  have("workerd", async () => {
    if ((await run(WORKERD, ["--version"])).code === 0) return true;
    // not in Deno's cache yet: `deno install` fetches what deno.json pins (this platform's binary)
    await run(Deno.execPath(), ["install", "--quiet"], { cwd: ROOT });
    return (await run(WORKERD, ["--version"])).code === 0;
  }, "`deno install` caches the pinned npm package workerd (needs the npm registry)");
const ignore = !MODEL_DIR || !(await haveNode()) || !(await haveWorkerd());

Deno.test(
  { name: "workerd: the Cloudflare Worker example answers as Deno does", ignore },
  async () => {
    const { project } = await installedPackage();
    const dir = await scratch("workerd_test_");
    const worker = await buildWorker(project);
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
    const models = serveModel();
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
