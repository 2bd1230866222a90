// Golden conformance of the adapter cases (every manifest case with adapters or a fusion), driven
// only by case.json: adapters loaded through the public API with their runtime_overrides, the
// fusion, and the active setup from adapterSetupFromDict. Each case runs from adapter.safetensors
// and again from pytorch_adapter.bin (in-memory folders holding only that file), per call and
// through setActiveAdapters; every output of expected.safetensors at the case tolerance.

import { ok } from "node:assert/strict";
import { adapterSetupFromDict, type Clip, loadClip } from "../../mod.ts";
import type { MemoryFiles } from "../../src/io/source.ts";
import {
  ALT_GOLDEN_DIR,
  compareOutputs,
  type GoldenCase,
  listCases,
  readTensors,
  resolve,
} from "./clip_cases.ts";

const { manifest, cases } = listCases();
const alt = listCases(ALT_GOLDEN_DIR);
const all: [string, GoldenCase][] = [
  ...cases.map((c): [string, GoldenCase] => [manifest?.label ?? "golden", c]),
  ...alt.cases.map((c): [string, GoldenCase] => [alt.manifest!.label, c]),
].filter(([, c]) => c.json.adapters.length > 0 || c.json.fusion);

type Format = "safetensors" | "bin";

/** An adapter or fusion folder in memory with only one weights format. */
function folder(dir: string, format: Format): MemoryFiles {
  const files: MemoryFiles = {};
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile) continue;
    const isWeights = /\.(safetensors|bin)$/.test(e.name);
    if (
      isWeights && !(format === "bin" ? e.name.endsWith(".bin") : e.name.endsWith(".safetensors"))
    ) continue;
    if (e.name === "reft_projection_materialized.safetensors") continue; // not a library file
    files[e.name] = Deno.readFileSync(`${dir}/${e.name}`);
  }
  return files;
}

/** Per-adapter overrides: runtime_overrides[name] when it is an object, else the whole dict. */
function overridesFor(c: GoldenCase, name: string): Record<string, unknown> | undefined {
  const o = c.json.runtime_overrides;
  if (!o) return undefined;
  const own = o[name];
  return own && typeof own === "object" && !Array.isArray(own) ? own as Record<string, unknown> : o;
}

async function prepare(c: GoldenCase, format: Format): Promise<Clip> {
  const clip = await loadClip(c.modelDir);
  for (const a of c.json.adapters) {
    await clip.loadAdapter(folder(resolve(c.dir, a.path), format), {
      name: a.name,
      overrides: overridesFor(c, a.name),
    });
  }
  if (c.json.fusion) {
    const names = c.json.fusion.name.split(",");
    await clip.loadFusion(folder(resolve(c.dir, c.json.fusion.path), format), names);
  }
  return clip;
}

const compare = compareOutputs;

for (const [label, c] of all) {
  for (const format of ["safetensors", "bin"] as Format[]) {
    Deno.test(`golden clip adapters [${label}] (${format}): ${c.name}`, async () => {
      const clip = await prepare(c, format);
      try {
        const inputs = readTensors(c.inputsFile);
        const setup = adapterSetupFromDict(c.json.active_setup);
        const args = {
          inputIds: inputs.input_ids,
          attentionMask: inputs.attention_mask,
          pixelValues: inputs.pixel_values,
        };
        type Out = Record<string, { data: Float32Array; shape: number[] } | undefined>;
        const perCall = await clip.forward(args, { adapters: setup }) as Out;
        const failures = compare(c, perCall).map((f) => `per call: ${f}`);
        // the same setup made active: must give exactly the same numbers
        clip.setActiveAdapters(setup);
        const active = await clip.forward(args) as Out;
        for (const [k, v] of Object.entries(perCall)) {
          const w = active[k];
          if (v && (!w || v.data.some((x, i) => !Object.is(x, w.data[i])))) {
            failures.push(`setActiveAdapters: ${k} differs from the per-call result`);
          }
        }
        ok(failures.length === 0, failures.join("\n"));
      } finally {
        clip.dispose();
      }
    });
  }
}
