// An int4 package (convert with dtype "int4"): 4-bit linears stored as `<p>.q4weight` in gemm_q4's
// layout where DEFAULT_Q4_RULE puts them (the image tower), int8 elsewhere, the 4-bit layout in
// the metadata; it loads as "int4" and runs what quantize-at-load runs; a wrong layout, a missing
// one, a damaged 4-bit tensor or another dtype asked of it fail with a named EdgeClipError.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { convertClipToBytes } from "../../src/convert/mod.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { META, PACKAGE_Q4_LAYOUT, PACKED_Q4_WEIGHT } from "../../src/package/format.ts";
import { packedShape, Q4_WEIGHTS } from "../../src/wasm/formats.ts";
import { ALT_GOLDEN_DIR, listCases, readTensors } from "../golden/clip_cases.ts";
import { rewrite } from "./_rewrite.ts";

const ALT_MODEL = `${ALT_GOLDEN_DIR}/clip/model`;
const LINEAR = /^(.*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2|patch_embedding))\.weight$/;

const load = (bytes: Uint8Array, opts: Parameters<typeof loadClip>[1] = {}) =>
  loadClip({ "m.safetensors": bytes }, opts);

async function code(p: Promise<unknown>, want: string, msg: RegExp): Promise<void> {
  await rejects(p, (e) => {
    ok(e instanceof EdgeClipError, String(e));
    strictEqual(e.code, want, e.message);
    ok(msg.test(e.message), e.message);
    return true;
  });
}

Deno.test("int4 package: 4-bit image tower linears, int8 text, the layout recorded", async () => {
  const { bytes, report } = await convertClipToBytes(ALT_MODEL, { dtype: "int4" });
  const h = parseSafetensors(bytes);
  deepStrictEqual([h.metadata[META.dtype], h.metadata[META.q4Layout]], ["int4", PACKAGE_Q4_LAYOUT]);
  const src = parseSafetensors(await Deno.readFile(`${ALT_MODEL}/model.safetensors`));
  let q4 = 0;
  for (const [name, e] of src.entries) {
    const lin = LINEAR.exec(name);
    if (!lin) continue;
    const vision = name.startsWith("vision_model.");
    const [n, ...rest] = e.shape;
    const k = rest.reduce((a, d) => a * d, 1);
    const t = h.entries.get(`${lin[1]}.${PACKED_Q4_WEIGHT}`);
    ok(vision === (t !== undefined), `${name}: 4-bit ${t !== undefined}`);
    ok(vision !== h.entries.has(`${lin[1]}.qweight`), `${name}: int8 too`);
    if (t) {
      q4++;
      deepStrictEqual([t.dtype, t.shape], ["I8", packedShape(n, k, Q4_WEIGHTS)]);
      ok(h.entries.has(`${lin[1]}.qscale`) && h.entries.has(`${lin[1]}.qsum`));
    }
  }
  ok(q4 > 0);
  strictEqual(report.rows.filter((r) => r.action === "int4").length, q4);
  const clip = await load(bytes);
  strictEqual(clip.dtype, "int4");
  clip.dispose();
});

Deno.test("int4 package: refusals", async () => {
  const { bytes } = await convertClipToBytes(ALT_MODEL, { dtype: "int4", towers: "vision" });
  await code(load(bytes, { dtype: "int8" }), "invalid_input", /int4 edgeclip package/);
  await code(
    load(await rewrite(bytes, (meta) => ((meta[META.q4Layout] = "q4_other/9"), {}))),
    "model_format",
    /4-bit layout q4_other\/9/,
  );
  await code(
    load(await rewrite(bytes, (meta) => (delete meta[META.q4Layout], {}))),
    "model_format",
    /without a 4-bit layout/,
  );
  const q = `vision_model.encoder.layers.0.mlp.fc1.${PACKED_Q4_WEIGHT}`;
  await code(
    load(await rewrite(bytes, () => ({ dtype: { [q]: "U8" } }))),
    "model_format",
    /is U8, expected I8/,
  );
  await code(
    load(await rewrite(bytes, () => ({ drop: [q] }))),
    "model_weights",
    /fc1/,
  );
});

Deno.test("an int8 package converts to int4 (its image tower re-quantized), and to itself", async () => {
  const int8 = (await convertClipToBytes(ALT_MODEL)).bytes;
  const src = parseSafetensors(int8);
  const tensor = (b: Uint8Array, h: typeof src, name: string) => {
    const e = h.entries.get(name)!;
    return b.subarray(e.begin, e.end);
  };
  const same = (await convertClipToBytes({ "m.safetensors": int8 })).bytes;
  const h8 = parseSafetensors(same);
  deepStrictEqual([...h8.entries.keys()], [...src.entries.keys()]);
  for (const name of src.entries.keys()) {
    deepStrictEqual(tensor(same, h8, name), tensor(int8, src, name), name);
  }
  const { bytes, report } = await convertClipToBytes({ "m.safetensors": int8 }, { dtype: "int4" });
  const h4 = parseSafetensors(bytes);
  strictEqual(h4.metadata[META.dtype], "int4");
  const direct = parseSafetensors((await convertClipToBytes(ALT_MODEL, { dtype: "int4" })).bytes);
  deepStrictEqual([...h4.entries.keys()].sort(), [...direct.entries.keys()].sort());
  ok(report.rows.some((r) => r.action === "int4"));
  for (const name of h4.entries.keys()) {
    if (name.startsWith("text_model.")) {
      deepStrictEqual(tensor(bytes, h4, name), tensor(int8, src, name), name);
    }
  }
  const clip = await load(bytes);
  strictEqual(clip.dtype, "int4");
  clip.dispose();
  await code(
    convertClipToBytes({ "m.safetensors": int8 }, { adapters: [ALT_MODEL] }),
    "invalid_input",
    /not a package's/,
  );
});

Deno.test("loadClip dtype int4 on a folder: 4-bit image tower, text as int8", async () => {
  const [c4, c8] = [
    await loadClip(ALT_MODEL, { dtype: "int4" }),
    await loadClip(ALT_MODEL, {
      dtype: "int8",
    }),
  ];
  strictEqual(c4.dtype, "int4");
  const inputs = readTensors(listCases(ALT_GOLDEN_DIR).cases[0].inputsFile);
  const text = (c: typeof c4) =>
    c.forward({ inputIds: inputs.input_ids, attentionMask: inputs.attention_mask });
  deepStrictEqual((await text(c4)).textEmbeds, (await text(c8)).textEmbeds);
  c4.dispose();
  c8.dispose();
  await code(loadClip(ALT_MODEL, { dtype: "int2" as "int4" }), "invalid_input", /int4/);
});
