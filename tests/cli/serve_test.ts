// `serve` as a subprocess on an ephemeral port: it answers, reports itself, and stops on SIGTERM.

import { ok, strictEqual } from "node:assert/strict";
import { goldenDir, goldenPath } from "../_util/golden.ts";
import { MAIN, runCli, TASK_FLAGS } from "./_run.ts";
import { modelName } from "../../src/cli/model.ts";

const MODEL = goldenPath("clip", "model");
const IMAGES = goldenPath("images");
const PNG = IMAGES &&
  [...Deno.readDirSync(IMAGES)].map((e) => `${IMAGES}/${e.name}`).find((n) => n.endsWith(".png"));
const net = Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted";
const ignore = !MODEL || !net || Deno.build.os === "windows";

/**
 * `serve --model MODEL --port 0 …extra` as a subprocess: its URL once it listens, and `stop()`,
 * which sends SIGTERM and resolves with the exit code and everything written to stderr.
 */
async function startServe(extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...TASK_FLAGS,
      MAIN,
      "serve",
      "--model",
      MODEL!,
      "--port",
      "0",
      ...extra,
    ],
    env: { CLIP_GOLDEN_DIR: goldenDir(), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) break;
    first += value;
  }
  const stop = async () => {
    child.kill("SIGTERM");
    const { code } = await child.status;
    await lines.cancel();
    return { code, stderr: await stderr };
  };
  const url = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(first)?.[1];
  if (!url) {
    const { stderr } = await stop();
    throw new Error(`no address in: ${first} ${stderr}`);
  }
  return { url, stop };
}

Deno.test(
  { name: "cli: serve answers on its port and shuts down on SIGTERM", ignore },
  async () => {
    const { url, stop } = await startServe();
    try {
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
      const { code, stderr } = await stop();
      strictEqual(code, 0, stderr);
      ok(stderr.includes("shutting down"));
    }
  },
);

Deno.test(
  {
    name: "cli: serve flags reach the handler; concurrent requests and hang-ups log nothing",
    ignore,
  },
  async () => {
    const { url, stop } = await startServe([
      "--name",
      "tiny",
      "--cors",
      "https://app.example.com, http://localhost:5173",
      "--max-text-chars",
      "40",
      "--max-queue",
      "32",
    ]);
    try {
      const health = await (await fetch(`${url}/healthz`)).json();
      strictEqual(health.model, "tiny");
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${url}/v1/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(body),
        });
      const long = await post({ input: "x".repeat(41) });
      strictEqual(long.status, 413);
      await long.body?.cancel();
      const pre = await fetch(`${url}/v1/embeddings`, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
      });
      strictEqual(pre.status, 204);
      strictEqual(pre.headers.get("access-control-allow-origin"), "http://localhost:5173");
      await pre.body?.cancel();
      // concurrent requests (none may make Deno warn about request.signal) and clients that
      // hang up mid-body (no BadResource stack)
      const { port } = new URL(url);
      const hangUps = Array.from({ length: 6 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
        await conn.write(new TextEncoder().encode(
          "POST /v1/embeddings HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
            'content-length: 500\r\n\r\n{"input": "a photo',
        ));
        await new Promise((r) => setTimeout(r, 30));
        conn.close();
      });
      const png = Deno.readFileSync(PNG!).toBase64();
      const image = { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } };
      const answers = await Promise.all(
        Array.from(
          { length: 16 },
          (_, i) =>
            post({ input: [`a photo of thing ${i}`, image] }, {
              origin: "https://app.example.com",
            }),
        ),
      );
      await Promise.all(hangUps);
      for (const r of answers) {
        strictEqual(r.status, 200);
        strictEqual(r.headers.get("access-control-allow-origin"), "https://app.example.com");
        await r.body?.cancel();
      }
    } finally {
      const { code, stderr } = await stop();
      strictEqual(code, 0, stderr);
      strictEqual(stderr.trim(), "edgeclip: shutting down");
    }
  },
);

Deno.test(
  { name: "cli: serve refuses bad limits and origins before loading", ignore },
  async () => {
    for (
      const args of [
        ["--max-pixels", "0"],
        ["--max-text-chars", "many"],
        ["--cors", "app.example.com"],
        ["--cors", "https://app.example.com/"],
        ["--name", " "],
        ["--max-lables", "3"],
      ]
    ) {
      const r = await runCli(["serve", "--model", "/nonexistent", ...args]);
      strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      ok(/usage:/.test(r.stderr), r.stderr);
    }
  },
);

Deno.test("cli: the served model's default name", () => {
  strictEqual(modelName("../shared/golden/clip/model"), "model");
  strictEqual(modelName("/models/clip-vit-base-patch32/"), "clip-vit-base-patch32");
  strictEqual(modelName("/pkgs/vit-b32-int8.safetensors"), "vit-b32-int8");
  strictEqual(
    modelName("/models/x", "openai/clip-vit-base-patch32"),
    "openai/clip-vit-base-patch32",
  );
  // a local path saved as _name_or_path is not a Hub id
  strictEqual(modelName("/models/x", "/tmp/run3/checkpoint"), "x");
  strictEqual(modelName("/models/x", "./ckpt/final"), "x");
});
