// Merging into a model quantized at load starts from the checkpoint's f32 weights: the result
// equals quantizing a checkpoint whose weights were merged in f32 (merge before quantization).

import { deepStrictEqual, ok } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { buildSafetensors, type TestTensor } from "../_util/safetensors_build.ts";
import { compareClose, cosine } from "../_util/assert_close.ts";
import { listCases, readTensors } from "../golden/clip_cases.ts";

const lora = listCases().cases.find((c) => c.name === "lora");
const ignore = !lora;

/** W + (alpha/r)·B·A for every LoRA pair of the adapter, computed in double, stored as f32. */
function mergedCheckpoint(modelDir: string, adapterDir: string): Record<string, Uint8Array> {
  const bytes = Deno.readFileSync(`${modelDir}/model.safetensors`);
  const h = parseSafetensors(bytes);
  const cfg = JSON.parse(Deno.readTextFileSync(`${adapterDir}/adapter_config.json`)).config;
  const scale = cfg.alpha / cfg.r;
  const ad = readTensors(`${adapterDir}/adapter.safetensors`);
  const tensors: Record<string, TestTensor> = {};
  for (const e of h.entries.values()) {
    const data = bytes.slice(e.begin, e.end);
    const prefix = e.name.replace(/\.weight$/, "");
    const A = ad[`${prefix}.loras.lora.lora_A`], B = ad[`${prefix}.loras.lora.lora_B`];
    if (A && B) {
      const w = new Float32Array(data.buffer);
      const [out, r] = B.shape, inF = A.shape[1];
      for (let o = 0; o < out; o++) {
        for (let i = 0; i < inF; i++) {
          let d = 0;
          for (let k = 0; k < r; k++) d += B.data[o * r + k] * A.data[k * inF + i];
          w[o * inF + i] = w[o * inF + i] + scale * d;
        }
      }
    }
    tensors[e.name] = { dtype: e.dtype as "F32", shape: [...e.shape], data };
  }
  return {
    "config.json": Deno.readFileSync(`${modelDir}/config.json`),
    "model.safetensors": buildSafetensors(tensors),
  };
}

Deno.test({ name: "merge on an int8 model quantizes the f32-merged weights", ignore }, async () => {
  const c = lora!;
  const adapterDir = `${c.dir}/${c.json.adapters[0].path}`;
  const inputs = readTensors(c.inputsFile);
  const args = {
    inputIds: inputs.input_ids,
    attentionMask: inputs.attention_mask,
    pixelValues: inputs.pixel_values,
  };
  const q = await loadClip(c.modelDir, { dtype: "int8" });
  await q.loadAdapter(adapterDir, { name: "lora" });
  await q.mergeAdapter("lora");
  const merged = await q.forward(args, { adapters: null });
  const ref = await loadClip(mergedCheckpoint(c.modelDir, adapterDir), { dtype: "int8" });
  const want = await ref.forward(args);
  for (const k of ["textEmbeds", "imageEmbeds"] as const) {
    const r = compareClose(merged[k]!.data, want[k]!.data, 1e-5, 0);
    ok(r.ok, `${k}: max|Δ| ${r.maxAbs} between merge-then-quantize paths`);
  }
  // and it is the adapted model: close to the f32 model with the LoRA active
  const f32 = await loadClip(c.modelDir);
  await f32.loadAdapter(adapterDir, { name: "lora" });
  const adapted = await f32.forward(args, { adapters: "lora" });
  ok(cosine(merged.textEmbeds!.data, adapted.textEmbeds!.data) > 0.999);
  for (const m of [q, ref, f32]) m.dispose();
});

Deno.test(
  { name: "convert with a merged LoRA equals merging into an int8 model", ignore },
  async () => {
    const c = lora!;
    const adapterDir = `${c.dir}/${c.json.adapters[0].path}`;
    const inputs = readTensors(c.inputsFile);
    const args = { inputIds: inputs.input_ids, pixelValues: inputs.pixel_values };
    const { bytes, report } = await convertClipToBytes(c.modelDir, { adapters: [adapterDir] });
    deepStrictEqual(report.merged, ["lora"]);
    const pkg = await loadClip({ "lora-merged.safetensors": bytes });
    const q = await loadClip(c.modelDir, { dtype: "int8" });
    await q.loadAdapter(adapterDir, { name: "lora" });
    await q.mergeAdapter("lora");
    const a = await pkg.forward(args), b = await q.forward(args, { adapters: null });
    for (const k of ["textEmbeds", "imageEmbeds"] as const) {
      const r = compareClose(a[k]!.data, b[k]!.data, 1e-6, 0);
      ok(r.ok, `${k}: max|Δ| ${r.maxAbs}`);
    }
    pkg.dispose();
    q.dispose();
  },
);
