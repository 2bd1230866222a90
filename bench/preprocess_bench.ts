// Image preprocessing cost next to the vision tower it feeds.
//   deno task bench bench/preprocess_bench.ts
// Inputs are made here (see _encoders.ts): a 640×480 and a 4000×3000 JPEG (q90, 4:2:0) and a
// 1000×300 PNG of a synthetic photo-like image. Measured:
// - decode + preprocess (OpenAI pipeline, 224²) per file, through src/image/decode.ts;
// - preprocess alone from the decoded RGB pixels;
// - the vision tower of a random-weight ViT-B/32 (f32, and int8 when the runtime offers it) on one
//   preprocessed image, which is what preprocessing must stay small next to.

import { encodeJpeg, encodePng, syntheticRgb } from "./_encoders.ts";
import { Kernels } from "../src/wasm/kernels.ts";
import { DEFAULT_PREPROCESS_CONFIG } from "../src/image/preprocess_config.ts";
import { preprocessImage } from "../src/image/preprocess.ts";
import { decodeImage } from "../src/image/decode.ts";
import type { DecodedImage } from "../src/image/types.ts";
import { loadClip } from "../mod.ts";
import { buildSafetensors, f32Tensor, type TestTensor } from "../tests/_util/safetensors_build.ts";

const kernels = Kernels.create();
const cfg = DEFAULT_PREPROCESS_CONFIG;

interface Input {
  name: string;
  w: number;
  h: number;
  kind: "jpeg" | "png";
  /** Deno.bench iterations: fewer for the 12-megapixel file. */
  n: number;
}
const INPUTS: Input[] = [
  { name: "640x480 JPEG", w: 640, h: 480, kind: "jpeg", n: 30 },
  { name: "4000x3000 JPEG", w: 4000, h: 3000, kind: "jpeg", n: 5 },
  { name: "1000x300 PNG", w: 1000, h: 300, kind: "png", n: 30 },
];

for (const input of INPUTS) {
  const rgb = syntheticRgb(input.w, input.h);
  const file = input.kind === "jpeg"
    ? encodeJpeg(rgb, input.w, input.h, 90)
    : await encodePng(rgb, input.w, input.h);
  const raw: DecodedImage = {
    width: input.w,
    height: input.h,
    mode: "RGB",
    data: rgb,
    format: "RAW",
  };
  const group = `${input.name} (${(file.length / 1024).toFixed(0)} KiB)`;
  Deno.bench({
    name: `${input.name}: decode + preprocess`,
    group,
    baseline: true,
    n: input.n,
    warmup: 1,
    async fn() {
      const img = await decodeImage(file, { kernels });
      preprocessImage(img, cfg, kernels);
    },
  });
  Deno.bench({
    name: `${input.name}: decode only`,
    group,
    n: input.n,
    warmup: 1,
    async fn() {
      await decodeImage(file, { kernels });
    },
  });
  Deno.bench({
    name: `${input.name}: preprocess only (RGB pixels → 3×224×224)`,
    group,
    n: input.n,
    warmup: 1,
    fn() {
      preprocessImage(raw, cfg, kernels);
    },
  });
}

// ---- vision tower: random ViT-B/32 (HF CLIPVisionModelWithProjection layout) ----------------------

function randomVitB32(): Record<string, Uint8Array | string> {
  const d = 768, ff = 3072, layers = 12, proj = 512, patches = 49;
  let s = 12345;
  const rnd = (n: number, scale = 0.035) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = (s / 4294967296 - 0.5) * 2 * scale; // std ≈ 0.02, as HF initialises
    }
    return a;
  };
  const t: Record<string, TestTensor> = {};
  const put = (
    name: string,
    shape: number[],
    values: Float32Array,
  ) => (t[name] = f32Tensor(shape, values));
  const v = "vision_model.";
  put(`${v}embeddings.class_embedding`, [d], rnd(d));
  put(`${v}embeddings.patch_embedding.weight`, [d, 3, 32, 32], rnd(d * 3 * 32 * 32));
  put(`${v}embeddings.position_embedding.weight`, [patches + 1, d], rnd((patches + 1) * d));
  const norm = (name: string) => {
    put(`${name}.weight`, [d], new Float32Array(d).fill(1));
    put(`${name}.bias`, [d], new Float32Array(d));
  };
  norm(`${v}pre_layrnorm`);
  for (let i = 0; i < layers; i++) {
    const l = `${v}encoder.layers.${i}.`;
    for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
      put(`${l}self_attn.${p}.weight`, [d, d], rnd(d * d));
      put(`${l}self_attn.${p}.bias`, [d], rnd(d));
    }
    norm(`${l}layer_norm1`);
    norm(`${l}layer_norm2`);
    put(`${l}mlp.fc1.weight`, [ff, d], rnd(ff * d));
    put(`${l}mlp.fc1.bias`, [ff], rnd(ff));
    put(`${l}mlp.fc2.weight`, [d, ff], rnd(d * ff));
    put(`${l}mlp.fc2.bias`, [d], rnd(d));
  }
  norm(`${v}post_layernorm`);
  put("visual_projection.weight", [proj, d], rnd(proj * d));
  const config = {
    architectures: ["CLIPVisionModelWithProjection"],
    model_type: "clip_vision_model",
    hidden_size: d,
    intermediate_size: ff,
    num_hidden_layers: layers,
    num_attention_heads: 12,
    image_size: 224,
    patch_size: 32,
    num_channels: 3,
    hidden_act: "quick_gelu",
    layer_norm_eps: 1e-5,
    projection_dim: proj,
  };
  return { "config.json": JSON.stringify(config), "model.safetensors": buildSafetensors(t) };
}

const files = randomVitB32();
const pixels = {
  data: preprocessImage(
    { width: 640, height: 480, mode: "RGB", data: syntheticRgb(640, 480), format: "RAW" },
    cfg,
    kernels,
  ),
  shape: [1, 3, 224, 224],
};
for (const dtype of ["f32", "int8"] as const) {
  let clip: Awaited<ReturnType<typeof loadClip>> | null = null;
  let why = "";
  try {
    clip = await loadClip(files, { dtype });
  } catch (e) {
    why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.warn(`vision tower ${dtype} NOT RUN: ${why}`);
  }
  const model = clip;
  Deno.bench({
    name: `vision tower ViT-B/32 ${dtype}, 1 image${model ? "" : ` — NOT RUN: ${why}`}`,
    group: "vision tower",
    n: 10,
    warmup: 1,
    ignore: !model,
    async fn() {
      await model!.forward({ pixelValues: pixels });
    },
  });
}
