// The converted package: its layout (metadata, packed tensors, what is kept f32 or dropped), that
// loading it is the quantize-at-load model, single-tower packages, and every way a package can be
// wrong or misused failing with a named EdgeClipError.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { convertClip, convertClipToBytes } from "../../src/convert/mod.ts";
import { readAhead } from "../../src/io/read_ahead.ts";
import {
  META,
  metaFile,
  PACKAGE_LAYOUT,
  PACKAGE_VERSION,
  packageFiles,
} from "../../src/package/format.ts";
import { ClipModel } from "../../src/model/clip_model.ts";
import { parseClipConfig } from "../../src/model/config.ts";
import {
  packagedEmbeddingLoader,
  packagedLinearLoader,
  readPackageFiles,
} from "../../src/package/read.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { readResolved, RESOLVED_FILE, resolvedKey } from "../../src/tokenizer/resolved.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { memorySink } from "../../src/io/safetensors_write.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { packedShape, paddedN } from "../../src/wasm/formats.ts";
import { ALT_GOLDEN_DIR, listCases } from "../golden/clip_cases.ts";
import { rewrite } from "./_rewrite.ts";

const ALT_MODEL = `${ALT_GOLDEN_DIR}/clip/model`;
const golden = listCases().cases[0];
const noGolden = !golden;

async function sha256File(path: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("package: metadata, packed int8 tensors, f32 rest, nothing left out", async () => {
  const { bytes, report } = await convertClipToBytes(ALT_MODEL);
  const h = parseSafetensors(bytes);
  strictEqual(h.dataStart % 8, 0);
  const m = h.metadata;
  deepStrictEqual(
    [m[META.format], m[META.version], m[META.dtype], m[META.layout], m[META.towers]],
    ["edgeclip", PACKAGE_VERSION, "int8", PACKAGE_LAYOUT, "both"],
  );
  strictEqual(m[META.sourceSha256], await sha256File(`${ALT_MODEL}/model.safetensors`));
  strictEqual(m["edgeclip.file.config.json"], await Deno.readTextFile(`${ALT_MODEL}/config.json`));
  // a folder without tokenizer files (this one) gives a package without file tensors
  ok([...h.entries.keys()].every((n) => !n.startsWith(META.filePrefix)));
  const src = parseSafetensors(await Deno.readFile(`${ALT_MODEL}/model.safetensors`));
  for (const [name, e] of src.entries) {
    const lin = /^(.*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2|patch_embedding))\.weight$/.exec(
      name,
    );
    if (lin) {
      const [n, ...rest] = e.shape;
      const k = rest.reduce((a, d) => a * d, 1);
      ok(!h.entries.has(name), `${name} is replaced`);
      deepStrictEqual(h.entries.get(`${lin[1]}.qweight`)?.shape, packedShape(n, k));
      strictEqual(h.entries.get(`${lin[1]}.qweight`)?.dtype, "I8");
      deepStrictEqual(h.entries.get(`${lin[1]}.qscale`)?.shape, [paddedN(n)]);
      strictEqual(h.entries.get(`${lin[1]}.qsum`)?.dtype, "I32");
    } else if (name.endsWith("token_embedding.weight")) {
      const p = name.slice(0, -".weight".length);
      deepStrictEqual(h.entries.get(`${p}.qweight`)?.shape, e.shape);
      deepStrictEqual(h.entries.get(`${p}.qscale`)?.shape, [e.shape[0]]);
    } else if (name.endsWith("position_ids")) {
      ok(!h.entries.has(name), "buffers are dropped");
    } else {
      // norms, biases, embeddings, projections (kept f32 by the policy), logit_scale
      deepStrictEqual(h.entries.get(name)?.shape, e.shape, name);
      strictEqual(h.entries.get(name)?.dtype, "F32", name);
    }
  }
  strictEqual(report.tensors, h.entries.size);
});

Deno.test("package: loads as the quantize-at-load model, bit for bit; towers restrict", async () => {
  const { bytes } = await convertClipToBytes(ALT_MODEL);
  const a = await openModel(ALT_MODEL, { dtype: "int8" });
  const b = await openModel({ "x.safetensors": bytes });
  strictEqual(b.dtype, "int8");
  ok(b.isPackage);
  const cfg = a.model.vision!.cfg;
  const n = cfg.numChannels * cfg.imageSize ** 2;
  const px = new Float32Array(2 * n).map((_, i) => Math.sin(i * 0.37));
  const ids = [{ ids: [0, 5, 17, 2] }, { ids: [0, 9, 2] }];
  deepStrictEqual(b.model.encodeImage(px, 2, NO_HOOKS), a.model.encodeImage(px, 2, NO_HOOKS));
  deepStrictEqual(b.model.encodeText(ids, NO_HOOKS), a.model.encodeText(ids, NO_HOOKS));
  // one tower of a both-towers package, and a single-tower package, give the same embeddings
  const t1 = await openModel({ "x.safetensors": bytes }, { towers: "text" });
  const textPkg = (await convertClipToBytes(ALT_MODEL, { towers: "text" })).bytes;
  const t2 = await openModel({ "t.safetensors": textPkg });
  strictEqual(t2.towers, "text");
  ok(!t1.model.vision && !t2.model.vision);
  deepStrictEqual(
    t2.model.encodeText(ids, NO_HOOKS).embeds,
    a.model.encodeText(ids, NO_HOOKS).embeds,
  );
  deepStrictEqual(
    t1.model.encodeText(ids, NO_HOOKS).embeds,
    a.model.encodeText(ids, NO_HOOKS).embeds,
  );
  ok(textPkg.length < bytes.length * 0.8);
  const keys = [...parseSafetensors(textPkg).entries.keys()];
  ok(keys.every((k) => !/^(vision_model|visual_projection)\./.test(k)), "no vision tensors");
  // int8 from the HF folder with one tower
  const t3 = await openModel(ALT_MODEL, { dtype: "int8", towers: "vision" });
  deepStrictEqual(
    t3.model.encodeImage(px, 2, NO_HOOKS).embeds,
    a.model.encodeImage(px, 2, NO_HOOKS).embeds,
  );
});

Deno.test({
  name: "package: the tokenizer and preprocessor files come from the package (public API)",
  ignore: noGolden,
  async fn() {
    const { bytes } = await convertClipToBytes(golden.modelDir, { towers: "text" });
    const clip = await loadClip({ "clip-text.safetensors": bytes });
    // the text tower's files are U8 tensors, byte for byte, ahead of every weight
    {
      const h = parseSafetensors(bytes), m = h.metadata;
      const at = (name: string) => h.entries.get(metaFile(name));
      for (const name of ["vocab.json", "merges.txt", RESOLVED_FILE]) {
        const e = at(name);
        ok(e && e.dtype === "U8" && m[metaFile(name)] === undefined, `${name} is a U8 tensor`);
        if (name !== RESOLVED_FILE) {
          deepStrictEqual(
            bytes.subarray(e.begin, e.end),
            await Deno.readFile(`${golden.modelDir}/${name}`),
          );
        }
      }
      const weights = [...h.entries.values()].filter((e) => !e.name.startsWith(META.filePrefix));
      const lastFile = Math.max(
        ...["vocab.json", "merges.txt", RESOLVED_FILE].map((n) => at(n)!.begin),
      );
      ok(weights.every((w) => w.begin > lastFile), "the files lead the data");
      const load = (b: Uint8Array) => loadClip({ "p.safetensors": b });
      await rejects(
        rewrite(bytes, () => ({ dtype: { [metaFile("vocab.json")]: "I8" } })).then(load),
        (e: EdgeClipError) =>
          e.code === "model_format" && /vocab.json must be a U8 vector/.test(e.message),
      );
    }
    const ref = await loadClip(golden.modelDir, { dtype: "int8" });
    const texts = ["a photo of a cat", "a diagram"];
    deepStrictEqual(await clip.embedText(texts), await ref.embedText(texts));
    // the package carries the merges resolved to ids, made for its own vocab.json + merges.txt
    const h = parseSafetensors(bytes);
    const files = await readPackageFiles({
      label: "p",
      header: h,
      read: (e, dest) => Promise.resolve(dest.set(bytes.subarray(e.begin, e.end))),
    }, packageFiles(h.metadata, "p"));
    const [v, m] = [await files.bytes("vocab.json"), await files.bytes("merges.txt")];
    const resolved = readResolved(await files.text(RESOLVED_FILE), await resolvedKey(v, m));
    ok(resolved && resolved.merged.length > 0, "package lacks usable resolved merges");
    const pixelValues = {
      data: new Float32Array(3 * 224 * 224).fill(0.1),
      shape: [1, 3, 224, 224],
    };
    await rejects(clip.forward({ pixelValues }), EdgeClipError);
    const vision = await loadClip({
      "v.safetensors": (await convertClipToBytes(golden.modelDir, { towers: "vision" })).bytes,
    });
    const [e] = await vision.embedImage({
      data: new Uint8Array(32 * 32 * 3).fill(200),
      width: 32,
      height: 32,
    });
    strictEqual(e.length, 32);
    await rejects(vision.embedText("a cat"), EdgeClipError);
  },
});

Deno.test({
  name: "package: format version 1 (every embedded file in the metadata) still loads",
  ignore: noGolden,
  async fn() {
    const { bytes } = await convertClipToBytes(golden.modelDir);
    const dec = new TextDecoder();
    const v1 = await rewrite(bytes, (m, names) => {
      const files = names.filter((n) => n.startsWith(META.filePrefix));
      const h = parseSafetensors(bytes);
      for (const n of files) {
        const e = h.entries.get(n)!;
        m[n] = dec.decode(bytes.subarray(e.begin, e.end));
      }
      m[META.version] = "1";
      return { drop: files };
    });
    const [a, b] = [
      await loadClip({ "p.safetensors": bytes }),
      await loadClip({ "p.safetensors": v1 }),
    ];
    const texts = ["a photo of a cat", "a diagram"];
    deepStrictEqual(await b.embedText(texts), await a.embedText(texts));
    const img = { data: new Uint8Array(32 * 32 * 3).fill(90), width: 32, height: 32 };
    deepStrictEqual(await b.embedImage(img), await a.embedImage(img));
  },
});

Deno.test("package: wrong version, layout, dtype or missing tensors are named errors", async () => {
  const { bytes } = await convertClipToBytes(ALT_MODEL);
  const load = (b: Uint8Array, opts = {}) => openModel({ "p.safetensors": b }, opts);
  const code = async (p: Promise<unknown>, want: string, text: RegExp) => {
    const e = await p.then(() => null, (e) => e);
    ok(e instanceof EdgeClipError, `expected EdgeClipError, got ${e}`);
    strictEqual(e.code, want, e.message);
    ok(text.test(e.message), e.message);
  };
  await code(
    load(await rewrite(bytes, (m) => (m[META.version] = "3", {}))),
    "model_format",
    /version 3; this edgeclip reads versions 1 and 2/,
  );
  await code(
    load(await rewrite(bytes, (m) => (m[META.layout] = "q8_c4x8/1", {}))),
    "model_format",
    /layout/,
  );
  await code(
    load(await rewrite(bytes, (m) => (delete m[META.format], {}))),
    "model_format",
    /edgeclip package/,
  );
  await code(
    load(await rewrite(bytes, (m) => (delete m["edgeclip.file.config.json"], {}))),
    "model_format",
    /config/,
  );
  const q = "text_model.encoder.layers.0.mlp.fc1";
  await code(load(await rewrite(bytes, () => ({ drop: [`${q}.qsum`] }))), "model_weights", /qsum/);
  await code(
    load(await rewrite(bytes, () => ({ dtype: { [`${q}.qweight`]: "F32" } }))),
    "model_weights",
    /qweight/,
  );
  await code(
    load(await rewrite(bytes, () => ({ dtype: { [`${q}.qweight`]: "U8" } }))),
    "model_format",
    /is U8, expected I8/,
  );
  await code(
    load(bytes.subarray(0, bytes.length - 100)),
    "model_format",
    /truncated|past the data/,
  );
  await code(load(bytes, { dtype: "f32" }), "invalid_input", /int8 edgeclip package/);
  const textPkg = (await convertClipToBytes(ALT_MODEL, { towers: "text" })).bytes;
  await code(load(textPkg, { towers: "vision" }), "invalid_input", /towers "text"/);
  // a package converts (re-quantized), but merges no adapters (tests/convert/package_int4_test.ts)
  await code(
    convertClip({ "p.safetensors": bytes }, memorySink(), { adapters: [ALT_MODEL] }),
    "invalid_input",
    /not a package's/,
  );
});

Deno.test("readAhead serves every tensor's bytes, in any order, with fewer reads", async () => {
  const { bytes } = await convertClipToBytes(ALT_MODEL);
  const header = parseSafetensors(bytes);
  let reads = 0;
  const file = {
    label: "p",
    header,
    read: (e: { begin: number; end: number }, dest: Uint8Array) => {
      reads++;
      dest.set(bytes.subarray(e.begin, e.end));
      return Promise.resolve();
    },
  };
  const view = readAhead(file);
  const entries = [...header.entries.values()];
  let requests = 0;
  for (const order of [entries, [...entries].reverse(), entries.filter((_, i) => i % 3 === 0)]) {
    for (const e of order) {
      const got = new Uint8Array(e.end - e.begin);
      requests++;
      await view.read(e, got);
      deepStrictEqual(got, bytes.subarray(e.begin, e.end), e.name);
    }
  }
  // in file order a run of small tensors costs one read (the tiny model: all tensors are small)
  ok(reads < requests / 4, `${reads} reads for ${requests} requests`);
});

Deno.test("package: tensors are stored in the order the model loads them (loading reads the file front to back)", async () => {
  for (const src of [ALT_MODEL, ...(noGolden ? [] : [golden.modelDir])]) {
    const { bytes } = await convertClipToBytes(src);
    const header = parseSafetensors(bytes);
    // the embedded files' tensors (read apart, before the weights) left out, as a load does
    const weights = {
      ...header,
      entries: new Map([...header.entries].filter(([n]) => !n.startsWith(META.filePrefix))),
    };
    const offsets: number[] = [];
    const file = {
      label: "p",
      header: weights,
      read: (e: { begin: number; end: number }, dest: Uint8Array) => {
        offsets.push(e.begin);
        dest.set(bytes.subarray(e.begin, e.end));
        return Promise.resolve();
      },
    };
    const meta = header.metadata;
    const cfg = parseClipConfig(
      meta[metaFile("config.json")],
      (key) => header.entries.has(key) || header.entries.has(key.replace(/\.weight$/, ".qweight")),
    );
    await ClipModel.load(file, cfg, Kernels.create(), {
      linear: packagedLinearLoader(),
      embedding: packagedEmbeddingLoader,
    });
    ok(offsets.length === weights.entries.size, `${offsets.length} reads`);
    for (let i = 1; i < offsets.length; i++) {
      ok(
        offsets[i] > offsets[i - 1],
        `read ${i} goes back from ${offsets[i - 1]} to ${offsets[i]}`,
      );
    }
  }
});
