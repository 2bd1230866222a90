// What every host test checks: the golden model's embeddings of a few texts, two encoded golden
// images (JPEG, PNG) and one image as raw RGBA pixels, computed by the host under test and here
// by Deno; they must agree within 1e-6 (hosts without relaxed SIMD run the SIMD128 kernels).

import { ok } from "node:assert/strict";
import { loadClip, type LoadClipOptions } from "../../mod.ts";
import { createHandler } from "../../server.ts";
import { gunzipFile } from "../_util/files.ts";
import { fileResponse } from "../_util/mock_hub.ts";
import { goldenPath } from "../_util/golden.ts";

/** Largest difference allowed between a host's embeddings and Deno's. */
export const HOST_TOLERANCE = 1e-6;

/** The golden model folder, or null without the fixtures. */
export const MODEL_DIR = goldenPath("clip", "model");

export const TEXTS = ["a photo of a cat", "A DOG — on the grass!", "日本語のテキスト", "x"];
const IMAGES = ["sub420_225x223_q75.jpg", "rgb_227x224_rings.png"];
const PIXELS = { name: "rgb_225x223_rings", width: 225, height: 223 };

/** What a host reports. */
export interface ProbeResult {
  firstMs: number;
  text: number[][];
  images: number[][];
  pixels: number[];
}

/** The probe's inputs as files: image paths and the raw RGBA pixels (written to `dir`). */
export async function probeFiles(dir: string) {
  const images = IMAGES.map((f) => `${goldenPath("images")}/${f}`);
  const rgb = await gunzipFile(`${goldenPath("images")}/${PIXELS.name}.decoded.rgb.gz`);
  const n = PIXELS.width * PIXELS.height;
  ok(rgb.length === n * 3, `${PIXELS.name}: ${rgb.length} bytes`);
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  const file = `${dir}/pixels.rgba`;
  await Deno.writeFile(file, rgba);
  return { images, pixels: { file, width: PIXELS.width, height: PIXELS.height }, rgba };
}

/** Deno's answer to the probe, on the golden model. */
export async function denoProbe(dir: string): Promise<ProbeResult> {
  const f = await probeFiles(dir);
  const t0 = performance.now();
  const clip = await loadClip(MODEL_DIR!);
  const text = await clip.embedText(TEXTS);
  const firstMs = performance.now() - t0;
  const images = await clip.embedImage(await Promise.all(f.images.map((p) => Deno.readFile(p))));
  const { width, height } = f.pixels;
  const [pixels] = await clip.embedImage({ data: f.rgba, width, height });
  clip.dispose();
  return {
    firstMs,
    text: text.map((v) => Array.from(v)),
    images: images.map((v) => Array.from(v)),
    pixels: Array.from(pixels),
  };
}

/** Largest absolute difference between two lists of vectors (throws on a shape mismatch). */
export function maxDiff(a: number[][], b: number[][]): number {
  ok(a.length === b.length, `${a.length} vectors vs ${b.length}`);
  let m = 0;
  a.forEach((v, i) => {
    ok(v.length === b[i].length && v.length > 0, `vector ${i}: ${v.length} vs ${b[i].length}`);
    v.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j]))));
  });
  return m;
}

/** Throws unless every embedding of `got` is within HOST_TOLERANCE of `want`'s. */
export function assertSameEmbeddings(host: string, got: ProbeResult, want: ProbeResult): void {
  for (const part of ["text", "images", "pixels"] as const) {
    const g = part === "pixels" ? [got.pixels] : got[part];
    const w = part === "pixels" ? [want.pixels] : want[part];
    const d = maxDiff(g, w);
    ok(d <= HOST_TOLERANCE, `${host} ${part} embeddings differ from Deno's by ${d}`);
  }
}

/** The /v1/embeddings request the HTTP hosts answer: the texts and both images as data URLs. */
export async function embeddingsRequest(dir: string): Promise<unknown> {
  const f = await probeFiles(dir);
  const urls = await Promise.all(f.images.map(async (p) => {
    const type = p.endsWith(".png") ? "image/png" : "image/jpeg";
    return `data:${type};base64,${(await Deno.readFile(p)).toBase64()}`;
  }));
  return {
    input: [...TEXTS, ...urls.map((url) => ({ type: "image_url", image_url: { url } }))],
  };
}

/** Deno's handler's answer to a request body (in process), the model loaded with `options`. */
export async function denoAnswer(
  body: unknown,
  options: LoadClipOptions = {},
): Promise<{ data: { embedding: number[] }[] }> {
  const handler = createHandler(await loadClip(MODEL_DIR!, options));
  const res = await handler(
    new Request("http://localhost/v1/embeddings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  ok(res.status === 200, await res.clone().text());
  return await res.json();
}

/** Throws unless two /v1/embeddings answers agree within HOST_TOLERANCE. */
export function assertSameAnswer(
  host: string,
  got: { data: { embedding: number[] }[] },
  want: { data: { embedding: number[] }[] },
): void {
  const d = maxDiff(got.data.map((x) => x.embedding), want.data.map((x) => x.embedding));
  ok(d <= HOST_TOLERANCE, `${host}: /v1/embeddings differs from Deno's by ${d}`);
}

/**
 * Serves a folder (the golden model's) on 127.0.0.1 (a model by URL), answering Range requests as
 * web servers do, so weight files are read by range; shut it down when done.
 */
export function serveModel(dir = MODEL_DIR!): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = `${dir}${decodeURIComponent(new URL(req.url).pathname)}`;
    try {
      return await fileResponse(req, path, {}, true);
    } catch {
      return new Response("no such file", { status: 404 });
    }
  });
}
