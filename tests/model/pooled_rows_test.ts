// Embedding calls run the last encoder layer on the pooled rows only (EncoderLayer.forward with rows).
// That must give the same bits as the full layer (what forward/hidden states use), in f32 and
// int8, for packed text of mixed lengths with padding masks and for image batches; and a hook on
// the last layer must make the tower run it in full.

import { deepStrictEqual, notDeepStrictEqual, ok } from "node:assert/strict";
import { openModel } from "../../src/checkpoint/open.ts";
import type { ClipModel } from "../../src/model/clip_model.ts";
import { type ModelHooks, NO_HOOKS } from "../../src/model/hooks.ts";
import { ALT_GOLDEN_DIR, listCases } from "../golden/clip_cases.ts";
import { Prng } from "../_util/prng.ts";

const golden = listCases().cases.find((c) => c.json.adapters.length === 0);
const models: [string, string | undefined][] = [
  ["golden", golden?.modelDir],
  ["alt", `${ALT_GOLDEN_DIR}/clip/model`],
];

function textSeqs(m: ClipModel, rng: Prng) {
  const cfg = m.text!.cfg;
  const eos = cfg.eosTokenId === 2 ? cfg.vocabSize - 1 : cfg.eosTokenId;
  const seqs: { ids: number[]; mask?: number[] }[] = [];
  for (const len of [1, 2, 7, 5, 12, Math.min(cfg.maxPositions, 16)]) {
    const ids = Array.from({ length: len }, () => rng.int(1, cfg.vocabSize - 2));
    ids[len - 1] = eos;
    seqs.push({ ids });
  }
  // EOS before the end with padding after it (pooled row in the middle, masked keys after it)
  const ids = Array.from({ length: 9 }, () => rng.int(1, cfg.vocabSize - 2));
  ids[4] = eos;
  for (let i = 5; i < 9; i++) ids[i] = 0;
  seqs.push({ ids, mask: ids.map((_, i) => (i < 5 ? 1 : 0)) });
  return seqs;
}

for (const [name, dir] of models) {
  for (const dtype of ["f32", "int8"] as const) {
    Deno.test({
      name: `pooled rows: ${name} ${dtype} embeddings equal the full last layer bit for bit`,
      ignore: !dir,
      async fn() {
        const { model } = await openModel(dir!, { dtype });
        const rng = new Prng(7);
        if (model.text) {
          const seqs = textSeqs(model, rng);
          const fast = model.encodeText(seqs, NO_HOOKS);
          const full = model.encodeText(seqs, NO_HOOKS, { hidden: true });
          ok(!fast.hidden && full.hidden);
          deepStrictEqual(fast.pooled, full.pooled);
          deepStrictEqual(fast.embeds, full.embeds);
        }
        if (model.vision) {
          const c = model.vision.cfg;
          const n = c.numChannels * c.imageSize ** 2;
          const px = new Float32Array(3 * n).map(() => rng.uniform(-2, 2));
          const fast = model.encodeImage(px, 3, NO_HOOKS);
          const full = model.encodeImage(px, 3, NO_HOOKS, { hidden: true });
          ok(!fast.hidden && full.hidden);
          deepStrictEqual(fast.pooled, full.pooled);
          deepStrictEqual(fast.embeds, full.embeds);
        }
      },
    });
  }
}

Deno.test({
  name: "pooled rows: a hook on the last layer runs it in full",
  ignore: !golden,
  async fn() {
    const { model } = await openModel(golden!.modelDir);
    const last = { text: model.text!.layers.length - 1, vision: model.vision!.layers.length - 1 };
    const bump = (delta: number): ModelHooks => ({
      layer: (t, i) =>
        i === last[t]
          ? {
            layerOutput: (h) =>
              model.k.withView(h, (v) => {
                for (let j = 0; j < v.length; j++) v[j] += delta * ((j % 5) - 2);
              }),
          }
          : undefined,
    });
    const seqs = textSeqs(model, new Prng(3));
    const base = model.encodeText(seqs, NO_HOOKS);
    deepStrictEqual(model.encodeText(seqs, bump(0)).embeds, base.embeds);
    notDeepStrictEqual(model.encodeText(seqs, bump(0.5)).embeds, base.embeds);
    const c = model.vision!.cfg;
    const px = new Float32Array(c.numChannels * c.imageSize ** 2).map((_, i) => Math.sin(i));
    const img = model.encodeImage(px, 1, NO_HOOKS);
    deepStrictEqual(model.encodeImage(px, 1, bump(0)).embeds, img.embeds);
    notDeepStrictEqual(model.encodeImage(px, 1, bump(0.5)).embeds, img.embeds);
  },
});
