// nodeListener under a real node:http server (Deno's Node compatibility here; tests/hosts runs it
// in Node itself): the same answers as the handler called directly, request bodies streamed in,
// large answers streamed out, several headers, and a client that hangs up aborting the request.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHandler, nodeListener } from "../../server.ts";
import { answer, dataUrl, goldenClip, goldenPngs, MODEL_DIR, post } from "./_helpers.ts";

async function listen(handler: (req: Request) => Promise<Response>): Promise<[Server, string]> {
  const server = createServer(nodeListener(handler));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
}

function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

Deno.test({
  name: "nodeListener: answers as the handler does (embeddings, errors, health, CORS)",
  ignore: !MODEL_DIR,
  async fn() {
    const handler = createHandler(await goldenClip(), { cors: "*" });
    const [server, base] = await listen(handler);
    try {
      const body = {
        input: ["a cat", { type: "image_url", image_url: { url: dataUrl(goldenPngs()[0]) } }],
      };
      const direct = await answer(await handler(post("/v1/embeddings", body)));
      const res = await fetch(`${base}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://a.example" },
        body: JSON.stringify(body),
      });
      strictEqual(res.headers.get("access-control-allow-origin"), "*");
      deepStrictEqual(await answer(res), direct);
      const bad = await fetch(`${base}/v1/embeddings`, { method: "POST", body: "{" });
      strictEqual(bad.status, 415);
      strictEqual((await bad.json()).error.code, "unsupported_media_type");
      const health = await fetch(`${base}/healthz?x=1`);
      strictEqual((await health.json()).status, "ok");
      const head = await fetch(`${base}/healthz`, { method: "HEAD" });
      strictEqual(head.status, 200);
      strictEqual(await head.text(), "");
    } finally {
      await close(server);
    }
  },
});

Deno.test("nodeListener: streamed bodies both ways, set-cookie kept apart, hang-ups abort", async () => {
  const big = new Uint8Array(3 * 2 ** 20).map((_, i) => i % 251);
  let aborted: Promise<unknown> = Promise.resolve("not asked");
  const [server, base] = await listen(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/echo") {
      const got = new Uint8Array(await req.arrayBuffer());
      const h = new Headers([["x-len", String(got.length)]]);
      h.append("set-cookie", "a=1");
      h.append("set-cookie", "b=2");
      return new Response(got, { headers: h });
    }
    // /hang: answers only after the client has gone
    aborted = new Promise((r) => req.signal.addEventListener("abort", () => r("aborted")));
    await aborted;
    return new Response("late");
  });
  try {
    const res = await fetch(`${base}/echo`, { method: "POST", body: big });
    strictEqual(res.headers.get("x-len"), String(big.length));
    deepStrictEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    deepStrictEqual(new Uint8Array(await res.arrayBuffer()), big);
    const gone = new AbortController();
    const pending = fetch(`${base}/hang`, { signal: gone.signal }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    ok((await pending) instanceof Error);
    strictEqual(await aborted, "aborted");
  } finally {
    await close(server);
  }
});
