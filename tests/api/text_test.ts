// embedText runs each text packed to its own length; it must equal the padded HF forward.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError, loadClip } from "../../mod.ts";
import { assertClose } from "../_util/assert_close.ts";
import { listCases } from "../golden/clip_cases.ts";

const base = listCases().cases.find((c) => c.json.adapters.length === 0);
const ignore = !base;

const TEXTS = [
  "a photo of a cat.",
  "A DIAGRAM of two dogs, sleeping!",
  "x",
  "text with a literal <|endoftext|> in the middle, and more after it",
  "long ".repeat(100),
  "",
];

Deno.test({ name: "embedText equals forward on the padded tokenize() rows", ignore }, async () => {
  const clip = await loadClip(base!.modelDir);
  const { inputIds, attentionMask } = clip.tokenize(TEXTS);
  deepStrictEqual(inputIds.shape, [TEXTS.length, 77]);
  const fwd = await clip.forward({ inputIds, attentionMask });
  const emb = await clip.embedText(TEXTS);
  strictEqual(emb.length, TEXTS.length);
  const P = clip.config.projectionDim;
  emb.forEach((e, i) => {
    strictEqual(e.length, P);
    assertClose(
      e,
      fwd.textEmbeds!.data.subarray(i * P, (i + 1) * P),
      2e-6,
      0,
      TEXTS[i].slice(0, 20),
    );
  });
  // padding content and the attention mask after EOT cannot change the pooled feature
  const noMask = await clip.forward({ inputIds });
  assertClose(noMask.textEmbeds!.data, fwd.textEmbeds!.data, 2e-6);
  // unnormalised embeddings have the norm the normalised ones removed
  const raw = await clip.embedText(TEXTS[0], { normalize: false });
  const n = Math.hypot(...raw[0]);
  assertClose(raw[0].map((v) => v / n), emb[0], 1e-6);
  clip.dispose();
});

Deno.test({ name: "embedText / tokenize: truncation and bad input", ignore }, async () => {
  const clip = await loadClip(base!.modelDir);
  await rejects(clip.embedText("word ".repeat(200), { truncate: false }), (e) => {
    ok(e instanceof EdgeClipError && e.code === "input_too_long", String(e));
    return true;
  });
  const short = clip.tokenize("hi", { contextLength: 5 });
  deepStrictEqual(Array.from(short.inputIds.data), [49406, 1883, 49407, 0, 0]);
  for (const bad of [42, [1, 2], null, { text: "x" }]) {
    await rejects(
      clip.embedText(bad as unknown as string),
      (e) => e instanceof EdgeClipError && e.code === "invalid_input",
    );
  }
  deepStrictEqual(await clip.embedText([]), []);
  clip.dispose();
  await rejects(clip.embedText("a"), (e) => e instanceof EdgeClipError && e.code === "disposed");
});

Deno.test({
  name: "a model folder without tokenizer files serves images, text calls say why",
  ignore,
}, async () => {
  const dir = base!.modelDir;
  const clip = await loadClip({
    "config.json": Deno.readFileSync(`${dir}/config.json`),
    "model.safetensors": Deno.readFileSync(`${dir}/model.safetensors`),
  });
  await rejects(
    clip.embedText("a"),
    (e) => e instanceof EdgeClipError && e.code === "source_unavailable",
  );
  ok(clip.config.vision);
  clip.dispose();
});
