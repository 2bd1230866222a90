// A random-weight CLIP ViT-B/32-shaped Hugging Face folder built in memory for benchmarks
// (config.json, model.safetensors, and a byte-level tokenizer: vocab.json + merges.txt), and the
// FLOP counts of its towers. The weights are uniform noise of a realistic scale; the speed of the
// f32 kernels does not depend on the values (no data-dependent paths).

import { BYTE_ENCODER } from "../src/tokenizer/bytes.ts";

/** The ViT-B/32 shapes (openai/clip-vit-base-patch32). */
export const VIT_B32 = {
  text: { hidden: 512, ff: 2048, heads: 8, layers: 12, vocab: 49408, positions: 77 },
  vision: { hidden: 768, ff: 3072, heads: 12, layers: 12, image: 224, patch: 32 },
  projection: 512,
} as const;

type Files = Record<string, Uint8Array | string>;

/** Safetensors bytes for f32 tensors (name → [shape, values]), written straight into one buffer. */
function safetensors(tensors: [string, number[], (out: Float32Array) => void][]): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of tensors) {
    const bytes = shape.reduce((a, d) => a * d, 1) * 4;
    header[name] = { dtype: "F32", shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // keeps the data 8-byte aligned
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const [, shape, fill] of tensors) {
    const n = shape.reduce((a, d) => a * d, 1);
    fill(new Float32Array(out.buffer, p, n));
    p += n * 4;
  }
  return out;
}

/** The folder: pass to `loadClip` / `openModel`. ~605 MB of weights; takes a second or two. */
export function vitB32Folder(seed = 1): Files {
  const { text: T, vision: V, projection: P } = VIT_B32;
  let s = seed >>> 0;
  const noise = (scale: number) => (a: Float32Array) => {
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = (s / 4294967296 - 0.5) * 2 * scale;
    }
  };
  const ones = (a: Float32Array) => a.fill(1);
  const zeros = (_: Float32Array) => {};
  const t: [string, number[], (out: Float32Array) => void][] = [];
  const norm = (name: string, d: number) => {
    t.push([`${name}.weight`, [d], ones], [`${name}.bias`, [d], zeros]);
  };
  const encoder = (p: string, d: number, ff: number, layers: number) => {
    const w = 1 / Math.sqrt(d), w2 = 1 / Math.sqrt(ff);
    for (let i = 0; i < layers; i++) {
      const l = `${p}encoder.layers.${i}.`;
      for (const q of ["q_proj", "k_proj", "v_proj", "out_proj"]) {
        t.push([`${l}self_attn.${q}.weight`, [d, d], noise(w)]);
        t.push([`${l}self_attn.${q}.bias`, [d], noise(0.02)]);
      }
      norm(`${l}layer_norm1`, d);
      norm(`${l}layer_norm2`, d);
      t.push([`${l}mlp.fc1.weight`, [ff, d], noise(w)], [`${l}mlp.fc1.bias`, [ff], noise(0.02)]);
      t.push([`${l}mlp.fc2.weight`, [d, ff], noise(w2)], [`${l}mlp.fc2.bias`, [d], noise(0.02)]);
    }
  };
  t.push(["text_model.embeddings.token_embedding.weight", [T.vocab, T.hidden], noise(0.02)]);
  t.push(["text_model.embeddings.position_embedding.weight", [T.positions, T.hidden], noise(0.01)]);
  encoder("text_model.", T.hidden, T.ff, T.layers);
  norm("text_model.final_layer_norm", T.hidden);
  const v = "vision_model.", grid = (V.image / V.patch) ** 2;
  t.push([`${v}embeddings.class_embedding`, [V.hidden], noise(0.1)]);
  t.push([`${v}embeddings.patch_embedding.weight`, [V.hidden, 3, V.patch, V.patch], noise(0.02)]);
  t.push([`${v}embeddings.position_embedding.weight`, [grid + 1, V.hidden], noise(0.02)]);
  norm(`${v}pre_layrnorm`, V.hidden);
  encoder(v, V.hidden, V.ff, V.layers);
  norm(`${v}post_layernorm`, V.hidden);
  t.push(["text_projection.weight", [P, T.hidden], noise(1 / Math.sqrt(T.hidden))]);
  t.push(["visual_projection.weight", [P, V.hidden], noise(1 / Math.sqrt(V.hidden))]);
  t.push(["logit_scale", [], (a) => a.fill(Math.log(100))]);

  const config = {
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: P,
    text_config: {
      hidden_size: T.hidden,
      intermediate_size: T.ff,
      num_hidden_layers: T.layers,
      num_attention_heads: T.heads,
      vocab_size: T.vocab,
      max_position_embeddings: T.positions,
      eos_token_id: 2, // legacy: pool at the highest id (EOT), as the OpenAI checkpoints do
      hidden_act: "quick_gelu",
    },
    vision_config: {
      hidden_size: V.hidden,
      intermediate_size: V.ff,
      num_hidden_layers: V.layers,
      num_attention_heads: V.heads,
      image_size: V.image,
      patch_size: V.patch,
      hidden_act: "quick_gelu",
    },
  };
  // Byte-level tokenizer without merges: a word of n letters is n tokens. Ids 0..511 are the
  // byte symbols (plain, then with </w>) as in CLIP's vocabulary; the specials take CLIP's ids.
  const vocab: Record<string, number> = {};
  BYTE_ENCODER.forEach((sym, b) => {
    vocab[sym] = b;
    vocab[sym + "</w>"] = 256 + b;
  });
  vocab["<|startoftext|>"] = T.vocab - 2;
  vocab["<|endoftext|>"] = T.vocab - 1;
  return {
    "config.json": JSON.stringify(config),
    "model.safetensors": safetensors(t),
    "vocab.json": JSON.stringify(vocab),
    "merges.txt": "#version: 0.2\n",
  };
}

/** A text that the folder's tokenizer turns into exactly `tokens` ids (with start and end). */
export function textOfTokens(tokens: number): string {
  if (tokens < 3) throw new Error("a text has at least 3 tokens (start, one letter, end)");
  return "x".repeat(tokens - 2);
}

/** FLOPs of one image through the vision tower and projection (2·m·k·n per GEMM + attention). */
export function imageFlops(): number {
  const V = VIT_B32.vision, S = (V.image / V.patch) ** 2 + 1;
  const patch = 2 * (S - 1) * 3 * V.patch * V.patch * V.hidden;
  return patch + V.layers * layerFlops(S, V.hidden, V.ff) + 2 * V.hidden * VIT_B32.projection;
}

/** FLOPs of one text row of `len` tokens (attention counted over every key, as computed). */
export function textFlops(len: number): number {
  const T = VIT_B32.text;
  return T.layers * layerFlops(len, T.hidden, T.ff) + 2 * T.hidden * VIT_B32.projection;
}

/** One encoder layer on a sequence of s tokens: q/k/v/out projections, MLP, attention. */
function layerFlops(s: number, h: number, ff: number): number {
  return 2 * s * h * h * 4 + 2 * s * h * ff * 2 + 4 * s * s * h;
}
