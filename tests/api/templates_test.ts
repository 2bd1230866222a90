// Zero-shot template presets: the exact lists of OpenAI's ImageNet prompt-engineering notebook,
// and classify's `template` taking a preset name (the same answer as the list itself).

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError, loadClip, TEMPLATE_PRESETS } from "../../mod.ts";
import { goldenPath } from "../_util/golden.ts";

const MODEL = goldenPath("clip", "model");
const IMAGES = goldenPath("images");
const PNG = IMAGES && [...Deno.readDirSync(IMAGES)].find((e) => e.name.endsWith(".png"))?.name;

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("template presets: counts, order and known entries", async () => {
  deepStrictEqual([...TEMPLATE_PRESETS.keys()], ["clip-imagenet-80", "clip-imagenet-7"]);
  const t80 = TEMPLATE_PRESETS.get("clip-imagenet-80")!;
  const t7 = TEMPLATE_PRESETS.get("clip-imagenet-7")!;
  strictEqual(t80.length, 80);
  strictEqual(new Set(t80).size, 80);
  strictEqual(t80[0], "a bad photo of a {}.");
  strictEqual(t80[35], "a {} in a video game.");
  strictEqual(t80[59], "itap of the {}.");
  strictEqual(t80[79], "a tattoo of the {}.");
  ok(t80.includes("a photo of the hard to see {}."));
  ok(t80.includes("a jpeg corrupted photo of a {}."));
  strictEqual(t7.length, 7);
  strictEqual(t7[0], "itap of a {}."); // the selection's order: the first it picked…
  strictEqual(t7[6], "a photo of the small {}."); // …and the last
  // SHA-256 of each list joined by "\n", computed from the notebook's own cells
  strictEqual(
    await sha256(t80.join("\n")),
    "4f976686fb651bb5803d4689dcd849f75efe0ef19a3c801355bc9a6f03c8a5af",
  );
  strictEqual(
    await sha256(t7.join("\n")),
    "6ef3883987d224b7949da69fe0b615af152e1560eaac4c5c38555e50c882d415",
  );
  for (const t of [...t80, ...t7]) strictEqual(t.split("{}").length, 2, t);
  ok(t7.every((t) => t80.includes(t)));
  ok(Object.isFrozen(t80) && Object.isFrozen(t7));
});

Deno.test({
  name: "template presets: classify with a preset name equals classify with its list",
  ignore: !MODEL || !PNG,
  async fn() {
    const clip = await loadClip(MODEL!);
    const image = Deno.readFileSync(`${IMAGES}/${PNG}`);
    const labels = ["cat", "dog", "goldfish"];
    for (const [name, list] of TEMPLATE_PRESETS) {
      const byName = await clip.classify(image, labels, { template: name });
      deepStrictEqual(byName, await clip.classify(image, labels, { template: [...list] }));
    }
    // a preset differs from the default template (the ensemble is really used)
    const single = await clip.classify(image, labels);
    ok(
      JSON.stringify(single) !==
        JSON.stringify(await clip.classify(image, labels, { template: "clip-imagenet-7" })),
    );
    // more prompts than the prompt cache holds (4096): 60 labels × 80 templates
    const many = Array.from({ length: 60 }, (_, i) => `thing ${i}`);
    const r = await clip.classify(image, many, { template: "clip-imagenet-80" });
    strictEqual(r.length, 60);
    ok(Math.abs(r.reduce((s, x) => s + x.score, 0) - 1) < 1e-5);
    // labels' score ratios do not depend on the other labels: the same as a 3-label call
    const three = await clip.classify(image, many.slice(0, 3), { template: "clip-imagenet-80" });
    const score = (list: typeof r, l: string) => list.find((x) => x.label === l)!.score;
    for (const l of many.slice(1, 3)) {
      const big = Math.log(score(r, l) / score(r, many[0]));
      const small = Math.log(score(three, l) / score(three, many[0]));
      ok(Math.abs(big - small) < 1e-4, `${l}: ${big} vs ${small}`);
    }
    await rejects(
      clip.classify(image, labels, { template: "clip-imagenet-8" }),
      (e) =>
        e instanceof EdgeClipError && e.code === "invalid_input" &&
        /clip-imagenet-80/.test(e.message),
    );
    clip.dispose();
  },
});
