// mergeAdapter while calls run: calls already started finish on the weights they started with,
// whatever the tower and however many awaits they span (image decoding, batches of 16); calls
// started after mergeAdapter was called see the merged weights. On f32 and int8 (quantized at
// load, where the merge itself awaits the checkpoint's f32 weights).

import { deepStrictEqual, ok } from "node:assert/strict";
import { type Clip, type ForwardOutputs, loadClip, type Tensor } from "../../mod.ts";
import { resolve } from "../golden/clip_cases.ts";
import { goldenCase } from "../adapters/_folders.ts";

const lora = goldenCase("lora");
const ignore = !lora;

const TEXTS = ["a photo of a cat", "a dog on a couch", "two birds"];
/** 20 raw images: two batches, each image decoded after an await. */
const IMAGES = Array.from({ length: 20 }, (_, i) => ({
  data: Uint8Array.from({ length: 32 * 24 * 3 }, (_, j) => (j * 7 + i * 31) & 255),
  width: 32,
  height: 24,
}));

interface Results {
  text: Float32Array[];
  image: Float32Array[];
  forward: ForwardOutputs;
}

/** Starts one call of each kind at once (none awaited before the others start). */
function start(clip: Clip, inputIds: Tensor) {
  return [
    clip.embedText(TEXTS),
    clip.embedImage(IMAGES),
    clip.forward({ inputIds }),
  ] as const;
}

async function settle(calls: ReturnType<typeof start>): Promise<Results> {
  const [text, image, forward] = await Promise.all(calls);
  return { text, image, forward };
}

async function withLora(dtype: "f32" | "int8"): Promise<Clip> {
  const clip = await loadClip(lora!.modelDir, { dtype });
  await clip.loadAdapter(resolve(lora!.dir, lora!.json.adapters[0].path), { name: "lora" });
  return clip;
}

const same = (a: Results, b: Results, what: string) => {
  deepStrictEqual(a.text, b.text, `${what}: embedText`);
  deepStrictEqual(a.image, b.image, `${what}: embedImage`);
  deepStrictEqual(a.forward.textEmbeds!.data, b.forward.textEmbeds!.data, `${what}: forward`);
};

for (const dtype of ["f32", "int8"] as const) {
  Deno.test(
    { name: `mergeAdapter during calls (${dtype}): started before → unmerged`, ignore },
    async () => {
      // references: each kind of call with nothing in flight, before and after merging
      const ref = await withLora(dtype);
      const ids = ref.tokenize(TEXTS).inputIds;
      const unmerged = await settle(start(ref, ids));
      await ref.mergeAdapter("lora");
      const merged = await settle(start(ref, ids));
      ok(
        unmerged.text[0].some((v, i) => v !== merged.text[0][i]) &&
          unmerged.image[0].some((v, i) => v !== merged.image[0][i]),
        "merging changes both towers (the test can tell the two apart)",
      );
      ref.dispose();

      const clip = await withLora(dtype);
      const before = start(clip, ids);
      const merging = clip.mergeAdapter("lora");
      const after = start(clip, ids);
      const [b, , a] = await Promise.all([settle(before), merging, settle(after)]);
      same(b, unmerged, "started before mergeAdapter");
      same(a, merged, "started after mergeAdapter");
      clip.dispose();
    },
  );
}
