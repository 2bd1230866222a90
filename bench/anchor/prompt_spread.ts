// How int8 text embeddings spread from f32 over many prompts, per activation policy: the few
// reference prompts of accuracy.ts can look better than the tail. 300 seeded random prompts (1–12
// words, one in five up to 70), run to their EOS through each policy and through f32; prints the
// min / 1st percentile / median cosine and how many prompts fall under 0.999 and 0.9995.
//   deno run -A bench/anchor/prompt_spread.ts <HF CLIP folder, e.g. <anchors>/models/hf/clip-vitb32-random>

import { loadClip } from "../../mod.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { cosine } from "./inputs.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { Q8_POLICIES, type Q8Policy, withTextU7 } from "../../src/model/q8_policy.ts";

const dir = Deno.args[0];
if (!dir) throw new Error("usage: prompt_spread.ts <HF CLIP folder>");

const WORDS =
  ("a photo of the cat dog car tree house red blue small large running sleeping beach " +
    "mountain city night people two three diagram painting sketch close-up blurry bright dark old " +
    "new wooden metal glass plastic").split(" ");
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const texts = Array.from({ length: 300 }, () => {
  const n = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 70 : 12));
  return Array.from({ length: n }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(" ");
});

const clip = await loadClip(dir);
const ids = texts.map((t) => Array.from(clip.tokenize(t).inputIds.data, Number));
clip.dispose();

async function embeds(opts: Parameters<typeof openModel>[1]): Promise<Float32Array> {
  const m = await openModel(dir, opts);
  const text = m.model.text!;
  const seqs = ids.map((row) => ({ ids: row.slice(0, text.poolIndex(row) + 1) }));
  const e = m.model.encodeText(seqs, NO_HOOKS).embeds!.slice();
  return e;
}

const ref = await embeds({ dtype: "f32" });
const P = ref.length / texts.length;
const policies: [string, Q8Policy][] = [
  ["balanced (default)", Q8_POLICIES.balanced],
  ["fast (u7 q/k/v + fc1)", Q8_POLICIES.fast],
  ["high", Q8_POLICIES.high],
  ["u7 fc1 only", withTextU7(["fc1"])],
  ["u7 q/k/v only", withTextU7(["q", "k", "v"])],
];
console.log("| policy | min | p1 | median | < 0.999 | < 0.9995 |\n|---|---|---|---|---|---|");
for (const [name, policy] of policies) {
  const e = await embeds({ dtype: "int8", q8Policy: policy });
  const cs = texts.map((_, i) =>
    cosine(e.subarray(i * P, (i + 1) * P), ref.subarray(i * P, (i + 1) * P))
  )
    .sort((a, b) => a - b);
  const under = (b: number) => cs.filter((c) => c < b).length;
  console.log(
    `| ${name} | ${cs[0].toFixed(6)} | ${cs[3].toFixed(6)} | ${cs[150].toFixed(6)} | ${
      under(0.999)
    } | ${under(0.9995)} |`,
  );
}
