// int8 vs f32 on the anchor ViT-B/32 (random weights, the ONNX models' exact weights): cosine of
// image and text embeddings against our f32 path and against torch's reference outputs, and the
// zero-shot logits (logit_scale · cos, 2 images × 4 prompts) — max error and whether the ranking of
// each image's row changes. Runs the int8Precision policies and each activation format forced.
//   deno run -A bench/anchor/accuracy.ts --ref-dir <anchors>/models

import { openModel } from "../../src/checkpoint/open.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { DEFAULT_Q8_POLICY, FAST_Q8_POLICY, type Q8Policy } from "../../src/model/q8_policy.ts";
import { cosine, imageBatch, readRefs, textBatch } from "./inputs.ts";

const i = Deno.args.indexOf("--ref-dir");
const refDir = i >= 0 ? Deno.args[i + 1] : "../anchors-run/models";
const hf = `${refDir}/hf/clip-vitb32-random`;
const img = readRefs(refDir, "image"), txt = readRefs(refDir, "text");

async function embeds(opts: Parameters<typeof openModel>[1]) {
  const m = await openModel(hf, opts);
  const e = {
    image: m.model.encodeImage(imageBatch(img, img.count), img.count, NO_HOOKS).embeds!,
    text: m.model.encodeText(
      textBatch(txt, txt.count, (ids) => m.model.text!.poolIndex(ids)).map((ids) => ({ ids })),
      NO_HOOKS,
    ).embeds!,
    scale: Math.exp(m.model.logitScale!),
  };
  return e;
}

const rows = (a: Float32Array, n: number) =>
  Array.from({ length: n }, (_, b) => a.subarray(b * 512, (b + 1) * 512));
const logits = (e: Awaited<ReturnType<typeof embeds>>) =>
  rows(e.image, img.count).map((im) => rows(e.text, txt.count).map((t) => e.scale * cosine(im, t)));
const argmax = (r: number[]) => r.indexOf(Math.max(...r));

const f32 = await embeds({ dtype: "f32" });
const policies: [string, Q8Policy][] = [
  ["default = balanced (vision u7 on relaxed hosts, text u12)", DEFAULT_Q8_POLICY],
  ["fast (+ text u7 on q/k/v/fc1, u12 on out_proj/fc2)", FAST_Q8_POLICY],
  ["u12 everywhere", { ...DEFAULT_Q8_POLICY, actFormat: () => "u12" }],
  ["u8 everywhere (W8A8)", { ...DEFAULT_Q8_POLICY, actFormat: () => "u8" }],
  ["u7 everywhere", { ...DEFAULT_Q8_POLICY, actFormat: () => "u7" }],
];
const fmt = (xs: number[]) => Math.min(...xs).toFixed(6);
console.log(
  "| int8 policy | image cos vs f32 (min) | text cos vs f32 (min) | image cos vs torch | text cos vs torch | max logit err | ranking kept |",
);
console.log("|---|---|---|---|---|---|---|");
const lf = logits(f32);
const tf = [
  fmt(
    rows(f32.image, img.count).map((r, b) =>
      cosine(r, img.embeds.subarray(b * 512, (b + 1) * 512))
    ),
  ),
  fmt(
    rows(f32.text, txt.count).map((r, b) => cosine(r, txt.embeds.subarray(b * 512, (b + 1) * 512))),
  ),
];
console.log(`| f32 path | 1 | 1 | ${tf[0]} | ${tf[1]} | 0 | yes |`);
for (const [name, policy] of policies) {
  const q = await embeds({ dtype: "int8", q8Policy: policy });
  const lq = logits(q);
  const err = Math.max(...lq.flatMap((r, a) => r.map((v, b) => Math.abs(v - lf[a][b]))));
  const kept = lq.every((r, a) => argmax(r) === argmax(lf[a]));
  const cf = (x: Float32Array, y: Float32Array, n: number) =>
    rows(x, n).map((r, b) => cosine(r, y.subarray(b * 512, (b + 1) * 512)));
  console.log(
    `| ${name} | ${fmt(cf(q.image, f32.image, img.count))} | ${
      fmt(cf(q.text, f32.text, txt.count))
    } | ${fmt(cf(q.image, img.embeds, img.count))} | ${fmt(cf(q.text, txt.embeds, txt.count))} | ${
      err.toFixed(4)
    } | ${kept ? "yes" : "NO"} |`,
  );
}
