// Merging at conversion (adapters/merge.ts): the weight transform folds each LoRA-family adapter
// (LoRA on every site, IA3, DoRA) into a checkpoint weight bit for bit as merging it into a loaded
// f32 model does — DoRA's norm taken from the weight itself — and the converter writes the same
// package as converting the f32-merged checkpoint. What cannot merge is refused by name.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { configShape, mergeTransform } from "../../src/adapters/merge.ts";
import { AdapterHost } from "../../src/adapters/host.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { EdgeClipError } from "../../src/errors.ts";
import type { MemoryFiles } from "../../src/io/source.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { LAYER_LINEAR, type LayerLinear, linearPath } from "../../src/model/names.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { buildSafetensors, type TestTensor } from "../_util/safetensors_build.ts";
import { Prng } from "../_util/prng.ts";
import { exists } from "../_util/files.ts";
import { goldenCase, readFolder, writeFolder } from "./_folders.ts";

const ignore = !goldenCase("lora") || !goldenCase("ia3") || !goldenCase("lora_all");
const k = Kernels.create();

/** The golden LoRA turned into DoRA: a magnitude m [out, 1] for each of its sites. */
function doraFolder(): MemoryFiles {
  const { meta, t } = readFolder("lora", "lora");
  (meta.config as Record<string, unknown>).use_dora = true;
  const rng = new Prng(5);
  for (const [key, v] of [...t]) {
    if (!key.endsWith(".lora_B")) continue;
    const out = v.shape[0];
    const m = rng.f32(out, () => rng.uniform(0.5, 1.5));
    t.set(key.replace(/lora_B$/, "m.weight"), { shape: [out, 1], data: m });
  }
  return writeFolder(meta, t);
}

/** The golden adapter folder `name` of case `c`, in memory. */
function folder(c: string, name = c): MemoryFiles {
  const { meta, t } = readFolder(c, name);
  return writeFolder(meta, t);
}

/** Every encoder linear of the golden model, with its checkpoint weight. */
function checkpointWeights(modelDir: string) {
  const bytes = Deno.readFileSync(`${modelDir}/model.safetensors`);
  const h = parseSafetensors(bytes);
  const out: { tower: "text" | "vision"; layer: number; linear: LayerLinear; w: Float32Array }[] =
    [];
  for (const tower of ["text", "vision"] as const) {
    for (let layer = 0;; layer++) {
      const first = h.entries.get(`${linearPath({ tower, layer, linear: "q" })}.weight`);
      if (!first) break;
      for (const linear of Object.keys(LAYER_LINEAR) as LayerLinear[]) {
        const e = h.entries.get(`${linearPath({ tower, layer, linear })}.weight`)!;
        const w = new Float32Array(bytes.slice(e.begin, e.end).buffer);
        out.push({ tower, layer, linear, w });
      }
    }
  }
  return out;
}

Deno.test(
  { name: "merge transform = merging into a loaded f32 model, bit for bit", ignore },
  async () => {
    const modelDir = goldenCase("lora")!.modelDir;
    const weights = checkpointWeights(modelDir);
    for (
      const [what, files] of [
        ["lora", folder("lora")],
        ["lora_all", folder("lora_all")],
        ["ia3", folder("ia3")],
        ["dora", doraFolder()],
      ] as const
    ) {
      const loaded = await openModel(modelDir);
      const host = new AdapterHost(loaded.model);
      await host.merge(await host.load(files));
      const m = await mergeTransform(k, [files], configShape(loaded.model.cfg));
      let changed = 0;
      for (const { tower, layer, linear, w } of weights) {
        const got = w.slice();
        m.transform({ tower, layer, linear }, got);
        const layers = tower === "text" ? loaded.model.text!.layers : loaded.model.vision!.layers;
        const want = linear === "out" ? w : layers[layer].linearAt(linear).readWeight();
        deepStrictEqual(
          new Uint32Array(got.buffer),
          new Uint32Array(want.buffer),
          `${what}: ${tower} layer ${layer} ${linear}`,
        );
        if (got.some((v, i) => v !== w[i])) changed++;
      }
      ok(changed > 0, `${what} changed no weight`);
      deepStrictEqual(m.names, [what === "dora" ? "lora" : what]);
      m.free();
    }
  },
);

Deno.test(
  { name: "convert merges DoRA as the f32-merged checkpoint converts", ignore },
  async () => {
    const modelDir = goldenCase("lora")!.modelDir;
    const files = doraFolder();
    const { bytes, report } = await convertClipToBytes(modelDir, { adapters: [files] });
    deepStrictEqual(report.merged, ["lora"]);
    // the reference: the merged weights of a loaded f32 model, written back into the checkpoint
    const loaded = await openModel(modelDir);
    const host = new AdapterHost(loaded.model);
    await host.merge(await host.load(files));
    const src = Deno.readFileSync(`${modelDir}/model.safetensors`);
    const tensors: Record<string, TestTensor> = {};
    for (const e of parseSafetensors(src).entries.values()) {
      tensors[e.name] = { dtype: "F32", shape: [...e.shape], data: src.slice(e.begin, e.end) };
    }
    for (const { tower, layer, linear } of checkpointWeights(modelDir)) {
      if (linear === "out") continue;
      const layers = tower === "text" ? loaded.model.text!.layers : loaded.model.vision!.layers;
      const w = layers[layer].linearAt(linear).readWeight();
      tensors[`${linearPath({ tower, layer, linear })}.weight`].data = new Uint8Array(w.buffer);
    }
    const tokenizer = ["vocab.json", "merges.txt"].filter((n) => exists(`${modelDir}/${n}`));
    const ref = await convertClipToBytes({
      "config.json": Deno.readFileSync(`${modelDir}/config.json`),
      "model.safetensors": buildSafetensors(tensors),
      ...Object.fromEntries(tokenizer.map((n) => [n, Deno.readFileSync(`${modelDir}/${n}`)])),
    });
    const a = parseSafetensors(bytes), b = parseSafetensors(ref.bytes);
    deepStrictEqual([...a.entries.keys()], [...b.entries.keys()]);
    for (const [name, e] of a.entries) {
      const f = b.entries.get(name)!;
      ok(
        bytes.subarray(e.begin, e.end).every((v, i) => v === ref.bytes[f.begin + i]),
        `${name} differs`,
      );
    }
  },
);

Deno.test({ name: "merge refuses what cannot merge, by name", ignore }, async () => {
  const shape = configShape((await openModel(goldenCase("lora")!.modelDir)).model.cfg);
  const code = async (folders: MemoryFiles[], want: string, text: RegExp) => {
    const e = await mergeTransform(k, folders, shape).then(() => null, (e) => e);
    ok(e instanceof EdgeClipError, `expected EdgeClipError, got ${e}`);
    strictEqual(e.code, want, e.message);
    ok(text.test(e.message), e.message);
  };
  await code([], "invalid_input", /no adapter/);
  if (goldenCase("seq_bn")) {
    await code([folder("seq_bn")], "adapter_unsupported", /no LoRA-family weights/);
  }
  if (goldenCase("lora_gating")) {
    await code([folder("lora_gating")], "adapter_unsupported", /gating/);
  }
  await code([folder("lora"), folder("lora")], "adapter_setup", /already loaded/);
  // the same LoRA under another name: both want text layer 0's q
  const { meta, t } = readFolder("lora", "lora");
  meta.name = "again";
  const renamed = new Map(
    [...t].map(([key, v]) => [key.replace(".loras.lora.", ".loras.again."), v]),
  );
  await code([folder("lora"), writeFolder(meta, renamed)], "adapter_setup", /already has lora/);
  // and memory of a refused merge is given back
  const before = k.memoryStats.live;
  await rejects(mergeTransform(k, [folder("lora"), folder("lora")], shape), EdgeClipError);
  strictEqual(k.memoryStats.live, before);
});
