// Golden conformance of the base model (cases without adapters) in f32: every output the case
// lists, at the case's tolerance. Adapter cases are run by tests/golden/clip_adapters_test.ts.

import { ok } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { goldenDir, goldenRequired } from "../_util/golden.ts";
import {
  ALT_GOLDEN_DIR,
  type ApiOutputs,
  compareOutputs,
  type GoldenCase,
  listCases,
  readTensors,
} from "./clip_cases.ts";

const { root, manifest, cases } = listCases();

Deno.test({
  name: "golden clip fixtures are present",
  // with $CLIP_GOLDEN_DIR set, its clip cases are required (a wrong folder must fail the run)
  ignore: root === null && !goldenRequired(),
  fn() {
    ok(root !== null, `no clip/ folder in ${goldenDir()}`);
    ok(cases.length > 0, `no cases in ${root}/manifest.json`);
  },
});

// $CLIP_GOLDEN_DIR's cases, then the in-repo alt set (gelu, eos_token_id 2, odd widths, left padding)
const alt = listCases(ALT_GOLDEN_DIR);
const all: [string, GoldenCase][] = [
  ...cases.map((c): [string, GoldenCase] => [manifest?.label ?? "golden", c]),
  ...alt.cases.map((c): [string, GoldenCase] => [alt.manifest!.label, c]),
];

for (const [label, c] of all.filter(([, c]) => c.json.adapters.length === 0 && !c.json.fusion)) {
  Deno.test(`golden clip f32 [${label}]: ${c.name}`, async () => {
    const clip = await loadClip(c.modelDir);
    const inputs = readTensors(c.inputsFile);
    const out = await clip.forward({
      inputIds: inputs.input_ids,
      attentionMask: inputs.attention_mask,
      pixelValues: inputs.pixel_values,
    }) as ApiOutputs;
    const failures = compareOutputs(c, out);
    clip.dispose();
    ok(failures.length === 0, failures.join("\n"));
  });
}
