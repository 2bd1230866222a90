// Reads the CLIP golden fixtures (manifest.json → case.json → expected.safetensors + inputs),
// driven only by the files, so any folder of the same schema runs unchanged.

import { parseSafetensors, toF32, toI32 } from "../../src/io/safetensors.ts";
import { compareClose } from "../_util/assert_close.ts";
import type { Tensor } from "../../src/tensor.ts";
import type { ForwardInputs } from "../../src/api/forward.ts";
import { goldenPath } from "../_util/golden.ts";
import { exists, readJson } from "../_util/files.ts";

export interface CaseJson {
  name: string;
  model: string;
  inputs: string;
  adapters: { name: string; path: string; architecture?: string | null }[];
  fusion: { name: string; path: string } | null;
  active_setup: unknown;
  outputs: string;
  output_shapes: Record<string, number[]>;
  required_outputs: string[];
  tolerance: Record<string, { atol: number; rtol: number }>;
  runtime_overrides?: Record<string, unknown> | null;
}

export interface GoldenCase {
  name: string;
  dir: string;
  json: CaseJson;
  modelDir: string;
  inputsFile: string;
}

export interface Manifest {
  label: string;
  model: string;
  cases: { name: string; path: string }[];
}

/** The in-repo second fixture set (tools/alt_golden/make_alt_golden.py): other shapes, gelu, eos 2. */
export const ALT_GOLDEN_DIR = decodeURIComponent(
  new URL("../fixtures/golden_alt", import.meta.url).pathname,
);

/**
 * The cases of `<golden>/clip/manifest.json` ($CLIP_GOLDEN_DIR by default), or [] when that
 * folder has no clip part.
 */
export function listCases(
  goldenRoot?: string,
): { root: string | null; manifest: Manifest | null; cases: GoldenCase[] } {
  const root = goldenRoot
    ? (exists(`${goldenRoot}/clip`) ? `${goldenRoot}/clip` : null)
    : goldenPath("clip");
  const mf = root && exists(`${root}/manifest.json`) ? `${root}/manifest.json` : null;
  if (!root || !mf) return { root, manifest: null, cases: [] };
  const manifest = readJson<Manifest>(mf);
  const cases = manifest.cases.map((c) => {
    const dir = `${root}/${c.path}`;
    const json = readJson<CaseJson>(`${dir}/case.json`);
    return {
      name: c.name,
      dir,
      json,
      modelDir: resolve(dir, json.model),
      inputsFile: resolve(dir, json.inputs),
    };
  });
  return { root, manifest, cases };
}

/** Resolves a case-relative path. */
export function resolve(dir: string, rel: string): string {
  return decodeURIComponent(new URL(rel, `file://${dir}/`).pathname).replace(/\/$/, "");
}

/** All tensors of a safetensors file: floats as Float32Array, integers as Int32Array. */
export function readTensors(path: string): Record<string, Tensor> {
  const bytes = Deno.readFileSync(path);
  const h = parseSafetensors(bytes, path);
  const out: Record<string, Tensor> = {};
  for (const e of h.entries.values()) {
    const raw = bytes.subarray(e.begin, e.end);
    const shape = [...e.shape];
    if (["F32", "F16", "BF16", "F64"].includes(e.dtype)) {
      const f = new Float32Array(shape.reduce((a, d) => a * d, 1));
      toF32(raw, e.dtype, f, e.name);
      out[e.name] = { data: f, shape };
    } else out[e.name] = { data: toI32(raw, e.dtype, e.name), shape };
  }
  return out;
}

/** A case's input tensors as forward() takes them. */
export function forwardInputs(t: Record<string, Tensor>): ForwardInputs {
  return {
    inputIds: t.input_ids,
    attentionMask: t.attention_mask,
    pixelValues: t.pixel_values,
  };
}

/** snake_case golden output names → the API's camelCase names. */
export function apiName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** Outputs as the API returns them, by camelCase name. */
export type ApiOutputs = Record<string, { data: Float32Array; shape: number[] } | undefined>;

/**
 * Compares every output in the case's expected.safetensors at the case's tolerance; required
 * outputs must be produced. Returns one message per failure (empty when all hold).
 */
export function compareOutputs(c: GoldenCase, out: ApiOutputs): string[] {
  const expected = readTensors(`${c.dir}/${c.json.outputs}`);
  const failures: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = out[apiName(name)];
    const tol = c.json.tolerance[name] ?? { atol: 1e-4, rtol: 1e-4 };
    if (!got) {
      if (c.json.required_outputs.includes(name)) failures.push(`${name}: not produced`);
      continue;
    }
    if (got.shape.join() !== want.shape.join()) {
      failures.push(`${name}: shape [${got.shape}] != [${want.shape}]`);
      continue;
    }
    const r = compareClose(got.data, want.data, tol.atol, tol.rtol);
    if (!r.ok) {
      failures.push(
        `${name}: ${r.violations} out of tolerance, max|Δ| ${
          r.maxAbs.toExponential(2)
        } at ${r.worst}`,
      );
    }
  }
  for (const name of c.json.required_outputs) {
    if (!expected[name]) failures.push(`${name}: required but missing from ${c.json.outputs}`);
  }
  return failures;
}
