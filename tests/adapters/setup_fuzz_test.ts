// Random adapter setups (seeded): nested blocks of every kind over adapters of every method, some
// left out of some layers, with random batch sizes, splits and weights. Each call either runs or
// fails with an EdgeClipError; never another error (a TypeError from a half-built composition).

import { ok } from "node:assert/strict";
import {
  type AdapterSetup,
  Average,
  BatchSplit,
  EdgeClipError,
  Fuse,
  loadClip,
  Split,
  Stack,
} from "../../mod.ts";
import { resolve } from "../golden/clip_cases.ts";
import { Prng } from "../_util/prng.ts";
import { goldenCase, readFolder, writeFolder } from "./_folders.ts";

const CASES = ["seq_bn", "par_bn", "double_seq_bn", "lora", "ia3", "prefix_tuning", "loreft"];
const ignore = CASES.some((c) => !goldenCase(c)) || !goldenCase("fuse_dynamic");
const SEED = 20261207, SETUPS = 150;

/** seq_bn without its modules in text layer 1 and vision layer 0 (global ids 1 and 3). */
function leftOut() {
  const { meta, t } = readFolder("seq_bn", "seq_bn");
  (meta.config as Record<string, unknown>).leave_out = [1, 3];
  for (const k of [...t.keys()]) {
    if (/^(text_model\.encoder\.layers\.1|vision_model\.encoder\.layers\.0)\./.test(k)) t.delete(k);
  }
  return writeFolder(meta, t);
}

Deno.test({ name: "random setups run or fail with an EdgeClipError", ignore }, async () => {
  const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
  for (const c of CASES) {
    const g = goldenCase(c)!;
    await clip.loadAdapter(resolve(g.dir, g.json.adapters[0].path), { name: c });
  }
  await clip.loadAdapter(leftOut(), { name: "seq_lo" });
  const fuse = goldenCase("fuse_dynamic")!;
  for (const a of fuse.json.adapters) await clip.loadAdapter(resolve(fuse.dir, a.path));
  const fused = fuse.json.fusion!.name.split(",");
  await clip.loadFusion(resolve(fuse.dir, fuse.json.fusion!.path), fused);

  const rng = new Prng(SEED);
  const names = [...CASES, "seq_lo", ...fused];
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const B = 2, S = 5; // 2 texts of 5 tokens, 2 images
  /** A random setup: deeper levels get fewer blocks, as real setups do. */
  const setup = (depth: number): AdapterSetup => {
    if (depth > 2 || rng.next() < 0.35) return pick(names);
    const kids = Array.from({ length: rng.int(1, 3) }, () => setup(depth + 1));
    const sizes = (total: number) => {
      const cut = rng.int(0, total);
      return kids.length === 1 ? [total] : [cut, total - cut, ...kids.slice(2).map(() => 0)];
    };
    switch (rng.int(0, 4)) {
      case 0:
        return new Stack(...kids);
      case 1:
        return rng.next() < 0.5 ? new Fuse(...fused) : new Fuse(...kids);
      case 2:
        return new Split(...kids, { splits: sizes(rng.next() < 0.7 ? S : 50) });
      case 3:
        return new BatchSplit(...kids, { batchSizes: sizes(B + (rng.next() < 0.1 ? 1 : 0)) });
      default:
        return new Average(...kids, { weights: kids.map(() => rng.uniform(0.1, 2)) });
    }
  };
  const inputs = {
    inputIds: {
      data: Int32Array.of(49406, 320, 1125, 539, 49407, 49406, 320, 49407, 0, 0),
      shape: [B, S],
    },
    attentionMask: { data: Int32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0), shape: [B, S] },
    pixelValues: { data: new Float32Array(B * 3 * 224 * 224).fill(0.25), shape: [B, 3, 224, 224] },
  };
  let ran = 0;
  for (let i = 0; i < SETUPS; i++) {
    const s = setup(0);
    try {
      await clip.forward(inputs, { adapters: s });
      ran++;
    } catch (e) {
      ok(
        e instanceof EdgeClipError,
        `seed ${SEED}, setup ${i} ${JSON.stringify(s)}: not an EdgeClipError: ${e}`,
      );
    }
  }
  ok(ran > 10, `only ${ran} of ${SETUPS} setups ran (the generator must reach working ones)`);
  clip.dispose();
});
