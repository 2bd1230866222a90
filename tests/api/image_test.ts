// embedImage / preprocess / classify through the public API, on golden images and the tiny model.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError, loadClip } from "../../mod.ts";
import { assertClose } from "../_util/assert_close.ts";
import { goldenPath } from "../_util/golden.ts";
import { readJson } from "../_util/files.ts";
import { listCases } from "../golden/clip_cases.ts";

const base = listCases().cases.find((c) => c.json.adapters.length === 0);
const imagesDir = goldenPath("images");
const ignore = !base || !imagesDir;
const PNG = "rgb_480x640_noise.png";

function expected(id: string): Float32Array {
  const b = Deno.readFileSync(`${imagesDir}/${id}.openai.f32`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

Deno.test({
  name: "preprocess: encoded bytes, paths, URLs and Blobs give the golden pixel_values",
  ignore,
}, async () => {
  const clip = await loadClip(base!.modelDir);
  const path = `${imagesDir}/${PNG}`;
  const bytes = Deno.readFileSync(path);
  const want = expected(PNG.replace(".png", ""));
  for (const input of [bytes, path, new URL(`file://${path}`), new Blob([bytes]), bytes.buffer]) {
    const t = await clip.preprocess(input);
    deepStrictEqual(t.shape, [1, 3, 224, 224]);
    assertClose(t.data, want, 1e-5);
  }
  const two = await clip.preprocess([bytes, bytes]);
  deepStrictEqual(two.shape, [2, 3, 224, 224]);
  clip.dispose();
});

Deno.test({
  name: "embedImage equals forward on preprocess() pixel_values; raw pixels work",
  ignore,
}, async () => {
  const clip = await loadClip(base!.modelDir);
  const index = readJson<{ images: { id: string; file: string; format: string }[] }>(
    `${imagesDir}/index.json`,
  );
  const files = index.images.filter((e) => e.format === "PNG").slice(0, 3).map((e) =>
    Deno.readFileSync(`${imagesDir}/${e.file}`)
  );
  const px = await clip.preprocess(files);
  const fwd = await clip.forward({ pixelValues: px });
  const emb = await clip.embedImage(files);
  const P = clip.config.projectionDim;
  emb.forEach((e, i) => assertClose(e, fwd.imageEmbeds!.data.subarray(i * P, (i + 1) * P), 1e-6));
  // raw RGB pixels of a 2×2 image and the same image as RGBA
  const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
  const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255]);
  const [a] = await clip.embedImage({ data: rgb, width: 2, height: 2 });
  const [b] = await clip.embedImage({ data: rgba, width: 2, height: 2 });
  assertClose(a, b, 0);
  strictEqual(a.length, P);
  clip.dispose();
});

Deno.test(
  { name: "classify: softmax over labels, sorted, templates ensembled, topK", ignore },
  async () => {
    const clip = await loadClip(base!.modelDir);
    const img = Deno.readFileSync(`${imagesDir}/${PNG}`);
    const labels = ["cat", "dog", "car"];
    const r = await clip.classify(img, labels);
    strictEqual(r.length, 3);
    assertClose([r.reduce((s, x) => s + x.score, 0)], [1], 1e-9);
    ok(r[0].score >= r[1].score && r[1].score >= r[2].score);
    // the same by hand: exp(logit_scale)·cos, softmax
    const [ie] = await clip.embedImage(img);
    const te = await clip.embedText(labels.map((l) => `a photo of a ${l}.`));
    const scale = Math.exp(2.6592);
    const logits = te.map((t) => t.reduce((s, v, i) => s + v * ie[i], 0) * scale);
    const z = logits.map((l) => Math.exp(l - Math.max(...logits)));
    const want = Object.fromEntries(labels.map((l, i) => [l, z[i] / z.reduce((a, b) => a + b)]));
    for (const x of r) assertClose([x.score], [want[x.label]], 1e-5);
    // two templates: label embedding is the renormalised mean
    const two = await clip.classify(img, labels, {
      template: ["a photo of a {}.", "a {}"],
      topK: 2,
    });
    strictEqual(two.length, 2);
    const cached = await clip.classify(img, labels, {
      template: ["a photo of a {}.", "a {}"],
      topK: 2,
    });
    deepStrictEqual(cached, two);
    for (const bad of [[], "cat", [1]]) {
      await rejects(
        clip.classify(img, bad as unknown as string[]),
        (e) => e instanceof EdgeClipError && e.code === "invalid_input",
      );
    }
    await rejects(
      clip.classify(img, labels, { template: "no slot" }),
      (e) => e instanceof EdgeClipError,
    );
    await rejects(clip.classify(img, labels, { topK: 0 }), (e) => e instanceof EdgeClipError);
    clip.dispose();
  },
);

Deno.test(
  { name: "image inputs: bad bytes, limits and types are EdgeClipErrors", ignore },
  async () => {
    const clip = await loadClip(base!.modelDir);
    const bytes = Deno.readFileSync(`${imagesDir}/${PNG}`);
    const code = (c: string) => (e: unknown) => e instanceof EdgeClipError && e.code === c;
    await rejects(clip.embedImage(new Uint8Array([1, 2, 3, 4])), code("image_decode"));
    await rejects(clip.embedImage(bytes.subarray(0, 100)), code("image_decode"));
    await rejects(clip.embedImage(bytes, { maxPixels: 1000 }), code("input_too_large"));
    await rejects(clip.embedImage(bytes, { maxBytes: 1000 }), code("input_too_large"));
    await rejects(clip.embedImage("/no/such/image.png"), code("source_unavailable"));
    // deno-lint-ignore no-explicit-any
    await rejects(clip.embedImage(42 as any), code("invalid_input"));
    await rejects(
      clip.embedImage({ data: new Uint8Array(5), width: 2, height: 2 }),
      code("invalid_input"),
    );
    // still serving after errors
    strictEqual((await clip.embedImage(bytes)).length, 1);
    clip.dispose();
  },
);
