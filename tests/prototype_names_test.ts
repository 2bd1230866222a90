// Every name Object.prototype carries ("toString", "constructor", "__proto__", …) fed to every
// lookup of a user-supplied string in a table: config.json, preprocessor_config.json, safetensors
// dtypes, pickle globals, adapter configs, presets and compositions, loadClip and classify
// options, in-memory file names, kernel activations, HTTP requests and CLI flags. Each must be an
// EdgeClipError (or, where the name is data — a label, a text — the plain answer), never a
// built-in found through the prototype chain.

import { ok, rejects, strictEqual, throws } from "node:assert/strict";
import { adapterSetupFromDict, EdgeClipError, loadClip, TEMPLATE_PRESETS } from "../mod.ts";
import { createHandler } from "../server.ts";
import { parseClipConfig } from "../src/model/config.ts";
import { parseHeader } from "../src/io/safetensors.ts";
import { unpickle } from "../src/io/pickle.ts";
import { memoryFileSet } from "../src/io/source.ts";
import { parsePreprocessConfig } from "../src/image/preprocess_config.ts";
import { parseAdapterConfig } from "../src/adapters/config.ts";
import { parseFusionConfig } from "../src/adapters/methods/fusion.ts";
import { adapterActivation } from "../src/adapters/activation.ts";
import { actCode } from "../src/wasm/abi.ts";
import { dtypeFlag, parse, precisionFlag, USAGE, usage, UsageError } from "../src/cli/args.ts";
import { goldenPath } from "./_util/golden.ts";
import { buildSafetensors, f32Tensor } from "./_util/safetensors_build.ts";
import { goldenCase, readFolder, writeFolder } from "./adapters/_folders.ts";

/** Object.prototype's own names, plus the two the fuzzing run also tried. */
const NAMES = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__", "prototype"]),
];

const MODEL = goldenPath("clip", "model");
const IMAGE = goldenPath("images") &&
  [...Deno.readDirSync(goldenPath("images")!)].find((e) => e.name.endsWith(".png"))?.name;

function isCode(code: string) {
  return (e: unknown) => {
    ok(e instanceof EdgeClipError, `not an EdgeClipError: ${e}`);
    strictEqual(e.code, code, e.message);
    return true;
  };
}

/** A JSON object with `name` as a key (a computed key makes "__proto__" an own property). */
function withKey(name: string, value: unknown, rest: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...rest, [name]: value });
}

Deno.test("prototype names: the list holds the names the fuzzing run found", () => {
  for (const n of ["toString", "constructor", "valueOf", "hasOwnProperty", "__proto__"]) {
    ok(NAMES.includes(n), n);
  }
});

Deno.test("prototype names: config.json fields (parseClipConfig)", () => {
  const has = () => false;
  for (const name of NAMES) {
    for (const tower of ["text_config", "vision_config"]) {
      throws(
        () => parseClipConfig(JSON.stringify({ [tower]: { hidden_act: name } }), has),
        isCode("model_config"),
        `${tower}.hidden_act ${name}`,
      );
    }
    throws(
      () => parseClipConfig(JSON.stringify({ model_type: name }), has),
      isCode("model_config"),
      `model_type ${name}`,
    );
    // architectures is data to match, not a table key: an unknown entry is ignored and the
    // class follows from the weights, as for any other unknown name
    const single = parseClipConfig(
      JSON.stringify({ model_type: "clip_text_model", architectures: [name] }),
      (k) => k === "text_projection.weight",
    );
    strictEqual(single.architecture, "CLIPTextModelWithProjection");
  }
});

Deno.test({
  name: "prototype names: config.json hidden_act and safetensors dtype, end to end",
  ignore: !MODEL,
  async fn() {
    const config = JSON.parse(Deno.readTextFileSync(`${MODEL}/config.json`));
    const weights = Deno.readFileSync(`${MODEL}/model.safetensors`);
    for (const name of NAMES) {
      const cfg = { ...config, text_config: { ...config.text_config, hidden_act: name } };
      await rejects(
        loadClip({ "config.json": JSON.stringify(cfg), "model.safetensors": weights }),
        isCode("model_config"),
        `hidden_act ${name}`,
      );
      const t = f32Tensor([2], [1, 2]);
      const bad = buildSafetensors({ w: { ...t, dtype: name as "F32" } });
      await rejects(
        loadClip({ "config.json": JSON.stringify(config), "model.safetensors": bad }),
        isCode("model_format"),
        `dtype ${name}`,
      );
      const json = new TextEncoder().encode(
        withKey("w", { dtype: name, shape: [1], data_offsets: [0, 4] }),
      );
      throws(() => parseHeader(json, 8 + json.length + 4, "x"), isCode("model_format"));
    }
  },
});

Deno.test("prototype names: preprocessor_config.json fields", () => {
  for (const name of NAMES) {
    for (const field of ["resample", "size", "crop_size", "image_mean", "image_std", "do_resize"]) {
      throws(
        () => parsePreprocessConfig({ [field]: name }),
        isCode("model_config"),
        `${field} ${name}`,
      );
    }
    // an unknown key is ignored, as Hugging Face ignores it; it must not change a default
    const cfg = parsePreprocessConfig(JSON.parse(withKey(name, 3)));
    strictEqual(cfg.resample, 3);
  }
});

Deno.test("prototype names: pickle globals and in-memory file names", async () => {
  const enc = new TextEncoder();
  for (const name of NAMES) {
    for (const module of ["torch", "collections", name]) {
      const pkl = new Uint8Array([0x80, 2, ...enc.encode(`c${module}\n${name}\n`), 0x2e]);
      throws(() => unpickle(pkl, "x.pkl"), isCode("adapter_format"), `${module}.${name}`);
    }
    const files = memoryFileSet({ "config.json": "{}" });
    strictEqual(await files.exists(name), false, name);
    await rejects(files.bytes(name), isCode("source_unavailable"));
  }
});

Deno.test("prototype names: adapter configs, fusion configs, activations, kernels", () => {
  for (const name of NAMES) {
    throws(() => parseAdapterConfig(name), isCode("adapter_format"), `preset ${name}`);
    throws(
      () => parseAdapterConfig({ architecture: name }),
      isCode("adapter_format"),
      `architecture ${name}`,
    );
    throws(
      () => parseAdapterConfig(JSON.parse(withKey(name, 1, { architecture: "lora" }))),
      isCode("adapter_format"),
      `config key ${name}`,
    );
    throws(() => parseFusionConfig(name), isCode("adapter_format"), `fusion ${name}`);
    throws(() => adapterActivation(name), isCode("adapter_unsupported"), `act ${name}`);
    throws(() => actCode(name as "none"), isCode("runtime"), `kernel act ${name}`);
    throws(
      () => adapterSetupFromDict({ type: name, children: [], kwargs: { weights: [1] } }),
      isCode("adapter_setup"),
      `composition ${name}`,
    );
    throws(
      () => adapterSetupFromDict({ type: "Stack", children: [{ type: name, children: ["a"] }] }),
      isCode("adapter_setup"),
      `child ${name}`,
    );
  }
});

Deno.test({
  name: "prototype names: adapter folders, setups and options through the API",
  ignore: !goldenCase("seq_bn"),
  async fn() {
    const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
    const { meta, t } = readFolder("seq_bn", "seq_bn");
    for (const name of NAMES) {
      const cfg = (patch: Record<string, unknown>) =>
        writeFolder({ ...meta, config: { ...(meta.config as object), ...patch } }, t);
      await rejects(clip.loadAdapter(cfg({ non_linearity: name })), isCode("adapter_unsupported"));
      await rejects(clip.loadAdapter(cfg({ architecture: name })), isCode("adapter_format"));
      await rejects(
        clip.loadAdapter(writeFolder({ ...meta, config: name }, t)),
        isCode("adapter_format"),
      );
      await rejects(
        clip.loadAdapter(writeFolder(meta, t), { overrides: JSON.parse(withKey(name, 1)) }),
        isCode("adapter_format"),
      );
      throws(() => clip.setActiveAdapters(name), isCode("adapter_setup"), `setup ${name}`);
      await rejects(clip.embedText("x", { adapters: name }), isCode("adapter_setup"));
      await rejects(loadClip(MODEL!, { int8Precision: name as "high" }), isCode("invalid_input"));
      await rejects(loadClip(MODEL!, { dtype: name as "f32" }), isCode("invalid_input"));
      await rejects(loadClip(MODEL!, { towers: name as "both" }), isCode("invalid_input"));
    }
    clip.dispose();
  },
});

Deno.test({
  name: "prototype names: classify templates are refused; labels and texts are plain data",
  ignore: !MODEL || !IMAGE,
  async fn() {
    const clip = await loadClip(MODEL!);
    const image = Deno.readFileSync(`${goldenPath("images")}/${IMAGE}`);
    ok(!TEMPLATE_PRESETS.has("toString"));
    for (const name of NAMES) {
      await rejects(clip.classify(image, ["cat"], { template: name }), isCode("invalid_input"));
      const results = await clip.classify(image, [name, "cat"]);
      ok(results.some((r) => r.label === name) && results.length === 2, name);
      const tok = clip.tokenize(name).inputIds.data;
      const ent = clip.tokenize(`&${name};`).inputIds.data;
      ok(tok[1] !== 0 && ent[1] !== 0, name); // tokens, not an empty row
    }
    clip.dispose();
  },
});

Deno.test({
  name: "prototype names: HTTP request fields, paths and methods",
  ignore: !MODEL || !IMAGE,
  async fn() {
    const clip = await loadClip(MODEL!);
    const handler = createHandler(clip, { modelName: "model", onError: () => {} });
    const image = `data:image/png;base64,${
      Deno.readFileSync(`${goldenPath("images")}/${IMAGE}`).toBase64()
    }`;
    const post = (path: string, body: string) =>
      handler(
        new Request(`http://x${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        }),
      );
    const status = async (p: Promise<Response>) => {
      const r = await p;
      await r.body?.cancel();
      return r.status;
    };
    for (const name of NAMES) {
      const e = "/v1/embeddings", c = "/v1/classify";
      strictEqual(await status(post(e, withKey(name, 1, { input: "x" }))), 400, `key ${name}`);
      strictEqual(
        await status(post(e, JSON.stringify({ input: "x", encoding_format: name }))),
        400,
      );
      strictEqual(
        await status(post(e, JSON.stringify({ input: [{ type: name, text: "x" }] }))),
        400,
      );
      strictEqual(await status(post(e, JSON.stringify({ input: "x", adapters: name }))), 400);
      strictEqual(await status(post(e, JSON.stringify({ input: "x", model: name }))), 404);
      strictEqual(await status(post(e, JSON.stringify({ input: name }))), 200);
      strictEqual(
        await status(post(c, JSON.stringify({ image, labels: ["a"], template: name }))),
        400,
      );
      strictEqual(await status(post(c, JSON.stringify({ image, labels: [name, "a"] }))), 200);
      strictEqual(await status(handler(new Request(`http://x/${name}`))), 404, `path ${name}`);
      strictEqual(await status(handler(new Request(`http://x/v1/${name}`))), 404);
      strictEqual(
        await status(handler(new Request("http://x/healthz", { method: name }))),
        405,
        `method ${name}`,
      );
    }
    clip.dispose();
  },
});

Deno.test("prototype names: CLI flags, flag values and commands", () => {
  for (const name of NAMES) {
    throws(() => parse("serve", [`--${name}`], {}), UsageError, `--${name}`);
    throws(() => parse("serve", [`--${name}=1`], {}), UsageError);
    throws(() => dtypeFlag("serve", name), UsageError);
    throws(() => precisionFlag("serve", name), UsageError);
    strictEqual(usage(name), USAGE.main);
  }
});
