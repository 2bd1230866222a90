// Adapter and fusion loads give their linear memory back: a load rejected part-way (one key too
// many, found after every module was built) frees what it took, and an adapter's owner frees it
// for reuse. Measured on the model's WebAssembly.Memory, which never shrinks: growth is the leak.

import { ok, rejects, strictEqual } from "node:assert/strict";
import type { ModelShape } from "../../src/adapters/adapter.ts";
import { loadAdapterFolder } from "../../src/adapters/loading.ts";
import { AdapterHost } from "../../src/adapters/host.ts";
import { type LoadedModel, openModel } from "../../src/checkpoint/open.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { memoryFileSet } from "../../src/io/source.ts";
import { readTensors, resolve } from "../golden/clip_cases.ts";
import { buildSafetensors, f32Tensor } from "../_util/safetensors_build.ts";
import { goldenCase, readFolder, writeFolder } from "./_folders.ts";

// mam: prefix tuning (states computed at load through temporary memory) and bottlenecks: ~100 KiB
const ADAPTER = "mam";
const ignore = !goldenCase(ADAPTER) || !goldenCase("fuse_dynamic");
const MIB = 2 ** 20;

const mismatch = (e: unknown) => e instanceof EdgeClipError && e.code === "adapter_mismatch";

/** The adapter's folder with one key no module reads (the load fails at its last check). */
function oneKeyTooMany() {
  const { meta, t } = readFolder(ADAPTER, ADAPTER);
  const extra = new Map(t);
  extra.set("text_model.encoder.layers.0.unexpected.weight", {
    shape: [4],
    data: new Float32Array(4),
  });
  return writeFolder(meta, extra);
}

/** What the adapter loader needs of the model (only DoRA reads base weights). */
function shapeOf(m: LoadedModel): ModelShape {
  let firstId = 0;
  const towers = [["text", m.model.text], ["vision", m.model.vision]] as const;
  return {
    towers: towers.flatMap(([tower, tw]) => {
      if (!tw) return [];
      const c = tw.cfg, shape = { tower, firstId, layers: c.numLayers, heads: c.numHeads };
      firstId += c.numLayers;
      return [{ ...shape, hidden: c.hiddenSize, intermediate: c.intermediateSize }];
    }),
    baseWeight: () => {
      throw new Error("not needed by this adapter");
    },
  };
}

Deno.test({
  name: "memory: 300 adapter loads failing part-way grow linear memory by < 4 MiB",
  ignore,
  async fn() {
    const m = await openModel(goldenCase(ADAPTER)!.modelDir);
    const host = new AdapterHost(m.model);
    const files = oneKeyTooMany();
    const before = m.kernels.memoryStats;
    for (let i = 0; i < 300; i++) await rejects(host.load(files), mismatch);
    const after = m.kernels.memoryStats;
    ok(after.memory - before.memory < 4 * MIB, `grew ${(after.memory - before.memory) / MIB} MiB`);
    strictEqual(after.live, before.live, "every failed load gave back all it took");
  },
});

Deno.test({
  name: "memory: 100 load / free cycles of one adapter grow linear memory by < 4 MiB",
  ignore,
  async fn() {
    const m = await openModel(goldenCase(ADAPTER)!.modelDir);
    const { meta, t } = readFolder(ADAPTER, ADAPTER);
    const files = memoryFileSet(writeFolder(meta, t));
    const before = m.kernels.memoryStats;
    for (let i = 0; i < 100; i++) {
      const a = await loadAdapterFolder(m.kernels, files, { model: shapeOf(m) });
      ok(a.owner.bytes > 64 * 1024, `the adapter holds its weights (${a.owner.bytes} B)`);
      a.owner.free();
    }
    const after = m.kernels.memoryStats;
    ok(after.memory - before.memory < 4 * MIB, `grew ${(after.memory - before.memory) / MIB} MiB`);
    strictEqual(after.live, before.live);
  },
});

Deno.test({
  name: "memory: fusion loads failing part-way give back their memory",
  ignore,
  async fn() {
    const c = goldenCase("fuse_dynamic")!;
    const m = await openModel(c.modelDir);
    const host = new AdapterHost(m.model);
    for (const a of c.json.adapters) {
      await host.load({
        "adapter_config.json": Deno.readTextFileSync(
          `${resolve(c.dir, a.path)}/adapter_config.json`,
        ),
        "adapter.safetensors": Deno.readFileSync(`${resolve(c.dir, a.path)}/adapter.safetensors`),
      });
    }
    const dir = resolve(c.dir, c.json.fusion!.path);
    const tensors: Record<string, ReturnType<typeof f32Tensor>> = {};
    for (const [k, v] of Object.entries(readTensors(`${dir}/model_adapter_fusion.safetensors`))) {
      tensors[k] = f32Tensor(v.shape, v.data);
    }
    tensors["text_model.encoder.layers.0.unexpected.weight"] = f32Tensor([2], [1, 2]);
    const files = {
      "adapter_fusion_config.json": Deno.readTextFileSync(`${dir}/adapter_fusion_config.json`),
      "model_adapter_fusion.safetensors": buildSafetensors(tensors),
    };
    const names = c.json.fusion!.name.split(",");
    const before = m.kernels.memoryStats;
    for (let i = 0; i < 100; i++) await rejects(host.loadFusion(files, names), mismatch);
    const after = m.kernels.memoryStats;
    ok(after.memory - before.memory < 4 * MIB, `grew ${(after.memory - before.memory) / MIB} MiB`);
    strictEqual(after.live, before.live);
  },
});
