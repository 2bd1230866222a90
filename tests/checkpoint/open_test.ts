// The one opener (checkpoint/): a resolved Checkpoint stays open for its caller and can be loaded
// more than once; the observer sees every module and the read order; a transform adjusts f32
// weights in f32 and int8 loads alike and is refused on a package; a folder without
// model.safetensors names what is there instead; files read past their end fail by name.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type LoadObserver, openModel } from "../../src/checkpoint/open.ts";
import { resolveCheckpoint } from "../../src/checkpoint/resolve.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { folderFileSet } from "../../src/io/source.ts";
import { ALT_GOLDEN_DIR } from "../golden/clip_cases.ts";

const MODEL = `${ALT_GOLDEN_DIR}/clip/model`;

const code = (want: string, text: RegExp) => (e: unknown) => {
  ok(e instanceof EdgeClipError, `expected EdgeClipError, got ${e}`);
  strictEqual(e.code, want, e.message);
  ok(text.test(e.message), e.message);
  return true;
};

Deno.test("opener: a Checkpoint stays open for its caller, and loads like its source", async () => {
  const ckpt = await resolveCheckpoint(MODEL);
  try {
    ok(!ckpt.isPackage);
    const a = await openModel(ckpt, { dtype: "int8" });
    const b = await openModel(ckpt, { dtype: "int8" }); // still open: loads again
    const c = await openModel(MODEL, { dtype: "int8" });
    const q = "text_model.encoder.layers.0.self_attn.q_proj.weight";
    const e = ckpt.weights.header.entries.get(q)!;
    await ckpt.weights.read(e, new Uint8Array(e.end - e.begin));
    const w = (m: typeof a) => m.model.text!.layers[0].linearAt("q").readWeight();
    deepStrictEqual(w(a), w(b));
    deepStrictEqual(w(a), w(c));
    // the f32 source weights of a model quantized at load can be read again
    const src = await a.openSource!();
    strictEqual((await src.weight(q)).length, e.shape[0] * e.shape[1]);
    await rejects(src.weight("nope.weight"), code("model_weights", /missing weight nope/));
    src.close();
  } finally {
    ckpt.close();
  }
});

Deno.test("opener: the observer sees each module built and the tensors in load order", async () => {
  const made: string[] = [], read: string[] = [];
  const observer: LoadObserver = {
    made: (prefix) => made.push(prefix),
    read: (e) => read.push(e.name),
  };
  const { model } = await openModel(MODEL, { dtype: "int8", observer, towers: "text" });
  ok(made.includes("text_model.embeddings.token_embedding"), made.join());
  ok(made.includes("text_model.encoder.layers.0.mlp.fc1"), made.join());
  ok(made.includes("text_projection"), made.join());
  ok(!made.some((p) => p.startsWith("vision_model")), "the left-out tower is not built");
  ok(
    read.indexOf("text_model.encoder.layers.0.mlp.fc1.weight") < read.indexOf(
      "text_model.encoder.layers.1.mlp.fc1.weight",
    ),
  );
  strictEqual(made.length, model.text!.cfg.numLayers * 6 + 2);
});

Deno.test("opener: a transform adjusts f32 weights before packing or quantizing", async () => {
  const place = { tower: "vision", layer: 1, linear: "fc2" } as const;
  for (const dtype of ["f32", "int8"] as const) {
    const seen: string[] = [];
    const { model } = await openModel(MODEL, {
      dtype,
      transform: (p, w) => {
        seen.push(JSON.stringify(p));
        if (JSON.stringify(p) === JSON.stringify(place)) w.fill(0);
      },
    });
    ok(seen.includes(JSON.stringify(place)), `${dtype}: ${seen.join(" ")}`);
    ok(seen.includes(JSON.stringify({ tower: "text", linear: "projection" })), dtype);
    ok(model.vision!.layers[1].linearAt("fc2").readWeight().every((v) => v === 0), dtype);
    ok(model.vision!.layers[0].linearAt("fc2").readWeight().some((v) => v !== 0), dtype);
  }
  const { bytes } = await convertClipToBytes(MODEL);
  await rejects(
    openModel({ "m.safetensors": bytes }, { transform: () => {} }),
    code("invalid_input", /cannot be transformed/),
  );
});

Deno.test("opener: a folder without weights says where it looked", async () => {
  // a pytorch_model.bin is read (io/torch_bin.ts): a damaged one is a model_format error
  await rejects(
    openModel({ "config.json": "{}", "pytorch_model.bin": new Uint8Array(8) }),
    code("model_format", /pytorch_model\.bin: not a ZIP archive/),
  );
  await rejects(
    openModel({ "config.json": "{}" }),
    code(
      "source_unavailable",
      /no model weights \(looked for model\.safetensors, .*pytorch_model\.bin/,
    ),
  );
});

Deno.test("host: a local file read past its end is source_unavailable, naming the file", async () => {
  const ra = await folderFileSet(MODEL).open("config.json");
  try {
    await rejects(
      ra.read(ra.size - 4, new Uint8Array(8)),
      code("source_unavailable", /config\.json.*unexpected end of file/),
    );
  } finally {
    ra.close();
  }
});
