// int4 (4-bit image tower weights, q8_policy.ts DEFAULT_Q4_RULE) vs int8 on the anchor ViT-B/32:
// min cosine of image embeddings to torch's reference (2 images) and to our f32 path (the 2
// references + 6 noise images), per kernel build, and from an int8 package re-quantized; which
// linears the rule made 4-bit and each one's relative 4-bit error (the rule's measure); and the
// text tower with every linear 4-bit (what the rule leaves int8), against torch's 4 prompts.
//   deno run -A bench/anchor/int4_accuracy.ts --ref-dir <anchors>/models

import { openModel } from "../../src/checkpoint/open.ts";
import { DEFAULT_Q4_RULE } from "../../src/model/q8_policy.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import type { Linear } from "../../src/model/linear.ts";
import { cosine, imageBatch, readRefs, textBatch } from "./inputs.ts";

const i = Deno.args.indexOf("--ref-dir");
const refDir = i >= 0 ? Deno.args[i + 1] : "../anchors-run/models";
const hf = `${refDir}/hf/clip-vitb32-random`;
const img = readRefs(refDir, "image");

const EXTRA = 6;
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
const N = img.count + EXTRA, item = 3 * 224 * 224;
const pixels = new Float32Array(N * item);
pixels.set(imageBatch(img, img.count));
for (let j = img.count * item; j < pixels.length; j++) {
  pixels[j] = 2 * (rnd() + rnd()) + Math.sin(j / 5000);
}

async function run(
  dtype: "f32" | "int8" | "int4",
  variant?: "relaxed" | "simd128",
  source: string | Record<string, Uint8Array> = hf,
) {
  const made = new Map<string, Linear>();
  const m = await openModel(source, {
    dtype: typeof source === "string" ? dtype : undefined,
    towers: "vision",
    variant,
    observer: { made: (p, l) => "readWeight" in l && made.set(p, l) },
  });
  return { e: m.model.encodeImage(pixels, N, NO_HOOKS).embeds!, made };
}

const row = (a: Float32Array, b: number) => a.subarray(b * 512, (b + 1) * 512);
const f32Run = await run("f32"), f32 = f32Run.e;
const minCos = (e: Float32Array, ref: Float32Array, n: number) =>
  Math.min(...Array.from({ length: n }, (_, b) => cosine(row(e, b), row(ref, b))));
console.log("| dtype | build | min image cos vs torch (2) | min cos vs our f32 (8) |");
console.log("|---|---|---|---|");
let last: Map<string, Linear> | undefined;
for (const variant of ["relaxed", "simd128"] as const) {
  for (const dtype of ["int8", "int4"] as const) {
    const { e, made } = await run(dtype, variant);
    if (dtype === "int4") last = made;
    console.log(
      `| ${dtype} | ${variant} | ${minCos(e, img.embeds, img.count).toFixed(6)} | ${
        minCos(e, f32, N).toFixed(6)
      } |`,
    );
  }
}
// the int8 package re-quantized to int4 (convert --from package --dtype int4)
const int8Pkg = (await convertClipToBytes(hf, { towers: "vision" })).bytes;
const requant = await convertClipToBytes({ "m.safetensors": int8Pkg }, { dtype: "int4" });
const { e } = await run("int4", undefined, { "m.safetensors": requant.bytes });
console.log(
  `| int4 from the int8 package | default | ${minCos(e, img.embeds, img.count).toFixed(6)} | ${
    minCos(e, f32, N).toFixed(6)
  } |`,
);
const by = new Map<string, number>();
for (const l of last!.values()) by.set(l.dtype, (by.get(l.dtype) ?? 0) + 1);
console.log(`\nint4 model, vision linears by format: ${JSON.stringify(Object.fromEntries(by))}`);

// the rule's measure on each vision linear (from the f32 weights)
const k = Kernels.create();
const errs: number[] = [];
for (const l of f32Run.made.values()) {
  if (l.dtype !== "f32" || l.outFeatures === 512) continue; // the projection stays f32
  errs.push(k.scratch(() => {
    const w = k.matFrom(l.readWeight(), l.outFeatures, l.inFeatures);
    return k.q8.quantizePackQ4(w, k.packedQ4(l.outFeatures, l.inFeatures));
  }));
}
errs.sort((a, b) => a - b);
console.log(
  `relative 4-bit error of the ${errs.length} vision linears: min ${errs[0].toFixed(4)}, ` +
    `median ${errs[errs.length >> 1].toFixed(4)}, max ${errs[errs.length - 1].toFixed(4)} ` +
    `(rule bound ${DEFAULT_Q4_RULE.maxError})`,
);

// text: int8 vs every text linear 4-bit
const txt = readRefs(refDir, "text");
for (const allText of [false, true]) {
  const m = await openModel(hf, {
    dtype: allText ? "int4" : "int8",
    towers: "text",
    q4Rule: { ...DEFAULT_Q4_RULE, candidate: (p) => p.linear !== "projection" },
  });
  const ids = textBatch(txt, txt.count, (x) => m.model.text!.poolIndex(x));
  const e = m.model.encodeText(ids.map((x) => ({ ids: x })), NO_HOOKS).embeds!;
  console.log(
    `text ${allText ? "every linear 4-bit" : "int8"}: min cos vs torch (4 prompts) ${
      minCos(e, txt.embeds, txt.count).toFixed(6)
    }`,
  );
}
