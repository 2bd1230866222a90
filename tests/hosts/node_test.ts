// Node ≥ 20 with the npm package installed from its tarball into a fresh project: the library
// loads the golden model from a path and from a URL and embeds as Deno does; the handler serves
// from Node's http server through nodeListener; a missing path is a clear EdgeClipError; and the
// package's types resolve for a TypeScript consumer (NodeNext); a Hub id downloads into the
// download cache through Node's file system and loads again from it offline.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import ts from "typescript";
import { type Installed, installedPackage, node } from "./_package.ts";
import {
  assertSameAnswer,
  assertSameEmbeddings,
  denoAnswer,
  denoProbe,
  embeddingsRequest,
  HOST_TOLERANCE,
  maxDiff,
  MODEL_DIR,
  probeFiles,
  type ProbeResult,
  serveModel,
  TEXTS,
} from "./_probe.ts";
import { haveNode, ROOT, scratch, waitForHttp } from "./_tools.ts";
import { firstLine } from "../_util/process.ts";
import { startMockHub } from "../_util/mock_hub.ts";
import { loadClip } from "../../mod.ts";

const ignore = !MODEL_DIR || !(await haveNode());
const PROBE = `${ROOT}tests/hosts/probe/`;

/** The package, with the probe scripts copied into its project (so "edgeclip" resolves). */
async function project(): Promise<Installed> {
  const installed = await installedPackage();
  for (const f of ["probe.js", "node_probe.mjs", "node_serve.mjs"]) {
    await Deno.copyFile(PROBE + f, `${installed.project}/${f}`);
  }
  return installed;
}

async function nodeProbe(p: Installed, dir: string, model: string): Promise<ProbeResult> {
  const f = await probeFiles(dir);
  const spec = `${dir}/inputs.json`;
  await Deno.writeTextFile(spec, JSON.stringify({ model, texts: TEXTS, ...f }));
  const r = await node(p, ["node_probe.mjs", spec]);
  strictEqual(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test(
  { name: "node: the library from the npm package embeds as Deno does", ignore },
  async () => {
    const p = await project();
    const dir = await scratch("node_test_");
    const server = serveModel();
    try {
      const want = await denoProbe(dir);
      const fromPath = await nodeProbe(p, dir, MODEL_DIR!);
      assertSameEmbeddings("node (path)", fromPath, want);
      const fromUrl = await nodeProbe(p, dir, `http://127.0.0.1:${server.addr.port}/`);
      assertSameEmbeddings("node (URL)", fromUrl, want);
      console.log(
        `node ${(await node(p, ["--version"])).stdout.trim()}: package ${p.tarballBytes} bytes ` +
          `packed; process start → first embedding ${fromPath.firstMs.toFixed(0)} ms`,
      );
      const missing = await node(p, ["node_probe.mjs", "--missing", `${dir}/no-model`]);
      const err = JSON.parse(missing.stdout);
      deepStrictEqual([err.isEdgeClipError, err.code], [true, "source_unavailable"]);
      ok(err.message.includes(`${dir}/no-model`) && /no such file/.test(err.message), err.message);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test({ name: "node: a Hub id through the download cache, then offline", ignore }, async () => {
  const p = await project();
  const dir = await scratch("node_test_");
  const hub = await startMockHub({ repos: { "org/clip": { dir: MODEL_DIR! } } });
  try {
    const [want] = await (await loadClip(MODEL_DIR!, { dtype: "int8" })).embedText([
      "a photo of a cat",
    ]);
    const probe = async (endpoint: string, ...more: string[]) => {
      const r = await node(p, ["node_probe.mjs", "--hub", endpoint, "org/clip", dir, ...more]);
      strictEqual(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { embedding: number[]; files: string[] };
    };
    const online = await probe(hub.url);
    const d = maxDiff([online.embedding], [[...want]]);
    ok(d <= HOST_TOLERANCE, `node's int8 text embedding differs from Deno's by ${d}`);
    // the converted int8 package is cached beside the downloads, and nothing half-written stays
    ok(online.files.some((f) => /edgeclip-int8-.*\.safetensors$/.test(f)), online.files.join());
    ok(!online.files.some((f) => f.includes(".partial")), online.files.join());
    const requests = hub.log.length;
    const offline = await probe("http://127.0.0.1:9", "offline");
    deepStrictEqual(offline.embedding, online.embedding);
    strictEqual(hub.log.length, requests);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({ name: "node: the handler under Node's http server", ignore }, async () => {
  const p = await project();
  const dir = await scratch("node_test_");
  const child = new Deno.Command("node", {
    args: ["node_serve.mjs", MODEL_DIR!],
    cwd: p.project,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const { line, reader } = await firstLine(
      child.stdout,
      "the Node server exited before listening",
    );
    reader.releaseLock();
    const base = `http://${line.trim()}`;
    await waitForHttp(`${base}/healthz`, 5000);
    const body = await embeddingsRequest(dir);
    const res = await fetch(`${base}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    strictEqual(res.status, 200);
    assertSameAnswer("node http", await res.json(), await denoAnswer(body));
    const bad = await fetch(`${base}/v1/embeddings`, { method: "POST", body: "{}" });
    strictEqual(bad.status, 415);
    await bad.body?.cancel();
  } finally {
    child.kill();
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({ name: "node: the package's types serve a TypeScript consumer", ignore }, async () => {
  const p = await project();
  const file = `${p.project}/consumer.ts`;
  await Deno.writeTextFile(
    file,
    `import { EdgeClipError, loadClip, type LoadClipOptions, setKernelModules } from "edgeclip";
import { createHandler, nodeListener } from "edgeclip/server";
const opts: LoadClipOptions = { dtype: "int8" };
const clip = await loadClip("./model", opts);
const v: Float32Array[] = await clip.embedText(["a cat"]);
const listener = nodeListener(createHandler(clip, { maxBatch: 8 }));
export { EdgeClipError, listener, setKernelModules, v };
// @ts-expect-error: not an option
await loadClip("./model", { dtype: "f16" });
`,
  );
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    noEmit: true,
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n")
  );
  deepStrictEqual(problems, []);
});
