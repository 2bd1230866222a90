// Hugging Face folders in the shapes real Hub repos have, made at test time from one model folder
// (config, tokenizer and preprocessor files copied): its weights as two shards with an index, as
// F16, and as a pytorch_model.bin alone.

import { parseSafetensors, toF32 } from "../../src/io/safetensors.ts";
import { buildSafetensors, type TestTensor, toHalf } from "./safetensors_build.ts";
import { torchStateDict } from "./torch_build.ts";

const SMALL = ["config.json", "vocab.json", "merges.txt", "preprocessor_config.json"];

/** The f32 tensors of a safetensors file, in file order. */
function f32Tensors(bytes: Uint8Array): { name: string; shape: number[]; data: Float32Array }[] {
  const h = parseSafetensors(bytes, "model.safetensors");
  return [...h.entries.values()].sort((a, b) => a.begin - b.begin).map((e) => {
    const data = new Float32Array(e.shape.reduce((a, d) => a * d, 1));
    toF32(bytes.subarray(e.begin, e.end), e.dtype, data, e.name);
    return { name: e.name, shape: [...e.shape], data };
  });
}

const asTest = (t: { shape: number[]; data: Float32Array }): TestTensor => ({
  dtype: "F32",
  shape: t.shape,
  data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
});

/** Copies the small files of `model` into a new folder `dir` and writes `files` beside them. */
function folder(dir: string, model: string, files: Record<string, Uint8Array | string>): string {
  Deno.mkdirSync(dir, { recursive: true });
  for (const f of SMALL) Deno.copyFileSync(`${model}/${f}`, `${dir}/${f}`);
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === "string") Deno.writeTextFileSync(`${dir}/${name}`, v);
    else Deno.writeFileSync(`${dir}/${name}`, v);
  }
  return dir;
}

export type Variant = "sharded" | "f16" | "bin" | "noWeights";

/** The `want`ed variants of the f32 folder `model`, written under `root` (each a folder path). */
export function repoVariants<V extends Variant>(
  root: string,
  model: string,
  want: readonly V[],
): Record<V, string> {
  const out = {} as Record<Variant, string>;
  if (want.includes("noWeights" as V)) out.noWeights = folder(`${root}/no-weights`, model, {});
  if (want.length === Object.keys(out).length) return out;
  const tensors = f32Tensors(Deno.readFileSync(`${model}/model.safetensors`));
  if (want.includes("sharded" as V)) {
    const half = Math.ceil(tensors.length / 2);
    const shards = [tensors.slice(0, half), tensors.slice(half)];
    const names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    const index = {
      metadata: { total_size: 0 },
      weight_map: Object.fromEntries(shards.flatMap((s, i) => s.map((t) => [t.name, names[i]]))),
    };
    const file = (ts: typeof tensors) =>
      buildSafetensors(Object.fromEntries(ts.map((t) => [t.name, asTest(t)])));
    out.sharded = folder(`${root}/sharded`, model, {
      "model.safetensors.index.json": JSON.stringify(index),
      [names[0]]: file(shards[0]),
      [names[1]]: file(shards[1]),
    });
  }
  if (want.includes("f16" as V)) {
    const f16 = Object.fromEntries(tensors.map((t) => {
      const h = new Uint16Array(t.data.length);
      for (let i = 0; i < h.length; i++) h[i] = toHalf(t.data[i]);
      return [t.name, { dtype: "F16", shape: t.shape, data: new Uint8Array(h.buffer) }];
    })) as Record<string, TestTensor>;
    out.f16 = folder(`${root}/f16`, model, { "model.safetensors": buildSafetensors(f16) });
  }
  if (want.includes("bin" as V)) {
    out.bin = folder(`${root}/bin`, model, { "pytorch_model.bin": torchStateDict(tensors) });
  }
  return out;
}
