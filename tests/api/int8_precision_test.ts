// loadClip's int8Precision: "high" runs every int8 linear on u12 activations (exactly the
// HIGH_PRECISION_Q8_POLICY model), "balanced" (default) is DEFAULT_Q8_POLICY; both stay within
// the golden cosine bound, and on a relaxed-SIMD host they differ (u7 runs somewhere).

import { deepStrictEqual, notDeepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError, loadClip } from "../../mod.ts";
import { openModel } from "../../src/api/load.ts";
import { runForward } from "../../src/api/forward.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import {
  DEFAULT_Q8_POLICY,
  HIGH_PRECISION_Q8_POLICY,
  type Q8Policy,
} from "../../src/model/linear_q8.ts";
import { pickVariant } from "../../src/wasm/module.ts";
import { listCases, readTensors } from "../golden/clip_cases.ts";
import { precisionFlag, UsageError } from "../../src/cli/args.ts";

const base = listCases().cases.find((c) => c.json.adapters.length === 0 && !c.json.fusion);
const ignore = !base;

function cosines(a: Float32Array, b: ArrayLike<number>, dim: number): number[] {
  return Array.from({ length: a.length / dim }, (_, r) => {
    let d = 0, x = 0, y = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) {
      d += a[i] * b[i];
      x += a[i] ** 2;
      y += b[i] ** 2;
    }
    return d / Math.sqrt(x * y);
  });
}

async function embeds(precision: "balanced" | "high" | undefined) {
  const inputs = readTensors(base!.inputsFile);
  const clip = await loadClip(base!.modelDir, { dtype: "int8", int8Precision: precision });
  const out = await clip.forward({
    inputIds: inputs.input_ids,
    attentionMask: inputs.attention_mask,
    pixelValues: inputs.pixel_values,
  });
  clip.dispose();
  return {
    text: out.textEmbeds!.data as Float32Array,
    image: out.imageEmbeds!.data as Float32Array,
  };
}

async function withPolicy(policy: Q8Policy) {
  const inputs = readTensors(base!.inputsFile);
  const m = await openModel(base!.modelDir, { dtype: "int8", q8Policy: policy });
  const out = runForward(m.model, {
    inputIds: inputs.input_ids,
    attentionMask: inputs.attention_mask,
    pixelValues: inputs.pixel_values,
  }, () => NO_HOOKS);
  return { text: out.textEmbeds!.data.slice(), image: out.imageEmbeds!.data.slice() };
}

Deno.test({ name: "int8Precision: each setting is its policy, bit for bit", ignore }, async () => {
  deepStrictEqual(await embeds("high"), await withPolicy(HIGH_PRECISION_Q8_POLICY));
  const balanced = await embeds(undefined);
  deepStrictEqual(balanced, await embeds("balanced"));
  deepStrictEqual(balanced, await withPolicy(DEFAULT_Q8_POLICY));
  if (pickVariant() === "relaxed") {
    const high = await embeds("high");
    notDeepStrictEqual(balanced.text, high.text);
    notDeepStrictEqual(balanced.image, high.image);
  }
});

Deno.test({ name: "int8Precision: both settings stay close to f32", ignore }, async () => {
  const expected = readTensors(`${base!.dir}/${base!.json.outputs}`);
  const P = expected.text_embeds.shape[1];
  for (const p of ["balanced", "high"] as const) {
    const e = await embeds(p);
    for (const c of cosines(e.text, expected.text_embeds.data, P)) ok(c > 0.9995, `${p} text ${c}`);
    for (const c of cosines(e.image, expected.image_embeds.data, P)) {
      ok(c > 0.9995, `${p} image ${c}`);
    }
  }
});

Deno.test({ name: "int8Precision: an unknown setting is invalid_input", ignore }, async () => {
  await rejects(
    () => loadClip(base!.modelDir, { dtype: "int8", int8Precision: "max" as never }),
    (e) =>
      e instanceof EdgeClipError && e.code === "invalid_input" && /int8Precision/.test(e.message),
  );
});

Deno.test("DEFAULT_Q8_POLICY: u7 on vision and on LayerNorm-fed text linears, relaxed only", () => {
  const fmt = (p: string, v: "relaxed" | "simd128") => DEFAULT_Q8_POLICY.actFormat(p, v);
  const t = "text_model.encoder.layers.3.";
  for (const name of ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.fc1"]) {
    strictEqual(fmt(t + name, "relaxed"), "u7", name);
    strictEqual(fmt(t + name, "simd128"), "u12", name);
  }
  for (const name of ["self_attn.out_proj", "mlp.fc2"]) {
    strictEqual(fmt(t + name, "relaxed"), "u12");
  }
  strictEqual(fmt("vision_model.encoder.layers.0.mlp.fc2", "relaxed"), "u7");
  strictEqual(fmt("vision_model.encoder.layers.0.mlp.fc2", "simd128"), "u12");
  strictEqual(HIGH_PRECISION_Q8_POLICY.actFormat(t + "mlp.fc1", "relaxed"), "u12");
});

Deno.test("--int8-precision: balanced by default, high, anything else a usage error", () => {
  strictEqual(precisionFlag("embed", undefined), "balanced");
  strictEqual(precisionFlag("embed", "high"), "high");
  try {
    precisionFlag("embed", "u7");
    ok(false, "accepted u7");
  } catch (e) {
    ok(e instanceof UsageError && /int8-precision/.test(e.message));
  }
});
