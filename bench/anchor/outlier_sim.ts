// What outlier channels would do to int8 activations: the anchor ViT-B/32 has random weights, so
// its LayerNorm outputs have no outlier channels, unlike trained transformers (post-LN channel
// ranges vary widely in trained ViTs). This scales NCH channels of every encoder LayerNorm (gamma
// and beta) by F and divides the same input columns of the linears it feeds by F — the f32
// function is unchanged up to rounding — then compares each int8Precision policy with f32. With
// F above MAX_U7_SPREAD the policies run those linears on u12 (linear_q8.ts channelSpread).
//   deno run -A bench/anchor/outlier_sim.ts [F=20] [NCH=4] [--ref-dir <anchors>/models]
import { openModel } from "../../src/api/load.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { Q8_POLICIES } from "../../src/model/linear_q8.ts";
import { imageBatch, readRefs, textBatch } from "./inputs.ts";

const args = Deno.args.filter((a, i, all) => a !== "--ref-dir" && all[i - 1] !== "--ref-dir");
const r = Deno.args.indexOf("--ref-dir");
const refs = r >= 0 ? Deno.args[r + 1] : "../anchors-run/models";
const dir = `${refs}/hf/clip-vitb32-random`;
const F = Number(args[0] ?? 20), NCH = Number(args[1] ?? 4);
const bytes = Deno.readFileSync(`${dir}/model.safetensors`);
const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
const base = 8 + n;
const view = (k: string) => {
  const e = header[k];
  const [s, t] = e.data_offsets;
  return new Float32Array(bytes.buffer, bytes.byteOffset + base + s, (t - s) / 4);
};
if (F !== 1) {
  for (const k of Object.keys(header)) {
    const m = k.match(/^(text|vision)_model\.encoder\.layers\.(\d+)\.layer_norm([12])\.weight$/);
    if (!m) continue;
    const g = view(k), b = view(k.replace(".weight", ".bias"));
    const H = g.length;
    const chans = Array.from({ length: NCH }, (_, i) => (i * 97 + 13) % H);
    for (const c of chans) {
      g[c] *= F;
      b[c] *= F;
    }
    const pre = `${m[1]}_model.encoder.layers.${m[2]}.`;
    const next = m[3] === "1"
      ? ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]
      : ["mlp.fc1"];
    for (const l of next) {
      const w = view(pre + l + ".weight");
      const K = H;
      for (let o = 0; o < w.length / K; o++) for (const c of chans) w[o * K + c] /= F;
    }
  }
}
const files: Record<string, Uint8Array | string> = {};
for (const f of ["config.json", "vocab.json", "merges.txt", "preprocessor_config.json"]) {
  files[f] = Deno.readFileSync(`${dir}/${f}`);
}
files["model.safetensors"] = bytes;
const img = readRefs(refs, "image"), txt = readRefs(refs, "text");
async function run(opts: Parameters<typeof openModel>[1]) {
  const m = await openModel(files, opts);
  return {
    image: m.model.encodeImage(imageBatch(img, img.count), img.count, NO_HOOKS).embeds!.slice(),
    text: m.model.encodeText(
      textBatch(txt, txt.count, (ids) => m.model.text!.poolIndex(ids)).map((ids) => ({ ids })),
      NO_HOOKS,
    ).embeds!.slice(),
  };
}
const cos = (a: Float32Array, b: Float32Array, n: number) =>
  Math.min(...Array.from({ length: n }, (_, r) => {
    let d = 0, x = 0, y = 0;
    for (let i = r * 512; i < (r + 1) * 512; i++) {
      d += a[i] * b[i];
      x += a[i] ** 2;
      y += b[i] ** 2;
    }
    return d / Math.sqrt(x * y);
  }));
const ref = await run({ dtype: "f32" });
for (const p of ["balanced", "fast", "high"] as const) {
  const q = await run({ dtype: "int8", q8Policy: Q8_POLICIES[p] });
  console.log(
    `F=${F} ch=${NCH}`,
    p.padEnd(9),
    "image",
    cos(q.image, ref.image, img.count).toFixed(6),
    "text",
    cos(q.text, ref.text, txt.count).toFixed(6),
  );
}
