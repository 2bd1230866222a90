// What the HTTP layer adds on top of the model: the same embeddings and classify calls made
// directly and through createHandler (JSON parse, validation, base64 decode, queue, JSON out).
//   CLIP_GOLDEN_DIR=… deno bench --allow-read --allow-env bench/server_bench.ts
// On the tiny golden model the model time is small, so the handler's share is an upper bound.

import { loadClip } from "../mod.ts";
import { createHandler } from "../server.ts";

const golden = Deno.env.get("CLIP_GOLDEN_DIR") ??
  decodeURIComponent(new URL("../../shared/golden", import.meta.url).pathname);
const clip = await loadClip(`${golden}/clip/model`);
const handler = createHandler(clip);
const png = Deno.readFileSync(`${golden}/images/rgb_480x640_noise.png`);
const dataUrl = `data:image/png;base64,${png.toBase64()}`;
const TEXTS = Array.from({ length: 16 }, (_, i) => `a photo of object number ${i}, on a table`);
const LABELS = ["cat", "dog", "car", "tree", "house", "person", "bird", "boat"];

function post(path: string, body: unknown): Request {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.bench("embed 16 texts: direct", { group: "texts", baseline: true }, async () => {
  await clip.embedText(TEXTS);
});
Deno.bench("embed 16 texts: handler", { group: "texts" }, async () => {
  await (await handler(post("/v1/embeddings", { input: TEXTS }))).json();
});
Deno.bench("embed 16 texts: handler, base64 output", { group: "texts" }, async () => {
  await (await handler(post("/v1/embeddings", { input: TEXTS, encoding_format: "base64" })))
    .json();
});

Deno.bench("embed 480x640 PNG: direct", { group: "image", baseline: true }, async () => {
  await clip.embedImage(png);
});
Deno.bench("embed 480x640 PNG: handler (data URL)", { group: "image" }, async () => {
  const input = [{ type: "image_url", image_url: { url: dataUrl } }];
  await (await handler(post("/v1/embeddings", { input }))).json();
});

Deno.bench("classify 8 labels: direct", { group: "classify", baseline: true }, async () => {
  await clip.classify(png, LABELS);
});
Deno.bench("classify 8 labels: handler", { group: "classify" }, async () => {
  await (await handler(post("/v1/classify", { image: dataUrl, labels: LABELS }))).json();
});
