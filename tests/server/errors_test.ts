// Every way a request can be wrong, with its status and code; and the handler still answers
// correctly afterwards.

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { createHandler } from "../../server.ts";
import { answer, dataUrl, goldenClip, goldenPngs, MODEL_DIR, post } from "./_helpers.ts";

const ignore = !MODEL_DIR || goldenPngs().length === 0;

async function expectError(
  res: Response | Promise<Response>,
  status: number,
  code: string,
  messagePart?: RegExp,
): Promise<string> {
  const { status: s, body } = await answer(await res);
  strictEqual(s, status, JSON.stringify(body));
  deepStrictEqual(Object.keys(body), ["error"]);
  deepStrictEqual(Object.keys(body.error).sort(), ["code", "message"]);
  strictEqual(body.error.code, code, body.error.message);
  ok(typeof body.error.message === "string" && body.error.message.length > 0);
  ok(!/\bat (file|ext):|\.ts:\d+/.test(body.error.message), `stack leaked: ${body.error.message}`);
  if (messagePart) ok(messagePart.test(body.error.message), body.error.message);
  return body.error.message;
}

Deno.test({ name: "server errors: routing and methods", ignore }, async () => {
  const handler = createHandler(await goldenClip());
  await expectError(handler(new Request("http://localhost/nope")), 404, "not_found");
  await expectError(handler(new Request("http://localhost/v1/embeddings/")), 404, "not_found");
  await expectError(handler(new Request("http://localhost/__proto__")), 404, "not_found");
  const get = await handler(new Request("http://localhost/v1/embeddings"));
  strictEqual(get.headers.get("allow"), "POST");
  await expectError(get, 405, "method_not_allowed");
  const del = await handler(new Request("http://localhost/healthz", { method: "DELETE" }));
  strictEqual(del.headers.get("allow"), "GET, HEAD");
  await expectError(del, 405, "method_not_allowed");
});

Deno.test({ name: "server errors: routes under a basePath", ignore }, async () => {
  const clip = await goldenClip();
  for (const basePath of ["/edgeclip", "/edgeclip/", "/fn/edgeclip"]) {
    const handler = createHandler(clip, { basePath });
    const at = basePath.replace(/\/$/, "");
    strictEqual((await handler(new Request(`http://localhost${at}/healthz`))).status, 200);
    await expectError(handler(new Request("http://localhost/healthz")), 404, "not_found");
    await expectError(handler(new Request(`http://localhost${at}`)), 404, "not_found");
    await expectError(
      handler(new Request(`http://localhost${at}x/healthz`)),
      404,
      "not_found",
      new RegExp(`see ${at}/v1/embeddings`),
    );
  }
  throws(() => createHandler(clip, { basePath: "edgeclip" }), RangeError);
});

Deno.test({ name: "server errors: content type, malformed JSON, bad UTF-8", ignore }, async () => {
  const handler = createHandler(await goldenClip());
  await expectError(
    handler(post("/v1/embeddings", { input: "x" }, { "content-type": "text/plain" })),
    415,
    "unsupported_media_type",
  );
  const noType = new Request("http://localhost/v1/classify", { method: "POST", body: "{}" });
  noType.headers.delete("content-type");
  await expectError(handler(noType), 415, "unsupported_media_type");
  for (const bad of ["{", "", "nul", '{"input": "x"} trailing', "{'input': 'x'}"]) {
    await expectError(handler(post("/v1/embeddings", bad)), 400, "invalid_input", /JSON/);
  }
  const latin1 = new Uint8Array([0x7b, 0x22, 0x69, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
  const req = new Request("http://localhost/v1/embeddings", {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: latin1,
  });
  await expectError(handler(req), 400, "invalid_input", /UTF-8/);
  // application/<x>+json is JSON too
  const vendor = await handler(
    post("/v1/embeddings", { input: "x" }, { "content-type": "application/vnd.api+json" }),
  );
  strictEqual(vendor.status, 200);
});

Deno.test({ name: "server errors: embeddings schema", ignore }, async () => {
  const handler = createHandler(await goldenClip(), { modelName: "tiny" });
  const cases: [unknown, RegExp][] = [
    [[], /JSON object/],
    [null, /JSON object/],
    [JSON.stringify("x"), /JSON object/],
    [{}, /"input"/],
    [{ input: [] }, /empty/],
    [{ input: 42 }, /token-id/],
    [{ input: [1, 2, 3] }, /token-id/],
    [{ input: [[1, 2]] }, /token-id/],
    [{ input: [null] }, /input\[0\]/],
    [{ input: ["ok", { type: "video", url: "x" }] }, /input\[1\]/],
    [{ input: [{ type: "image_url", image_url: "data:," }] }, /input\[0\]\.image_url/],
    [{ input: [{ type: "image_url", image_url: { url: 5 } }] }, /url must be a string/],
    [{ input: [{ type: "image_url", image_url: { url: "x", detail: "low" } }] }, /detail/],
    [{ input: [{ type: "text", text: ["a"] }] }, /input\[0\]\.text/],
    [{ input: "x", inputs: "y" }, /unknown field "inputs"/],
    [{ input: "x", encoding_format: "int8" }, /encoding_format/],
    [{ input: "x", dimensions: 0 }, /dimensions/],
    [{ input: "x", dimensions: 7 }, /dimensions/],
    [{ input: "x", model: 3 }, /model must be a string/],
    [{ input: "x", truncate: "no" }, /truncate/],
    [{ input: "x", adapters: 5 }, /adapters/],
    [{ input: "x", adapters: "" }, /adapters/],
  ];
  for (const [body, msg] of cases) {
    await expectError(handler(post("/v1/embeddings", body)), 400, "invalid_input", msg);
  }
  await expectError(
    handler(post("/v1/embeddings", { input: "x", model: "text-embedding-3-small" })),
    404,
    "model_not_found",
    /tiny/,
  );
});

Deno.test({ name: "server errors: classify schema", ignore }, async () => {
  const handler = createHandler(await goldenClip());
  const image = dataUrl(goldenPngs()[0]);
  const cases: [unknown, RegExp][] = [
    [{ labels: ["a"] }, /"image"/],
    [{ image: 5, labels: ["a"] }, /image must be a string/],
    [{ image }, /labels/],
    [{ image, labels: "cat,dog" }, /labels/],
    [{ image, labels: [] }, /labels must not be empty/],
    [{ image, labels: ["a", 3] }, /labels\[1\]/],
    [{ image, labels: ["a"], template: "no placeholder" }, /\{\}/],
    [{ image, labels: ["a"], template: [] }, /template/],
    [{ image, labels: ["a"], template: 7 }, /template/],
    [{ image, labels: ["a"], topK: 0 }, /topK/],
    [{ image, labels: ["a"], topK: 1.5 }, /topK/],
    [{ image, labels: ["a"], top_k: 1 }, /unknown field "top_k"/],
    [{ image: "", labels: ["a"] }, /empty/],
    [{ image: "not base64!", labels: ["a"] }, /base64/],
    [{ image: "data:image/png,rawbytes", labels: ["a"] }, /base64 data: URL/],
    [{ image: "data:image/png;base64", labels: ["a"] }, /comma/],
    [{ image: "file:///etc/passwd", labels: ["a"] }, /file: URLs are not accepted/],
    [{ image: "https://example.com/cat.png", labels: ["a"] }, /remote image URLs/],
  ];
  for (const [body, msg] of cases) {
    await expectError(handler(post("/v1/classify", body)), 400, "invalid_input", msg);
  }
  // a path is never read: "/etc/passwd" is valid base64, and its bytes are no image
  await expectError(
    handler(post("/v1/classify", { image: "/etc/passwd", labels: ["a"] })),
    422,
    "image_decode",
  );
});

Deno.test({ name: "server errors: size limits answer 413", ignore }, async () => {
  const clip = await goldenClip();
  const handler = createHandler(clip, {
    maxBodyBytes: 4096,
    maxBatch: 3,
    maxLabels: 4,
    maxPrompts: 6,
  });
  await expectError(
    handler(post("/v1/embeddings", { input: "x".repeat(5000) })),
    413,
    "input_too_large",
    /4096/,
  );
  await expectError(
    handler(post("/v1/embeddings", { input: ["a", "b", "c", "d"] })),
    413,
    "input_too_large",
    /maxBatch/,
  );
  const png = Deno.readFileSync(goldenPngs()[0]);
  const small = createHandler(clip, { maxImageBytes: png.length - 1 });
  await expectError(
    small(post("/v1/classify", { image: dataUrl(goldenPngs()[0]), labels: ["a"] })),
    413,
    "input_too_large",
    /image/,
  );
  const image = "AAAA";
  await expectError(
    handler(post("/v1/classify", { image, labels: ["a", "b", "c", "d", "e"] })),
    413,
    "input_too_large",
    /maxLabels/,
  );
  await expectError(
    handler(post("/v1/classify", { image, labels: ["a", "b", "c", "d"], template: ["{}", "{}!"] })),
    413,
    "input_too_large",
    /maxPrompts/,
  );
  // pixel limit: the golden PNGs are all over 100 pixels
  const tiny = createHandler(clip, { maxPixels: 100 });
  await expectError(
    tiny(post("/v1/classify", { image: dataUrl(goldenPngs()[0]), labels: ["a"] })),
    413,
    "input_too_large",
  );
  // text length: texts, labels and templates
  const short = createHandler(clip, { maxTextChars: 10 });
  const long = "x".repeat(11);
  for (
    const [path, body] of [
      ["/v1/embeddings", { input: long }],
      ["/v1/embeddings", { input: ["ok", { type: "text", text: long }] }],
      ["/v1/classify", { image, labels: ["a", long] }],
      ["/v1/classify", { image, labels: ["a"], template: `{} ${long}` }],
      ["/v1/classify", { image, labels: ["a"], template: ["{}", `{} ${long}`] }],
    ] as const
  ) {
    await expectError(short(post(path, body)), 413, "input_too_large", /maxTextChars/);
  }
  const fits = await short(post("/v1/embeddings", { input: "x".repeat(10) }));
  strictEqual(fits.status, 200);
  await fits.body?.cancel();
  // the default keeps 64 texts of the longest kind within the request memory budget
  await expectError(
    createHandler(clip)(post("/v1/embeddings", { input: "a".repeat(4097) })),
    413,
    "input_too_large",
    /4096/,
  );
});

Deno.test(
  { name: "server errors: undecodable images and over-long texts answer 422", ignore },
  async () => {
    const handler = createHandler(await goldenClip());
    const png = Deno.readFileSync(goldenPngs()[0]);
    const truncated = png.subarray(0, Math.floor(png.length / 2)).toBase64();
    const garbage = new TextEncoder().encode("this is not an image at all").toBase64();
    for (const url of [`data:image/png;base64,${truncated}`, garbage]) {
      await expectError(
        handler(post("/v1/embeddings", { input: [{ type: "image_url", image_url: { url } }] })),
        422,
        "image_decode",
      );
      await expectError(
        handler(post("/v1/classify", { image: url, labels: ["a"] })),
        422,
        "image_decode",
      );
    }
    await expectError(
      handler(post("/v1/embeddings", { input: "word ".repeat(100), truncate: false })),
      422,
      "input_too_long",
    );
  },
);

Deno.test({ name: "server errors: unknown adapters; dict setups", ignore }, async () => {
  const handler = createHandler(await goldenClip());
  await expectError(
    handler(post("/v1/embeddings", { input: "x", adapters: "nope" })),
    400,
    "adapter_setup",
    /nope/,
  );
  const image = dataUrl(goldenPngs()[0]);
  await expectError(
    handler(post("/v1/classify", { image, labels: ["a"], adapters: "nope" })),
    400,
    "adapter_setup",
  );
  await expectError(
    handler(post("/v1/embeddings", {
      input: "x",
      adapters: { type: "Stack", children: ["a", "b"] },
    })),
    400,
    "adapter_unsupported",
  );
  // null means "no adapters" and is fine
  strictEqual((await handler(post("/v1/embeddings", { input: "x", adapters: null }))).status, 200);
});

Deno.test({ name: "server errors: unexpected failures are a generic 500", ignore }, async () => {
  const clip = await goldenClip();
  const logged: unknown[] = [];
  const broken = {
    config: clip.config,
    tokenize: clip.tokenize.bind(clip),
    embedText: () => Promise.reject(new TypeError("secret detail at /srv/model.ts:12")),
    embedImage: clip.embedImage.bind(clip),
    classify: clip.classify.bind(clip),
  };
  const handler = createHandler(broken, { onError: (e) => logged.push(e) });
  const msg = await expectError(
    handler(post("/v1/embeddings", { input: "x" })),
    500,
    "internal_error",
  );
  ok(!msg.includes("secret"));
  strictEqual(logged.length, 1);
  ok(logged[0] instanceof TypeError);
  strictEqual((await handler(new Request("http://localhost/healthz"))).status, 200);
});

Deno.test(
  { name: "server errors: the handler keeps answering after every error", ignore },
  async () => {
    const clip = await goldenClip();
    const handler = createHandler(clip);
    const bad = [
      post("/v1/embeddings", "{"),
      post("/v1/embeddings", { input: [{ type: "image_url", image_url: { url: "AAAA" } }] }),
      post("/v1/classify", { image: dataUrl(goldenPngs()[0]), labels: ["a"], adapters: "nope" }),
      post("/v1/embeddings", { input: "word ".repeat(100), truncate: false }),
      post("/v1/embeddings", { input: "x".repeat(5000) }, { "content-type": "text/html" }),
    ];
    for (const req of bad) ok((await handler(req)).status >= 400);
    const { status, body } = await answer(await handler(post("/v1/embeddings", { input: "cat" })));
    strictEqual(status, 200);
    deepStrictEqual(body.data[0].embedding, Array.from((await clip.embedText("cat"))[0]));
  },
);
