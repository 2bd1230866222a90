// Classifier packages: the image tower and a fixed label set whose embeddings were made at
// conversion. classify(image) on one equals the full model's classify(image, labels) for the same
// labels and templates (adapters on either tower included), from a Hugging Face folder or a
// package; asking one for text, and every malformed classifier package, fail with a named code.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type Clip, EdgeClipError, loadClip, Stack } from "../../mod.ts";
import { makeLabelHead } from "../../src/api/label_head.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import type { Source } from "../../src/io/source.ts";
import { CLASSIFIER, META } from "../../src/package/format.ts";
import { buildSafetensors, type TestTensor } from "../_util/safetensors_build.ts";
import { goldenPath } from "../_util/golden.ts";

const MODEL = goldenPath("clip", "model");
const CASES = goldenPath("clip", "cases");
const IMAGE = goldenPath("images", "rgb_640x480_checker_baseline.jpg");
const ignore = !MODEL || !CASES || !IMAGE;

const LABELS = ["cat", "dog", "red square", "blue circle", "a tree", "the sea", "café"];

/** A classifier package of `source` (labels, template, adapter folders) as bytes. */
async function classifier(
  source: Source,
  opts: { labels?: string[]; template?: string | string[]; adapters?: Source[] } = {},
): Promise<Uint8Array> {
  const { labels = LABELS, template, adapters } = opts;
  const { bytes } = await convertClipToBytes(source, {
    classifier: { labelHead: (loaded) => makeLabelHead(loaded, { labels, template, adapters }) },
  });
  return bytes;
}

function adapterDir(name: string): string {
  return `${CASES}/${name}/adapters/${name}`;
}

/** The seq_bn adapter with its vision layers left out (global ids 3, 4): text side only. */
async function textOnlyBottleneck(name = "text_bn"): Promise<Record<string, Uint8Array>> {
  const dir = adapterDir("seq_bn");
  // edited as text: the library's float fields (scaling 1.0) must stay floats
  const cfg = (await Deno.readTextFile(`${dir}/adapter_config.json`))
    .replace('"leave_out": []', '"leave_out": [3, 4]')
    .replace('"name": "seq_bn"', `"name": "${name}"`);
  const bytes = await Deno.readFile(`${dir}/adapter.safetensors`);
  const h = parseSafetensors(bytes);
  const tensors: Record<string, TestTensor> = {};
  for (const [key, e] of h.entries) {
    if (key.startsWith("vision_model.")) continue;
    tensors[key.replaceAll(".seq_bn.", `.${name}.`)] = {
      dtype: e.dtype as TestTensor["dtype"],
      shape: [...e.shape],
      data: bytes.subarray(e.begin, e.end),
    };
  }
  return {
    "adapter_config.json": new TextEncoder().encode(cfg),
    "adapter.safetensors": buildSafetensors(tensors),
  };
}

async function code(p: Promise<unknown>, want: string): Promise<void> {
  await rejects(p, (e) => e instanceof EdgeClipError && e.code === want);
}

Deno.test({
  name: "classifier: classify(image) equals the int8 model's classify(image, labels)",
  ignore,
  async fn() {
    const image = await Deno.readFile(IMAGE!);
    const full = await loadClip(MODEL!, { dtype: "int8" });
    for (const template of [undefined, "a drawing of a {}.", "clip-imagenet-7"]) {
      const c = await loadClip({ "c.safetensors": await classifier(MODEL!, { template }) });
      deepStrictEqual(c.labels, LABELS);
      deepStrictEqual(await c.classify(image), await full.classify(image, LABELS, { template }));
      deepStrictEqual(
        await c.classify(image, null, { topK: 2 }),
        await full.classify(image, LABELS, { template, topK: 2 }),
      );
      deepStrictEqual(await c.embedImage(image), await full.embedImage(image));
      deepStrictEqual(await c.embedLabels(), await full.embedLabels(LABELS, { template }));
    }
  },
});

Deno.test({
  name: "classifier: with adapters (LoRA merged on both towers, a text-only bottleneck active)",
  ignore,
  async fn() {
    const image = await Deno.readFile(IMAGE!);
    const textBn = await textOnlyBottleneck();
    const full = await loadClip(MODEL!, { dtype: "int8" });
    strictEqual(await full.loadAdapter(adapterDir("lora")), "lora");
    await full.mergeAdapter("lora");
    strictEqual(await full.loadAdapter(textBn), "text_bn");
    deepStrictEqual(full.adapterTowers("lora"), []);
    deepStrictEqual(full.adapterTowers("text_bn"), ["text"]);
    const base = await loadClip(MODEL!, { dtype: "int8" });
    await base.loadAdapter(textBn);
    const cases: [Source[], Clip, string | null][] = [
      [[adapterDir("lora")], full, null],
      [[textBn], base, "text_bn"],
      [[adapterDir("lora"), textBn], full, "text_bn"],
    ];
    for (const [adapters, ref, setup] of cases) {
      const template = "clip-imagenet-7";
      const bytes = await classifier(MODEL!, { adapters, template });
      const c = await loadClip({ "c.safetensors": bytes });
      const want = await ref.classify(image, LABELS, { template, adapters: setup });
      deepStrictEqual(await c.classify(image), want);
      const made = JSON.parse(parseSafetensors(bytes).metadata[CLASSIFIER.made]);
      strictEqual(made.template_preset, template);
      deepStrictEqual(
        made.adapters.map((a: { active: boolean }) => a.active),
        adapters.map((a) => a === textBn),
      );
    }
    // a LoRA changes the image side, so the check above is not vacuous
    const plain = await loadClip({ "c.safetensors": await classifier(MODEL!) });
    ok(
      JSON.stringify(await plain.embedImage(image)) !==
        JSON.stringify(await full.embedImage(image, { adapters: null })),
    );
  },
});

Deno.test({
  name: "classifier: several text-side adapters are stacked for the labels",
  ignore,
  async fn() {
    const image = await Deno.readFile(IMAGE!);
    const inv = `${CASES}/seq_bn_inv/adapters/seq_bn_inv`;
    const textBn = await textOnlyBottleneck();
    // seq_bn_inv acts on the vision tower too: refused, naming it
    await rejects(
      classifier(MODEL!, { adapters: [textBn, inv] }),
      (e) =>
        e instanceof EdgeClipError && e.code === "adapter_unsupported" &&
        /seq_bn_inv/.test(e.message),
    );
    const other = await textOnlyBottleneck("other_bn");
    const full = await loadClip(MODEL!, { dtype: "int8" });
    await full.loadAdapter(textBn);
    await full.loadAdapter(other);
    const c = await loadClip({
      "c.safetensors": await classifier(MODEL!, { adapters: [textBn, other] }),
    });
    deepStrictEqual(
      await c.classify(image),
      await full.classify(image, LABELS, { adapters: Stack("text_bn", "other_bn") }),
    );
  },
});

Deno.test({
  name: "classifier: made from an int8 package equals that package's classify(image, labels)",
  ignore,
  async fn() {
    const image = await Deno.readFile(IMAGE!);
    const { bytes: pkg } = await convertClipToBytes(MODEL!);
    const full = await loadClip({ "m.safetensors": pkg });
    const bytes = await classifier({ "m.safetensors": pkg }, { template: ["a {}.", "the {}!"] });
    const c = await loadClip({ "c.safetensors": bytes });
    deepStrictEqual(
      await c.classify(image),
      await full.classify(image, LABELS, { template: ["a {}.", "the {}!"] }),
    );
    const meta = parseSafetensors(bytes).metadata;
    strictEqual(meta[META.towers], "vision");
    deepStrictEqual(JSON.parse(meta[CLASSIFIER.templates]), ["a {}.", "the {}!"]);
    // and from the folder, the same package but for where it came from
    const direct = parseSafetensors(await classifier(MODEL!, { template: ["a {}.", "the {}!"] }));
    deepStrictEqual([...direct.entries.keys()], [...parseSafetensors(bytes).entries.keys()]);
    // a classifier package has no text tower to embed new labels with
    await code(classifier({ "c.safetensors": bytes }), "tower_missing");
    // LoRA on a package: merged into its int8 weights at conversion, as mergeAdapter does
    const withLora = await loadClip({
      "c.safetensors": await classifier({ "m.safetensors": pkg }, {
        adapters: [adapterDir("lora")],
      }),
    });
    await full.loadAdapter(adapterDir("lora"));
    await full.mergeAdapter("lora");
    deepStrictEqual(await withLora.classify(image), await full.classify(image, LABELS));
  },
});

Deno.test({
  name: "classifier: a classifier package converted again (to int4) keeps its label head",
  ignore,
  async fn() {
    const bytes = await classifier(MODEL!, { template: ["a {}.", "the {}!"] });
    const { bytes: again, report } = await convertClipToBytes(
      { "c.safetensors": bytes },
      { dtype: "int4" },
    );
    strictEqual(report.labels, LABELS.length);
    const [c, c4] = [
      await loadClip({ "c.safetensors": bytes }),
      await loadClip({ "c4.safetensors": again }),
    ];
    deepStrictEqual(c4.labels, c.labels);
    deepStrictEqual(await c4.embedLabels(), await c.embedLabels());
    const meta = parseSafetensors(again).metadata;
    strictEqual(meta[CLASSIFIER.templates], parseSafetensors(bytes).metadata[CLASSIFIER.templates]);
    strictEqual((await c4.classify(await Deno.readFile(IMAGE!))).length, LABELS.length);
  },
});

Deno.test({
  name: "classifier: text calls, templates and missing labels are named errors",
  ignore,
  async fn() {
    const c = await loadClip({
      "c.safetensors": await classifier(MODEL!, { labels: ["a", "b"] }),
    });
    const px = { data: new Uint8Array(40 * 30 * 3).fill(90), width: 40, height: 30 };
    strictEqual((await c.classify(px)).length, 2);
    await code(c.embedText("a"), "tower_missing");
    await code(c.classify(px, ["a", "b"]), "tower_missing");
    await code(c.classify(px, null, { template: "a {}" }), "invalid_input");
    await code(c.classify(px, undefined, { topK: 0 }), "invalid_input");
    await code(
      c.forward({ inputIds: { data: new Int32Array(2), shape: [1, 2] } }),
      "tower_missing",
    );
    const full = await loadClip(MODEL!);
    strictEqual(full.labels, undefined);
    await code(full.classify(px), "invalid_input");
    await code(classifier(MODEL!, { labels: ["a", "a"] }), "invalid_input");
    await code(classifier(MODEL!, { labels: ["a", ""] }), "invalid_input");
    await code(classifier(MODEL!, { template: "no slot" }), "invalid_input");
    await code(
      convertClipToBytes(MODEL!, {
        towers: "text",
        classifier: { labelHead: (l) => makeLabelHead(l, { labels: ["a"] }) },
      }),
      "invalid_input",
    );
    // a package converts (re-quantized, or to a classifier) but takes no adapters to merge
    const { bytes: pkg } = await convertClipToBytes(MODEL!);
    await code(
      convertClipToBytes({ "m.safetensors": pkg }, { adapters: [adapterDir("lora")] }),
      "invalid_input",
    );
  },
});

Deno.test({
  name: "classifier: a malformed label head is a model_format error",
  ignore,
  async fn() {
    const good = await classifier(MODEL!, { labels: ["a", "b", "c"] });
    const h = parseSafetensors(good);
    const rebuild = (
      meta: (m: Record<string, string>) => void,
      tensor?: (t: TestTensor) => TestTensor | undefined,
    ) => {
      const m = { ...h.metadata };
      meta(m);
      const tensors: Record<string, TestTensor> = {};
      for (const [name, e] of h.entries) {
        let t: TestTensor | undefined = {
          dtype: e.dtype as TestTensor["dtype"],
          shape: [...e.shape],
          data: good.subarray(e.begin, e.end),
        };
        if (name === CLASSIFIER.tensor && tensor) t = tensor(t);
        if (t) tensors[name] = t;
      }
      return loadClip({ "c.safetensors": buildSafetensors(tensors, m) });
    };
    ok(await rebuild(() => {}));
    await code(rebuild((m) => m[CLASSIFIER.labels] = "[a"), "model_format");
    await code(rebuild((m) => m[CLASSIFIER.labels] = '["a","b"]'), "model_format");
    await code(rebuild((m) => m[CLASSIFIER.labels] = '["a","a","b"]'), "model_format");
    await code(rebuild((m) => m[CLASSIFIER.labels] = '["a",1,"b"]'), "model_format");
    await code(rebuild((m) => m[CLASSIFIER.templates] = "[]"), "model_format");
    await code(rebuild((m) => m[CLASSIFIER.made] = "{"), "model_format");
    await code(rebuild(() => {}, () => undefined), "model_format");
    await code(rebuild((m) => delete m[CLASSIFIER.labels]), "model_format");
    await code(
      rebuild(() => {}, (t) => ({ ...t, shape: [t.shape[1], t.shape[0]] })),
      "model_format",
    );
    // a non-finite value anywhere (first, inside, last) is refused
    for (const [at, v] of [[0, -Infinity], [1, NaN], [-1, Infinity]]) {
      await code(
        rebuild(() => {}, (t) => {
          const data = t.data.slice();
          const f = new Float32Array(data.buffer);
          f[at < 0 ? f.length + at : at] = v;
          return { ...t, data };
        }),
        "model_format",
      );
    }
  },
});
