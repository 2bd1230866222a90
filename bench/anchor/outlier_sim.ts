// What outlier channels would do to int8 activations: the anchor ViT-B/32 has random weights, so
// its LayerNorm outputs have no outlier channels, unlike trained transformers (post-LN channel
// ranges vary widely in trained ViTs). This scales NCH channels of every encoder LayerNorm (gamma
// and beta) by F and divides the same input columns of the linears it feeds by F — the f32
// function is unchanged up to rounding — then compares each int8Precision policy with f32. With
// F above MAX_U7_SPREAD the policies run those linears on u12 (q8_policy.ts channelSpread).
//   deno run -A bench/anchor/outlier_sim.ts [F=20] [NCH=4] [--ref-dir <anchors>/models]
import { openModel } from "../../src/checkpoint/open.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { Q8_POLICIES } from "../../src/model/q8_policy.ts";
import { imageBatch, readRefs, textBatch } from "./inputs.ts";
import { rowCosines } from "../../tests/_util/cosine.ts";
import { unevenModel } from "../../tests/_util/uneven_model.ts";

const args = Deno.args.filter((a, i, all) => a !== "--ref-dir" && all[i - 1] !== "--ref-dir");
const r = Deno.args.indexOf("--ref-dir");
const refs = r >= 0 ? Deno.args[r + 1] : "../anchors-run/models";
const dir = `${refs}/hf/clip-vitb32-random`;
const F = Number(args[0] ?? 20), NCH = Number(args[1] ?? 4);
const files = unevenModel(dir, F, Array.from({ length: NCH }, (_, i) => i * 97 + 13));
const img = readRefs(refs, "image"), txt = readRefs(refs, "text");
async function run(opts: Parameters<typeof openModel>[1]) {
  const m = await openModel(files, opts);
  return {
    image: m.model.encodeImage(imageBatch(img, img.count), img.count, NO_HOOKS).embeds!.slice(),
    text: m.model.encodeText(
      textBatch(txt, txt.count, (ids) => m.model.text!.poolIndex(ids)).map((ids) => ({ ids })),
      NO_HOOKS,
    ).embeds!.slice(),
  };
}
const cos = (a: Float32Array, b: Float32Array) => Math.min(...rowCosines(a, b, 512));
const ref = await run({ dtype: "f32" });
for (const p of ["balanced", "fast", "high"] as const) {
  const q = await run({ dtype: "int8", q8Policy: Q8_POLICIES[p] });
  console.log(
    `F=${F} ch=${NCH}`,
    p.padEnd(9),
    "image",
    cos(q.image, ref.image).toFixed(6),
    "text",
    cos(q.text, ref.text).toFixed(6),
  );
}
