// CORS: preflights, the headers on answers (errors included) for allowed origins, refusals for
// others, no Access-Control-* headers without a policy, and bad policies refused up front.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { createHandler } from "../../server.ts";
import { answer, goldenClip, MODEL_DIR, post } from "./_helpers.ts";

const ignore = !MODEL_DIR;
const APP = "https://app.example.com";

function preflight(path: string, origin: string | null, method = "POST"): Request {
  const headers: Record<string, string> = {
    "access-control-request-method": method,
    "access-control-request-headers": "content-type",
  };
  if (origin !== null) headers.origin = origin;
  return new Request(`http://localhost${path}`, { method: "OPTIONS", headers });
}

Deno.test({ name: "cors: a list of origins", ignore }, async () => {
  const handler = createHandler(await goldenClip(), { cors: [APP, "http://localhost:5173"] });
  const pre = await handler(preflight("/v1/embeddings", APP));
  strictEqual(pre.status, 204);
  strictEqual(pre.headers.get("access-control-allow-origin"), APP);
  strictEqual(pre.headers.get("access-control-allow-methods"), "POST, OPTIONS");
  strictEqual(pre.headers.get("access-control-allow-headers"), "content-type");
  strictEqual(pre.headers.get("access-control-max-age"), "7200");
  ok(/\bOrigin\b/.test(pre.headers.get("vary") ?? ""), pre.headers.get("vary") ?? "");
  strictEqual(await pre.text(), "");

  const health = await handler(preflight("/healthz", "http://localhost:5173", "GET"));
  strictEqual(health.status, 204);
  strictEqual(health.headers.get("access-control-allow-methods"), "GET, HEAD, OPTIONS");
  strictEqual(health.headers.get("access-control-allow-origin"), "http://localhost:5173");

  // answers, good and bad, carry the origin for allowed origins only
  const ok200 = await handler(post("/v1/embeddings", { input: "a cat" }, { origin: APP }));
  strictEqual(ok200.status, 200);
  strictEqual(ok200.headers.get("access-control-allow-origin"), APP);
  strictEqual(ok200.headers.get("access-control-expose-headers"), "retry-after");
  strictEqual(ok200.headers.get("vary"), "Origin");
  await ok200.body?.cancel();
  const bad = await handler(post("/v1/embeddings", { input: [] }, { origin: APP }));
  strictEqual(bad.status, 400);
  strictEqual(bad.headers.get("access-control-allow-origin"), APP);
  await bad.body?.cancel();
  const missing = await handler(new Request("http://localhost/nope", { headers: { origin: APP } }));
  strictEqual(missing.status, 404);
  strictEqual(missing.headers.get("access-control-allow-origin"), APP);
  await missing.body?.cancel();

  // other origins: a refused preflight (403, named), and answers without the header
  const evil = "https://evil.example";
  const refused = await answer(await handler(preflight("/v1/embeddings", evil)));
  strictEqual(refused.status, 403);
  strictEqual(refused.body.error.code, "origin_not_allowed");
  const other = await handler(post("/v1/embeddings", { input: "x" }, { origin: evil }));
  strictEqual(other.status, 200);
  strictEqual(other.headers.get("access-control-allow-origin"), null);
  strictEqual(other.headers.get("vary"), "Origin");
  await other.body?.cancel();
  for (const o of ["https://app.example.com.evil.example", "https://APP.example.com", "null"]) {
    const r = await handler(preflight("/v1/classify", o));
    strictEqual(r.status, 403, o);
    await r.body?.cancel();
  }
});

Deno.test({ name: "cors: any origin", ignore }, async () => {
  const handler = createHandler(await goldenClip(), { cors: "*" });
  const pre = await handler(preflight("/v1/classify", "https://anywhere.example"));
  strictEqual(pre.status, 204);
  strictEqual(pre.headers.get("access-control-allow-origin"), "*");
  const res = await handler(
    post("/v1/embeddings", { input: "x" }, { origin: "https://x.example" }),
  );
  strictEqual(res.headers.get("access-control-allow-origin"), "*");
  strictEqual(res.headers.get("vary"), null); // the same answer for every origin
  await res.body?.cancel();
  const noOrigin = await handler(post("/v1/embeddings", { input: "x" }));
  strictEqual(noOrigin.headers.get("access-control-allow-origin"), null);
  await noOrigin.body?.cancel();
});

Deno.test(
  { name: "cors: without a policy no Access-Control-* header is sent", ignore },
  async () => {
    const handler = createHandler(await goldenClip());
    const pre = await handler(preflight("/v1/embeddings", APP));
    strictEqual(pre.status, 204);
    strictEqual(pre.headers.get("allow"), "POST, OPTIONS");
    const names = [...pre.headers.keys()].filter((k) => k.startsWith("access-control-"));
    deepStrictEqual(names, []);
    const res = await handler(post("/v1/embeddings", { input: "x" }, { origin: APP }));
    strictEqual(res.headers.get("access-control-allow-origin"), null);
    await res.body?.cancel();
    const nowhere = await handler(preflight("/nowhere", APP));
    strictEqual(nowhere.status, 404);
    await nowhere.body?.cancel();
  },
);

Deno.test({ name: "cors: bad policies are refused when the handler is made", ignore }, async () => {
  const clip = await goldenClip();
  for (
    const cors of [
      [],
      ["https://app.example.com/"],
      ["app.example.com"],
      ["*.example.com"],
      ["https://app.example.com/path"],
      "any",
      [42],
    ]
  ) {
    throws(() => createHandler(clip, { cors: cors as string[] }), RangeError, JSON.stringify(cors));
  }
});
