// Cost of each adapter method relative to the base model: a random-weight ViT-B/32-shaped CLIPModel
// (text 512×12, vision 768×12), image and text forward, f32 (int8 when loadClip offers it), and
// merged vs unmerged LoRA. Adapter folders are made in memory with random weights of the shapes the
// loader asks for, then loaded through the public API like any saved adapter.
//
//   deno bench --allow-read --allow-env bench/adapters_bench.ts

import { type Clip, Fuse, loadClip, Stack } from "../mod.ts";
import { buildAdapter, type ModelShape } from "../src/adapters/adapter.ts";
import { parseAdapterConfig } from "../src/adapters/config.ts";
import type { AdapterTensors } from "../src/adapters/tensors.ts";
import { Kernels } from "../src/wasm/kernels.ts";
import { buildSafetensors, f32Tensor, type TestTensor } from "../tests/_util/safetensors_build.ts";

let seed = 12345;
function rnd(n: number, scale = 0.035): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    a[i] = (seed / 4294967296 - 0.5) * 2 * scale;
  }
  return a;
}

// ---- the model ------------------------------------------------------------------------------------

const TEXT = { d: 512, ff: 2048, heads: 8, layers: 12, vocab: 1000, pos: 77 };
const VIS = { d: 768, ff: 3072, heads: 12, layers: 12 };
const PROJ = 512;

function randomClip(): Record<string, Uint8Array | string> {
  const t: Record<string, TestTensor> = {};
  const put = (name: string, shape: number[], v: Float32Array) => (t[name] = f32Tensor(shape, v));
  const norm = (name: string, d: number) => {
    put(`${name}.weight`, [d], new Float32Array(d).fill(1));
    put(`${name}.bias`, [d], new Float32Array(d));
  };
  const encoder = (p: string, d: number, ff: number, layers: number) => {
    for (let i = 0; i < layers; i++) {
      const l = `${p}encoder.layers.${i}.`;
      for (const q of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
        put(`${l}self_attn.${q}.weight`, [d, d], rnd(d * d));
        put(`${l}self_attn.${q}.bias`, [d], rnd(d));
      }
      norm(`${l}layer_norm1`, d);
      norm(`${l}layer_norm2`, d);
      put(`${l}mlp.fc1.weight`, [ff, d], rnd(ff * d));
      put(`${l}mlp.fc1.bias`, [ff], rnd(ff));
      put(`${l}mlp.fc2.weight`, [d, ff], rnd(d * ff));
      put(`${l}mlp.fc2.bias`, [d], rnd(d));
    }
  };
  put(
    "text_model.embeddings.token_embedding.weight",
    [TEXT.vocab, TEXT.d],
    rnd(TEXT.vocab * TEXT.d),
  );
  put(
    "text_model.embeddings.position_embedding.weight",
    [TEXT.pos, TEXT.d],
    rnd(TEXT.pos * TEXT.d),
  );
  encoder("text_model.", TEXT.d, TEXT.ff, TEXT.layers);
  norm("text_model.final_layer_norm", TEXT.d);
  const v = "vision_model.";
  put(`${v}embeddings.class_embedding`, [VIS.d], rnd(VIS.d));
  put(`${v}embeddings.patch_embedding.weight`, [VIS.d, 3, 32, 32], rnd(VIS.d * 3 * 32 * 32));
  put(`${v}embeddings.position_embedding.weight`, [50, VIS.d], rnd(50 * VIS.d));
  norm(`${v}pre_layrnorm`, VIS.d);
  encoder(v, VIS.d, VIS.ff, VIS.layers);
  norm(`${v}post_layernorm`, VIS.d);
  put("text_projection.weight", [PROJ, TEXT.d], rnd(PROJ * TEXT.d));
  put("visual_projection.weight", [PROJ, VIS.d], rnd(PROJ * VIS.d));
  put("logit_scale", [], Float32Array.of(2.6592));
  const tc = {
    hidden_size: TEXT.d,
    intermediate_size: TEXT.ff,
    num_hidden_layers: TEXT.layers,
    num_attention_heads: TEXT.heads,
    vocab_size: TEXT.vocab,
    max_position_embeddings: TEXT.pos,
    eos_token_id: 999,
    hidden_act: "quick_gelu",
  };
  const vc = {
    hidden_size: VIS.d,
    intermediate_size: VIS.ff,
    num_hidden_layers: VIS.layers,
    num_attention_heads: VIS.heads,
    image_size: 224,
    patch_size: 32,
    hidden_act: "quick_gelu",
  };
  const config = {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: PROJ,
    text_config: tc,
    vision_config: vc,
  };
  return { "config.json": JSON.stringify(config), "model.safetensors": buildSafetensors(t) };
}

// ---- adapter folders with random weights of the shapes the loader asks for ----------------------

const SHAPE: ModelShape = {
  towers: [
    {
      tower: "text",
      hidden: TEXT.d,
      intermediate: TEXT.ff,
      heads: TEXT.heads,
      layers: TEXT.layers,
      firstId: 0,
    },
    {
      tower: "vision",
      hidden: VIS.d,
      intermediate: VIS.ff,
      heads: VIS.heads,
      layers: VIS.layers,
      firstId: TEXT.layers,
    },
  ],
  baseWeight: (_t, _i, s) => rnd(s === "fc1" || s === "fc2" ? TEXT.ff * TEXT.d : TEXT.d * TEXT.d),
};

function randomAdapter(
  name: string,
  config: Record<string, unknown>,
): Record<string, Uint8Array | string> {
  const tensors: Record<string, TestTensor> = {};
  const recorder = {
    file: "random",
    has: () => false,
    keys: () => [],
    take(key: string, shape: readonly number[]) {
      const data = rnd(shape.reduce((a, d) => a * d, 1), 0.05);
      tensors[key] = f32Tensor([...shape], data);
      return data;
    },
    optional: () => undefined,
    finish() {},
  } as unknown as AdapterTensors;
  const k = Kernels.create();
  buildAdapter(k, {
    name,
    saved: name,
    config: parseAdapterConfig(config),
    tensors: recorder,
    model: SHAPE,
  });
  const meta = {
    config,
    name,
    model_class: "CLIPModel",
    model_type: "clip",
    hidden_size: null,
    version: "adapters.1.2.0",
  };
  return {
    "adapter_config.json": JSON.stringify(meta).replace(/("scaling":-?\d+)(?=[,}])/g, "$1.0"),
    "adapter.safetensors": buildSafetensors(tensors),
  };
}

const bn = (o: Record<string, unknown>) => ({
  mh_adapter: false,
  output_adapter: true,
  reduction_factor: 16,
  non_linearity: "relu",
  original_ln_before: true,
  ...o,
});
const METHODS: Record<string, Record<string, unknown>> = {
  seq_bn: bn({}),
  double_seq_bn: bn({ mh_adapter: true, non_linearity: "swish", original_ln_before: false }),
  par_bn: bn({ reduction_factor: 2, is_parallel: true, scaling: 4.0, original_ln_before: false }),
  compacter: bn({
    mh_adapter: true,
    reduction_factor: 32,
    non_linearity: "gelu",
    original_ln_before: false,
    phm_layer: true,
    shared_phm_rule: false,
  }),
  lora: { architecture: "lora", r: 8, alpha: 16 },
  ia3: {
    architecture: "lora",
    r: 1,
    alpha: 1,
    attn_matrices: ["k", "v"],
    intermediate_lora: true,
    composition_mode: "scale",
  },
  prefix_tuning: { architecture: "prefix_tuning", prefix_length: 30, bottleneck_size: 64 },
  loreft: {
    architecture: "reft",
    r: 1,
    orthogonality: true,
    prefix_positions: 3,
    suffix_positions: 0,
  },
  fuse_a: bn({}),
  fuse_b: bn({}),
  fuse_c: bn({}),
};

// ---- benchmarks ---------------------------------------------------------------------------------

const modelFiles = randomClip();
const pixels = { data: rnd(2 * 3 * 224 * 224, 1), shape: [2, 3, 224, 224] };
const ids = new Int32Array(8 * 16), mask = new Int32Array(8 * 16).fill(1);
for (let b = 0; b < 8; b++) {
  for (let j = 0; j < 16; j++) {
    ids[b * 16 + j] = j === 0 ? 998 : j === 15 ? 999 : 1 + ((b * 31 + j * 7) % 900);
  }
}
const text = {
  inputIds: { data: ids, shape: [8, 16] },
  attentionMask: { data: mask, shape: [8, 16] },
};

for (const dtype of ["f32", "int8"] as const) {
  let clip: Clip | null = null, merged: Clip | null = null, why = "";
  try {
    clip = await loadClip(modelFiles, { dtype });
    merged = await loadClip(modelFiles, { dtype });
    for (const [name, cfg] of Object.entries(METHODS)) {
      await clip.loadAdapter(randomAdapter(name, cfg), { name });
    }
    await clip.loadFusion(
      {
        "adapter_fusion_config.json": JSON.stringify({
          config: "dynamic",
          adapter_names: ["fuse_a", "fuse_b", "fuse_c"],
          name: "fuse_a,fuse_b,fuse_c",
        }),
        "model_adapter_fusion.safetensors": fusionWeights(),
      },
      ["fuse_a", "fuse_b", "fuse_c"],
    );
    await merged.loadAdapter(randomAdapter("lora", METHODS.lora), { name: "lora" });
    merged.mergeAdapter("lora");
  } catch (e) {
    why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.warn(`adapters ${dtype} NOT RUN: ${why}`);
  }
  const setups: [string, Clip | null, unknown][] = [
    ["base", clip, null],
    ...Object.keys(METHODS).filter((n) => !n.startsWith("fuse_")).map((
      n,
    ): [string, Clip | null, unknown] => [n, clip, n]),
    ["fuse (3 × seq_bn)", clip, new Fuse("fuse_a", "fuse_b", "fuse_c")],
    ["stack (seq_bn, lora)", clip, new Stack("seq_bn", "lora")],
    ["lora merged", merged, null],
  ];
  for (
    const [group, input] of [["image (2 × 224²)", { pixelValues: pixels }], [
      "text (8 × 16 tokens)",
      text,
    ]] as const
  ) {
    for (const [name, model, setup] of setups) {
      Deno.bench({
        name: `${dtype} ${group}: ${name}${model ? "" : ` — NOT RUN: ${why}`}`,
        group: `${dtype} ${group}`,
        baseline: name === "base",
        n: 5,
        warmup: 1,
        ignore: !model,
        async fn() {
          await model!.forward(input, { adapters: setup as null });
        },
      });
    }
  }
}

function fusionWeights(): Uint8Array {
  const t: Record<string, TestTensor> = {};
  for (
    const [tower, d, L] of [["text", TEXT.d, TEXT.layers], ["vision", VIS.d, VIS.layers]] as const
  ) {
    for (let i = 0; i < L; i++) {
      const p =
        `${tower}_model.encoder.layers.${i}.output_adapters.adapter_fusion_layer.fuse_a,fuse_b,fuse_c.`;
      for (const n of ["query", "key"]) {
        t[`${p}${n}.weight`] = f32Tensor([d, d], rnd(d * d));
        t[`${p}${n}.bias`] = f32Tensor([d], rnd(d));
      }
      t[`${p}value.weight`] = f32Tensor([d, d], rnd(d * d));
    }
  }
  return buildSafetensors(t);
}
