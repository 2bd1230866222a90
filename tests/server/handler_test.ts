// createHandler on the golden tiny model: every route's answer, checked against direct Clip calls.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createHandler } from "../../server.ts";
import { answer, dataUrl, goldenClip, goldenPngs, MODEL_DIR, post, slowClip } from "./_helpers.ts";

const ignore = !MODEL_DIR || goldenPngs().length < 2;

Deno.test({ name: "server: embeddings of texts equal embedText, with usage", ignore }, async () => {
  const clip = await goldenClip();
  const handler = createHandler(clip, { modelName: "tiny" });
  const texts = ["a photo of a cat", "", "word ".repeat(200)];
  const { status, body } = await answer(await handler(post("/v1/embeddings", { input: texts })));
  strictEqual(status, 200);
  strictEqual(body.object, "list");
  strictEqual(body.model, "tiny");
  const direct = await clip.embedText(texts);
  deepStrictEqual(
    body.data,
    direct.map((e, index) => ({ object: "embedding", index, embedding: Array.from(e) })),
  );
  // SOT + tokens + EOT per text, the long one cut to the 77-token context
  const mask = clip.tokenize(texts).attentionMask.data;
  const tokens = mask.reduce((a, b) => a + b, 0);
  strictEqual(tokens, 7 + 2 + 77);
  deepStrictEqual(body.usage, { prompt_tokens: tokens, total_tokens: tokens });
  // a single string is one input
  const one = await answer(await handler(post("/v1/embeddings", { input: "a photo of a cat" })));
  deepStrictEqual(one.body.data, [body.data[0]]);
});

Deno.test({ name: "server: mixed text/image input keeps request order", ignore }, async () => {
  const clip = await goldenClip();
  const handler = createHandler(clip);
  const [p0, p1] = goldenPngs();
  const input = [
    { type: "image_url", image_url: { url: dataUrl(p0) } },
    "a dog",
    { type: "text", text: "a cat" },
    { type: "image_url", image_url: { url: Deno.readFileSync(p1).toBase64() } },
  ];
  const { status, body } = await answer(await handler(post("/v1/embeddings", { input })));
  strictEqual(status, 200, JSON.stringify(body));
  const [i0, i1] = await clip.embedImage([Deno.readFileSync(p0), Deno.readFileSync(p1)]);
  const [t0, t1] = await clip.embedText(["a dog", "a cat"]);
  deepStrictEqual(body.data.map((d: { embedding: number[] }) => d.embedding), [
    Array.from(i0),
    Array.from(t0),
    Array.from(t1),
    Array.from(i1),
  ]);
  deepStrictEqual(body.data.map((d: { index: number }) => d.index), [0, 1, 2, 3]);
  // images count their vision sequence: (224/32)² patches + the class token
  const textTokens = clip.tokenize(["a dog", "a cat"]).attentionMask.data.reduce((a, b) => a + b);
  strictEqual(body.usage.prompt_tokens, textTokens + 2 * 50);
});

Deno.test({ name: "server: encoding_format base64 is little-endian float32", ignore }, async () => {
  const clip = await goldenClip();
  const handler = createHandler(clip);
  const req = { input: ["x", "y"], encoding_format: "base64", model: "clip", user: "u1" };
  const { status, body } = await answer(await handler(post("/v1/embeddings", req)));
  strictEqual(status, 200, JSON.stringify(body));
  const direct = await clip.embedText(["x", "y"]);
  body.data.forEach((d: { embedding: string }, i: number) => {
    const bytes = Uint8Array.fromBase64(d.embedding);
    const view = new DataView(bytes.buffer);
    const got = Float32Array.from(
      { length: bytes.length / 4 },
      (_, j) => view.getFloat32(4 * j, true),
    );
    deepStrictEqual(got, direct[i]);
  });
  const dims = clip.config.projectionDim;
  const same = await handler(post("/v1/embeddings", { input: "x", dimensions: dims }));
  strictEqual(same.status, 200);
});

Deno.test(
  { name: "server: classify equals Clip.classify; topK and templates", ignore },
  async () => {
    const clip = await goldenClip();
    const handler = createHandler(clip);
    const [p0] = goldenPngs();
    const labels = ["cat", "dog", "bird"];
    const template = ["a photo of a {}.", "a drawing of a {}."];
    const { status, body } = await answer(
      await handler(post("/v1/classify", { image: dataUrl(p0), labels, template, topK: 2 })),
    );
    strictEqual(status, 200, JSON.stringify(body));
    const direct = await clip.classify(Deno.readFileSync(p0), labels, { template, topK: 2 });
    deepStrictEqual(body, { results: direct });
    strictEqual(body.results.length, 2);
    // bare base64 and the default template
    const plain = await answer(
      await handler(post("/v1/classify", { image: Deno.readFileSync(p0).toBase64(), labels })),
    );
    strictEqual(plain.status, 200);
    const sum = plain.body.results.reduce((a: number, r: { score: number }) => a + r.score, 0);
    ok(Math.abs(sum - 1) < 1e-6, `scores sum to ${sum}`);
    deepStrictEqual(plain.body.results, await clip.classify(Deno.readFileSync(p0), labels));
  },
);

Deno.test(
  {
    name: "server: classify takes a template preset name; the prompt limit counts its list",
    ignore,
  },
  async () => {
    const clip = await goldenClip();
    const handler = createHandler(clip, { maxPrompts: 100 });
    const [p0] = goldenPngs();
    const labels = ["cat", "dog"];
    const { status, body } = await answer(
      await handler(
        post("/v1/classify", { image: dataUrl(p0), labels, template: "clip-imagenet-7" }),
      ),
    );
    strictEqual(status, 200, JSON.stringify(body));
    deepStrictEqual(body, {
      results: await clip.classify(Deno.readFileSync(p0), labels, { template: "clip-imagenet-7" }),
    });
    // 2 labels × 80 templates = 160 prompts, over maxPrompts 100
    const big = await answer(
      await handler(
        post("/v1/classify", { image: dataUrl(p0), labels, template: "clip-imagenet-80" }),
      ),
    );
    strictEqual(big.status, 413, JSON.stringify(big.body));
    const unknown = await answer(
      await handler(post("/v1/classify", { image: dataUrl(p0), labels, template: "imagenet" })),
    );
    strictEqual(unknown.status, 400);
    ok(/clip-imagenet-7/.test(unknown.body.error.message), unknown.body.error.message);
  },
);

Deno.test(
  { name: "server: healthz reports model, dtype, adapters; HEAD has no body", ignore },
  async () => {
    const clip = await goldenClip();
    const handler = createHandler(clip, { modelName: "tiny-clip" });
    const { status, body } = await answer(await handler(new Request("http://localhost/healthz")));
    strictEqual(status, 200);
    strictEqual(body.status, "ok");
    strictEqual(body.model, "tiny-clip");
    strictEqual(body.dtype, "f32");
    deepStrictEqual(body.adapters, []);
    const head = await handler(new Request("http://localhost/healthz", { method: "HEAD" }));
    strictEqual(head.status, 200);
    strictEqual(await head.text(), "");
  },
);

Deno.test(
  {
    name: "server: request.signal is read only with checkAbandoned (Deno warns otherwise)",
    ignore,
  },
  async () => {
    const clip = await goldenClip();
    const slow = slowClip(clip, 30); // concurrent requests wait for their turn
    let reads = 0;
    class Watched extends Request {
      override get signal(): AbortSignal {
        reads++;
        return super.signal;
      }
    }
    const send = (h: (r: Request) => Promise<Response>) =>
      Promise.all(Array.from({ length: 4 }, async (_, i) => {
        const p = post("/v1/embeddings", { input: `text ${i}` });
        const res = await h(
          new Watched(p.url, { method: p.method, headers: p.headers, body: await p.text() }),
        );
        strictEqual(res.status, 200);
        await res.body?.cancel();
      }));
    await send(createHandler(slow));
    strictEqual(reads, 0);
    await send(createHandler(slow, { checkAbandoned: true }));
    ok(reads >= 3, `${reads} reads`); // each request that waited checks its client
  },
);

Deno.test(
  { name: "server: a large text batch (run 16 at a time) equals embedText", ignore },
  async () => {
    const clip = await goldenClip();
    const handler = createHandler(clip);
    const input = Array.from({ length: 40 }, (_, i) => `caption ${i}: ${"word ".repeat(i)}`);
    const { status, body } = await answer(await handler(post("/v1/embeddings", { input })));
    strictEqual(status, 200);
    const direct = await clip.embedText(input);
    deepStrictEqual(
      body.data.map((d: { embedding: number[] }) => d.embedding),
      direct.map((e) => Array.from(e)),
    );
  },
);
