// Test helpers: golden adapter folders read into memory, rewritten (config fields, tensors) and
// serialised back, so equivalent formulations of one adapter can be checked against the golden
// outputs, and broken folders can be made from good ones.

import type { MemoryFiles } from "../../src/io/source.ts";
import { buildSafetensors, f32Tensor } from "../_util/safetensors_build.ts";
import { listCases, readTensors, resolve } from "../golden/clip_cases.ts";

export type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

export const golden = listCases();

/** The golden case `name`, or undefined when the fixtures are absent. */
export function goldenCase(name: string) {
  return golden.cases.find((c) => c.name === name);
}

/** An adapter folder of a golden case: its config JSON and its tensors. */
export function readFolder(
  caseName: string,
  adapter: string,
): { meta: Record<string, unknown>; t: Tensors } {
  const c = goldenCase(caseName)!;
  const a = c.json.adapters.find((x) => x.name === adapter)!;
  const dir = resolve(c.dir, a.path);
  const meta = JSON.parse(Deno.readTextFileSync(`${dir}/adapter_config.json`));
  const raw = readTensors(`${dir}/adapter.safetensors`);
  const t: Tensors = new Map();
  for (const [k, v] of Object.entries(raw)) {
    t.set(k, { shape: v.shape, data: v.data as Float32Array });
  }
  return { meta, t };
}

/** Serialises a folder (adapter.safetensors + adapter_config.json). */
export function writeFolder(meta: Record<string, unknown>, t: Tensors): MemoryFiles {
  const tensors: Record<string, ReturnType<typeof f32Tensor>> = {};
  for (const [k, v] of t) tensors[k] = f32Tensor(v.shape, v.data);
  return {
    // Python writes float scaling as 4.0; JSON.stringify would write 4, which the library rejects
    "adapter_config.json": JSON.stringify(meta, null, 2).replace(
      /("scaling": -?\d+)(?=[,\n}])/g,
      "$1.0",
    ),
    "adapter.safetensors": buildSafetensors(tensors),
  };
}

/** Golden inputs and expected outputs of a case. */
export function caseIO(caseName: string) {
  const c = goldenCase(caseName)!;
  const inp = readTensors(c.inputsFile);
  return {
    c,
    args: {
      inputIds: inp.input_ids,
      attentionMask: inp.attention_mask,
      pixelValues: inp.pixel_values,
    },
    expected: readTensors(`${c.dir}/${c.json.outputs}`),
  };
}

/** Max |a − b| over every output both objects hold. */
export function maxDiff(a: Record<string, unknown>, b: Record<string, unknown>): number {
  let m = 0;
  for (const [k, v] of Object.entries(a)) {
    const w = b[k] as { data: Float32Array } | undefined;
    const x = v as { data: Float32Array } | undefined;
    if (!x || !w) continue;
    for (let i = 0; i < x.data.length; i++) m = Math.max(m, Math.abs(x.data[i] - w.data[i]));
  }
  return m;
}

/** Golden expected outputs renamed to the API's camelCase names. */
export function apiOutputs(
  expected: Record<string, { data: Float32Array | Int32Array; shape: number[] }>,
) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(expected)) {
    out[k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = v;
  }
  return out;
}
