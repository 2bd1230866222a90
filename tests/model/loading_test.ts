// Strict loading: every missing, unexpected or mis-shaped tensor and every bad config field is an
// EdgeClipError naming the key and both shapes; variants of real checkpoints load.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { buildSafetensors, type TestTensor, toHalf } from "../_util/safetensors_build.ts";
import { cosine } from "../_util/assert_close.ts";
import { listCases, readTensors } from "../golden/clip_cases.ts";

const base = listCases().cases.find((c) => c.json.adapters.length === 0);
const ignore = !base;

function modelFiles(): { config: Record<string, unknown>; tensors: Record<string, TestTensor> } {
  const dir = base!.modelDir;
  const bytes = Deno.readFileSync(`${dir}/model.safetensors`);
  const h = parseSafetensors(bytes);
  const tensors: Record<string, TestTensor> = {};
  for (const e of h.entries.values()) {
    tensors[e.name] = {
      dtype: e.dtype as "F32",
      shape: [...e.shape],
      data: bytes.slice(e.begin, e.end),
    };
  }
  return { config: JSON.parse(Deno.readTextFileSync(`${dir}/config.json`)), tensors };
}

function files(config: unknown, tensors: Record<string, TestTensor>) {
  return {
    "config.json": JSON.stringify(config),
    "model.safetensors": buildSafetensors(tensors),
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, ...parts: string[]) {
  await rejects(p, (e) => {
    ok(e instanceof EdgeClipError, String(e));
    strictEqual(e.code, code, e.message);
    for (const part of parts) ok(e.message.includes(part), `"${e.message}" lacks "${part}"`);
    return true;
  });
}

Deno.test(
  { name: "loading: a missing tensor names the key and expected shape", ignore },
  async () => {
    const { config, tensors } = modelFiles();
    delete tensors["text_model.encoder.layers.1.mlp.fc1.bias"];
    await rejectsWith(
      loadClip(files(config, tensors)),
      "model_weights",
      "text_model.encoder.layers.1.mlp.fc1.bias",
      "[256]",
    );
  },
);

Deno.test({ name: "loading: a mis-shaped tensor names both shapes", ignore }, async () => {
  const { config, tensors } = modelFiles();
  const k = "vision_model.encoder.layers.0.self_attn.q_proj.weight";
  tensors[k] = { ...tensors[k], shape: [32, 128] };
  await rejectsWith(loadClip(files(config, tensors)), "model_weights", k, "[32, 128]", "[64, 64]");
});

Deno.test({ name: "loading: unexpected tensors are named", ignore }, async () => {
  const { config, tensors } = modelFiles();
  tensors["text_model.encoder.layers.9.extra"] = {
    dtype: "F32",
    shape: [1],
    data: new Uint8Array(4),
  };
  await rejectsWith(
    loadClip(files(config, tensors)),
    "model_weights",
    "text_model.encoder.layers.9.extra",
  );
});

Deno.test({
  name: "loading: a config with more layers than the weights fails on the first missing one",
  ignore,
}, async () => {
  const { config, tensors } = modelFiles();
  (config.text_config as Record<string, number>).num_hidden_layers = 4;
  await rejectsWith(
    loadClip(files(config, tensors)),
    "model_weights",
    "text_model.encoder.layers.3.",
  );
});

Deno.test({ name: "loading: invalid config values are model_config errors", ignore }, async () => {
  const { config, tensors } = modelFiles();
  const bad = structuredClone(config);
  (bad.vision_config as Record<string, number>).num_attention_heads = 5;
  await rejectsWith(loadClip(files(bad, tensors)), "model_config", "not divisible");
  const bad2 = structuredClone(config);
  (bad2.text_config as Record<string, unknown>).hidden_act = "swiglu";
  await rejectsWith(loadClip(files(bad2, tensors)), "model_config", "hidden_act");
  await rejectsWith(
    loadClip({ "config.json": "{", "model.safetensors": buildSafetensors(tensors) }),
    "model_config",
  );
  await rejectsWith(
    loadClip({ "config.json": JSON.stringify(config) }),
    "source_unavailable",
    "model.safetensors",
  );
  await rejectsWith(loadClip("/nonexistent/edgeclip/model"), "source_unavailable");
});

Deno.test(
  { name: "loading: F16 weights, `clip.` prefixes and position_ids buffers load", ignore },
  async () => {
    const { config, tensors } = modelFiles();
    const inputs = readTensors(base!.inputsFile);
    const run = async (t: Record<string, TestTensor>) => {
      const clip = await loadClip(files(config, t));
      const out = await clip.forward({
        inputIds: inputs.input_ids,
        attentionMask: inputs.attention_mask,
        pixelValues: inputs.pixel_values,
      });
      clip.dispose();
      return out;
    };
    const ref = await run(tensors);
    // f16: every float tensor halved in precision; embeddings stay close
    const half: Record<string, TestTensor> = {};
    for (const [k, t] of Object.entries(tensors)) {
      const f = new Float32Array(t.data.buffer, t.data.byteOffset, t.data.length / 4);
      const h = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) h[i] = toHalf(f[i]);
      half[k] = { dtype: "F16", shape: t.shape, data: new Uint8Array(h.buffer) };
    }
    const h = await run(half);
    ok(cosine(h.textEmbeds!.data, ref.textEmbeds!.data) > 0.999);
    ok(cosine(h.imageEmbeds!.data, ref.imageEmbeds!.data) > 0.999);
    // CLIPAdapterModel checkpoints prefix every key with `clip.`; old ones carry position_ids
    const prefixed = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [`clip.${k}`, t]));
    prefixed["clip.text_model.embeddings.position_ids"] = {
      dtype: "I64",
      shape: [1, 77],
      data: new Uint8Array(77 * 8),
    };
    const p = await run(prefixed);
    deepStrictEqual(p.textEmbeds!.data, ref.textEmbeds!.data);
  },
);

Deno.test(
  { name: "loading: single-tower checkpoints (text / vision, with projection)", ignore },
  async () => {
    const { config, tensors } = modelFiles();
    const inputs = readTensors(base!.inputsFile);
    const ref = await (await loadClip(files(config, tensors))).forward({
      inputIds: inputs.input_ids,
      attentionMask: inputs.attention_mask,
      pixelValues: inputs.pixel_values,
    });
    const pick = (pre: string[]) =>
      Object.fromEntries(Object.entries(tensors).filter(([k]) => pre.some((p) => k.startsWith(p))));
    const tc = {
      ...(config.text_config as object),
      architectures: ["CLIPTextModelWithProjection"],
      projection_dim: config.projection_dim,
    };
    const text = await loadClip(files(tc, pick(["text_model.", "text_projection."])));
    strictEqual(text.config.architecture, "CLIPTextModelWithProjection");
    const t = await text.forward({
      inputIds: inputs.input_ids,
      attentionMask: inputs.attention_mask,
    });
    deepStrictEqual(t.textEmbeds!.data, ref.textEmbeds!.data);
    await rejectsWith(
      text.forward({ pixelValues: inputs.pixel_values }),
      "tower_missing",
      "vision",
    );
    const vc = { ...(config.vision_config as object), projection_dim: config.projection_dim };
    const vision = await loadClip(files(vc, pick(["vision_model.", "visual_projection."])));
    strictEqual(vision.config.architecture, "CLIPVisionModelWithProjection");
    const v = await vision.forward({ pixelValues: inputs.pixel_values });
    deepStrictEqual(v.imageEmbeds!.data, ref.imageEmbeds!.data);
    const noProj = await loadClip(files(vc, pick(["vision_model."])));
    strictEqual(noProj.config.architecture, "CLIPVisionModel");
    const np = await noProj.forward({ pixelValues: inputs.pixel_values });
    strictEqual(np.imageEmbeds, undefined);
    deepStrictEqual(np.visionPoolerOutput!.data, ref.visionPoolerOutput!.data);
  },
);

Deno.test({ name: "forward: bad inputs are invalid_input errors", ignore }, async () => {
  const { config, tensors } = modelFiles();
  const clip = await loadClip(files(config, tensors));
  await rejectsWith(
    clip.forward({ inputIds: { data: new Int32Array([49406, 70000]), shape: [1, 2] } }),
    "invalid_input",
    "70000",
  );
  await rejectsWith(
    clip.forward({ inputIds: { data: new Int32Array(3), shape: [2, 2] } }),
    "invalid_input",
  );
  await rejectsWith(
    clip.forward({ inputIds: { data: new Int32Array(78), shape: [1, 78] } }),
    "input_too_long",
  );
  await rejectsWith(
    clip.forward({ pixelValues: { data: new Float32Array(10), shape: [1, 3, 224, 224] } }),
    "invalid_input",
  );
  await rejectsWith(
    clip.forward({ pixelValues: { data: new Float32Array(3 * 64 * 64), shape: [1, 3, 64, 64] } }),
    "invalid_input",
  );
  clip.dispose();
  await rejectsWith(clip.forward({}), "disposed");
});
