// `serve` as a subprocess on an ephemeral port: it answers, reports itself, and stops on SIGTERM.

import { ok, strictEqual } from "node:assert/strict";
import { goldenDir, goldenPath } from "../_util/golden.ts";
import { MAIN, TASK_FLAGS } from "./_run.ts";

const MODEL = goldenPath("clip", "model");
const net = Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted";
const ignore = !MODEL || !net || Deno.build.os === "windows";

Deno.test(
  { name: "cli: serve answers on its port and shuts down on SIGTERM", ignore },
  async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...TASK_FLAGS, MAIN, "serve", "--model", MODEL!, "--port", "0"],
      env: { CLIP_GOLDEN_DIR: goldenDir(), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let first = "";
      while (!first.includes("\n")) {
        const { done, value } = await lines.read();
        if (done) break;
        first += value;
      }
      const url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(first)?.[1];
      ok(url, `no address in: ${first}`);
      const health = await (await fetch(`${url}/healthz`)).json();
      strictEqual(health.model, "model"); // the folder's name
      strictEqual(health.dtype, "f32");
      const res = await fetch(`${url}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: ["a cat", "a dog"], model: "model" }),
      });
      strictEqual(res.status, 200);
      strictEqual((await res.json()).data.length, 2);
      const bad = await fetch(`${url}/v1/embeddings`, { method: "POST", body: "x" });
      strictEqual(bad.status, 415);
      await bad.body?.cancel();
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      await lines.cancel();
      strictEqual(status.code, 0, await stderr);
      ok((await stderr).includes("shutting down"));
    }
  },
);
