// Full f32 forward of a random-weight ViT-B/32-shaped CLIP (built in memory by bench/_models.ts)
// through the public calls: image embeddings (batch 1 and 8, raw 224×224 RGB pixels, so the
// preprocessing is a crop and normalisation) and text embeddings (batch 1: 7 tokens; batch 16:
// rows of 7, 9, 12 and 77 tokens in turn; each row runs to its own length).
//   deno bench --allow-read --allow-env bench/forward_bench.ts      Deno.bench timings
//   deno run --allow-read --allow-env bench/forward_bench.ts [--runs 7] [--filter image]
//     [--variant simd128]                                           median ms and GFLOP/s
// GFLOP counts 2·m·k·n per linear layer plus attention over every key (bench/_models.ts). The
// kernel build is the one loadClip picks (relaxed SIMD where the host validates it) unless
// --variant names one; then the Clip is assembled as loadClip does, with that build.

import { Clip, loadClip } from "../mod.ts";
import { openModel } from "../src/checkpoint/open.ts";
import { loadTokenizer } from "../src/api/text.ts";
import { loadPreprocessConfig } from "../src/api/images.ts";
import type { KernelVariant } from "../src/wasm/module.ts";
import { imageFlops, textFlops, textOfTokens, VIT_B32, vitB32Folder } from "./_models.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

async function clipWith(variant: KernelVariant): Promise<Clip> {
  const m = await openModel(vitB32Folder(), { variant });
  const pre = await loadPreprocessConfig(m.files, m.model.vision!.cfg);
  return new Clip(m, await loadTokenizer(m.files), pre);
}

const variant = flag("variant") as KernelVariant | undefined;
const clip = variant ? await clipWith(variant) : await loadClip(vitB32Folder());

const S = VIT_B32.vision.image;
function image(seed: number) {
  const data = new Uint8Array(S * S * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + seed * 977) % 251;
  return { data, width: S, height: S };
}
const images8 = Array.from({ length: 8 }, (_, i) => image(i));
const LENS16 = Array.from({ length: 16 }, (_, i) => [7, 9, 12, 77][i % 4]);
const texts16 = LENS16.map(textOfTokens);

interface Case {
  name: string;
  flops: number;
  fn: () => Promise<unknown>;
}

const CASES: Case[] = [
  {
    name: "image embedding, batch 1",
    flops: imageFlops(),
    fn: () => clip.embedImage(images8[0]),
  },
  {
    name: "image embedding, batch 8",
    flops: 8 * imageFlops(),
    fn: () => clip.embedImage(images8),
  },
  {
    name: "text embedding, batch 1 (7 tokens)",
    flops: textFlops(7),
    fn: () => clip.embedText(textOfTokens(7)),
  },
  {
    name: "text embedding, batch 16 (7/9/12/77 tokens)",
    flops: LENS16.reduce((s, n) => s + textFlops(n), 0),
    fn: () => clip.embedText(texts16),
  },
];

async function table(): Promise<void> {
  const runs = Number(flag("runs") ?? 7);
  const filter = flag("filter");
  const pre: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await clip.preprocess(images8[0]);
    pre.push(performance.now() - t0);
  }
  console.log(`kernel build: ${variant ?? "loadClip's choice"}`);
  console.log(`preprocess alone (1 image, included below): ${median(pre).toFixed(2)} ms`);
  console.log(["case", "median ms", "min ms", "max ms", "GFLOP", "GFLOP/s"].join("\t"));
  for (const c of CASES) {
    if (filter && !c.name.includes(filter)) continue;
    await c.fn(); // warm-up (first calls compile and grow memory)
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await c.fn();
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    console.log(
      [
        c.name,
        m.toFixed(1),
        Math.min(...ms).toFixed(1),
        Math.max(...ms).toFixed(1),
        (c.flops / 1e9).toFixed(3),
        (c.flops / m / 1e6).toFixed(2),
      ].join("\t"),
    );
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// `deno run` makes this the main module (table); under `deno bench` it is not
if (import.meta.main) {
  await table();
} else {
  for (const c of CASES) {
    Deno.bench({
      name: `${c.name} (${(c.flops / 1e9).toFixed(3)} GFLOP)`,
      n: 10,
      warmup: 2,
      fn: async () => {
        await c.fn();
      },
    });
  }
}
