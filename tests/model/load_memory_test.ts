// A model load that fails part-way gives back all the linear memory it took: repeated failing
// loads into one kernel instance (a weight missing near the end, f32 and int8; one key too many,
// found after every weight was read) leave its WebAssembly.Memory and live bytes as they were.

import { ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { parseSafetensors, type TensorEntry } from "../../src/io/safetensors.ts";
import { ClipModel, type LoadOptions } from "../../src/model/clip_model.ts";
import { parseClipConfig } from "../../src/model/config.ts";
import { quantizingEmbeddingLoader } from "../../src/model/embedding_q8.ts";
import { quantizingLinearLoader } from "../../src/model/linear_q8.ts";
import type { WeightFile } from "../../src/io/weight_file.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { ALT_GOLDEN_DIR } from "../golden/clip_cases.ts";

const MIB = 2 ** 20;
const dir = `${ALT_GOLDEN_DIR}/clip/model`;
const bytes = Deno.readFileSync(`${dir}/model.safetensors`);
const header = parseSafetensors(bytes, "model.safetensors");
const cfg = parseClipConfig(
  Deno.readTextFileSync(`${dir}/config.json`),
  (key) => header.entries.has(key),
);

/** The checkpoint with its entries changed by `edit`; records the order tensors are read in. */
function fileWith(edit: (e: Map<string, TensorEntry>) => void, order: string[] = []): WeightFile {
  const entries = new Map(header.entries);
  edit(entries);
  return {
    label: "edited",
    header: { ...header, entries },
    read: (e: TensorEntry, dest: Uint8Array) => {
      order.push(e.name);
      dest.set(bytes.subarray(e.begin, e.end));
      return Promise.resolve();
    },
  };
}

const weightsError = (e: unknown) => e instanceof EdgeClipError && e.code === "model_weights";

async function failingLoads(file: WeightFile, opts: LoadOptions, times: number): Promise<void> {
  const k = Kernels.create();
  const before = k.memoryStats;
  for (let i = 0; i < times; i++) await rejects(ClipModel.load(file, cfg, k, opts), weightsError);
  const after = k.memoryStats;
  ok(after.memory - before.memory < 4 * MIB, `grew ${(after.memory - before.memory) / MIB} MiB`);
  strictEqual(after.live, before.live, "every failed load gave back all it took");
}

// the key read at 90% of a good load: the failure comes after most weights are in memory
const order: string[] = [];
const good = await ClipModel.load(fileWith(() => {}, order), cfg, Kernels.create());
const late = order[Math.floor(order.length * 0.9)];
const missing = fileWith((e) => e.delete(late));
const int8: LoadOptions = {
  linear: quantizingLinearLoader(),
  embedding: quantizingEmbeddingLoader,
};

Deno.test("model memory: 300 f32 loads failing part-way grow linear memory by < 4 MiB", async () => {
  ok(good.owner.bytes > 256 * 1024, `a good load holds ${good.owner.bytes} B`);
  await failingLoads(missing, {}, 300);
});

Deno.test("model memory: int8 loads failing part-way give back their memory", async () => {
  await failingLoads(missing, int8, 100);
});

Deno.test("model memory: a load failing on an unused key gives back its memory", async () => {
  const extra = fileWith((e) => {
    const any = e.values().next().value!;
    e.set("text_model.unexpected", { ...any, name: "text_model.unexpected" });
  });
  await failingLoads(extra, {}, 100);
});

Deno.test("model memory: a model's owner frees every weight", async () => {
  const k = Kernels.create();
  const before = k.memoryStats;
  for (let i = 0; i < 50; i++) (await ClipModel.load(fileWith(() => {}), cfg, k)).owner.free();
  strictEqual(k.memoryStats.live, before.live);
  ok(k.memoryStats.memory - before.memory < 4 * MIB);
});
