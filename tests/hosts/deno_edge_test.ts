// examples/deno-deploy/ and examples/supabase-edge-function/ run as those platforms run them: a
// Deno process on the entry point with EDGECLIP_MODEL set (here a URL served from 127.0.0.1) and
// the listening address given by DENO_SERVE_ADDRESS; /v1/embeddings (under /edgeclip for
// Supabase) must answer as Deno's handler does in process on the same int8 model.

import { ok, strictEqual } from "node:assert/strict";
import * as probe from "./_probe.ts";
import { ROOT, scratch } from "./_tools.ts";

const ignore = !probe.MODEL_DIR;

/** Reads `stream` until `pattern` matches (or it ends); the rest is drained in the background. */
async function waitFor(stream: ReadableStream<Uint8Array>, pattern: RegExp) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  for (;;) {
    const m = pattern.exec(said);
    if (m) {
      const rest = (async () => {
        while (!(await reader.read()).done) { /* drained */ }
      })();
      return { match: m, rest };
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`the process ended before ${pattern}; it said:\n${said}`);
    said += value;
  }
}

/** Runs `entry` in `example` with `env`, POSTs the probe to `route`, compares with Deno's. */
async function checkExample(example: string, entry: string, route: string) {
  const dir = await scratch("deno_edge_test_");
  const models = probe.serveModel();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--allow-net", "--allow-env", "--allow-read", entry],
    cwd: `${ROOT}examples/${example}`,
    env: {
      DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
      EDGECLIP_MODEL: `http://127.0.0.1:${models.addr.port}/`,
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let drained: Promise<void> | undefined;
  try {
    const { match, rest } = await waitFor(child.stderr, /Listening on (http:\/\/[^\s]+?)\/?\s/);
    drained = rest;
    const base = match[1];
    const body = await probe.embeddingsRequest(dir);
    const res = await fetch(`${base}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const ms = performance.now() - started;
    strictEqual(res.status, 200, await res.clone().text());
    probe.assertSameAnswer(
      example,
      await res.json(),
      await probe.denoAnswer(body, { dtype: "int8" }),
    );
    const health = await fetch(`${base}${route.replace("/v1/embeddings", "/healthz")}`);
    const h = await health.json();
    ok(health.status === 200 && h.dtype === "int8", JSON.stringify(h));
    console.log(`${example}: process start → first embedding ${ms.toFixed(0)} ms`);
  } finally {
    try {
      child.kill();
    } catch { /* already gone */ }
    await child.status;
    if (drained) await drained;
    else await child.stderr.cancel().catch(() => {});
    await models.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({ name: "deno deploy: the example serves the handler", ignore }, async () => {
  await checkExample("deno-deploy", "main.ts", "/v1/embeddings");
});

Deno.test({ name: "supabase: the edge function serves under its name", ignore }, async () => {
  await checkExample("supabase-edge-function", "index.ts", "/edgeclip/v1/embeddings");
});
