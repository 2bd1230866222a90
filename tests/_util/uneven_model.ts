// A CLIP folder's files in memory with uneven LayerNorm channels, as trained checkpoints can have:
// `channels` of every encoder LayerNorm (γ and β) ×factor and the same input columns of the
// linears it feeds (q/k/v, fc1) ÷factor, so the f32 function stays the same up to rounding.

import { parseSafetensors } from "../../src/io/safetensors.ts";

export function unevenModel(
  dir: string,
  factor: number,
  channels: readonly number[],
): Record<string, Uint8Array> {
  const bytes = Deno.readFileSync(`${dir}/model.safetensors`);
  const { entries } = parseSafetensors(bytes);
  const f32 = (key: string) => {
    const e = entries.get(key);
    if (!e || e.dtype !== "F32") throw new Error(`${key}: expected an F32 tensor`);
    return new Float32Array(bytes.buffer, bytes.byteOffset + e.begin, (e.end - e.begin) / 4);
  };
  let scaled = 0;
  for (const key of entries.keys()) {
    const m = key.match(/^(.*\.layers\.\d+)\.layer_norm([12])\.weight$/);
    if (!m) continue;
    const g = f32(key), b = f32(`${m[1]}.layer_norm${m[2]}.bias`), H = g.length;
    const cs = channels.map((c) => c % H);
    for (const c of cs) {
      g[c] *= factor;
      b[c] *= factor;
    }
    const fed = m[2] === "1"
      ? ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]
      : ["mlp.fc1"];
    for (const name of fed) {
      const w = f32(`${m[1]}.${name}.weight`);
      for (let o = 0; o < w.length / H; o++) for (const c of cs) w[o * H + c] /= factor;
    }
    scaled++;
  }
  if (scaled === 0) throw new Error(`${dir}: no encoder LayerNorms found`);
  const files: Record<string, Uint8Array> = { "model.safetensors": bytes };
  for (const f of ["config.json", "preprocessor_config.json", "vocab.json", "merges.txt"]) {
    files[f] = Deno.readFileSync(`${dir}/${f}`);
  }
  return files;
}
