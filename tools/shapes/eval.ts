// `deno task shapes:eval [--n 400] [--seed 1] [--package FILE] [--f32 DIR] [--adapter DIR]
// [--dir DIR]`: generates fresh images with the TypeScript generator (world.ts, no Python) and
// prints how the shapes models classify them through the public API: a package (int8 or int4), the f32
// folder when it exists, their agreement, the hexagon adapter on hexagons and on base images, and
// what the base model answers on hexagons. `--dir` also scores a folder of images whose file
// names contain the colour and the shape (e.g. `0001_red_circle.png`).

import { parseArgs } from "node:util";
import { type Clip, loadClip } from "../../mod.ts";
import { ALL_SHAPES, BASE_SHAPES, COLOURS, encodeScene, HEXAGON, labels, scenes } from "./world.ts";
import { agreement, type Answer, answersFor, confusion, summary } from "./scoring.ts";
import { exists } from "../../tests/_util/files.ts";

export const PACKAGE = "models/shapes/clip-shapes-int8.safetensors";
export const F32_DIR = ".cache/shapes/clip-shapes-f32";
export const ADAPTER_DIR = "models/shapes/adapters/hexagon";

/** An image file and its true label. */
export interface Item {
  bytes: Uint8Array;
  truth: string;
}

/** Top-1 label of each image (default template "a photo of a {}."). */
export async function classifyAll(
  clip: Clip,
  items: readonly Item[],
  labelSet: readonly string[],
): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const it of items) {
    // a classifier package scores its own labels (it has no text tower)
    const [top] = await clip.classify(it.bytes, clip.labels ? null : labelSet, { topK: 1 });
    out.push({ truth: it.truth, predicted: top.label });
  }
  return out;
}

/** Generated items (TypeScript generator) of the given shapes. */
export async function generated(
  seed: number,
  n: number,
  shapes: readonly string[],
): Promise<Item[]> {
  return await Promise.all(
    scenes(seed, n, shapes).map(async (s) => ({
      bytes: await encodeScene(s),
      truth: `${s.colour} ${s.shape}`,
    })),
  );
}

/** Images of a folder whose names contain a colour and a shape word. */
export async function folder(dir: string): Promise<Item[]> {
  const items: Item[] = [];
  const names = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  for (const name of names.sort()) {
    if (!/\.(png|jpe?g)$/i.test(name)) continue;
    const words = name.toLowerCase().split(/[^a-z]+/);
    const colour = Object.keys(COLOURS).find((c) => words.includes(c));
    const shape = ALL_SHAPES.find((s) => words.includes(s));
    if (!colour || !shape) throw new Error(`${name}: no colour and shape word in the name`);
    items.push({ bytes: await Deno.readFile(`${dir}/${name}`), truth: `${colour} ${shape}` });
  }
  return items;
}

interface Sets {
  base: Item[];
  hexagons: Item[];
  dir?: { name: string; items: Item[] };
}

/** Everything one model (int8 package or f32 folder) does on the sets; returns its answers. */
async function runModel(
  name: string,
  clip: Clip,
  sets: Sets,
  adapter: string | null,
): Promise<Record<string, Answer[]>> {
  const L40 = labels(BASE_SHAPES), L48 = labels(ALL_SHAPES);
  const r: Record<string, Answer[]> = {};
  r.base = await classifyAll(clip, sets.base, L40);
  console.log(summary(`${name}, base images, 40 labels`, r.base));
  console.log(confusion(r.base, BASE_SHAPES));
  r.hexNoAdapter = await classifyAll(clip, sets.hexagons, L48);
  const hexLabels = clip.labels?.length ?? L48.length; // a classifier package scores its own
  console.log(
    summary(`${name} without adapter, hexagon images, ${hexLabels} labels`, r.hexNoAdapter),
  );
  console.log(answersFor(r.hexNoAdapter));
  if (sets.dir) {
    const hasHex = sets.dir.items.some((i) => i.truth.endsWith(HEXAGON));
    r.dir = await classifyAll(clip, sets.dir.items, hasHex ? L48 : L40);
    console.log(summary(`${name}, ${sets.dir.name}`, r.dir));
    console.log(confusion(r.dir, hasHex ? ALL_SHAPES : BASE_SHAPES));
  }
  if (adapter && clip.labels) {
    // the hexagon adapter adapts the text tower, which a classifier package left out
    console.log(
      `${name}: a classifier package (its own ${clip.labels.length} labels): no adapter runs`,
    );
  } else if (adapter) {
    await clip.loadAdapter(adapter, { name: "hexagon" });
    clip.setActiveAdapters("hexagon");
    r.hexAdapter = await classifyAll(clip, sets.hexagons, L48);
    console.log(summary(`${name} + hexagon adapter, hexagon images, 48 labels`, r.hexAdapter));
    r.baseAdapter = await classifyAll(clip, sets.base, L48);
    console.log(summary(`${name} + hexagon adapter, base images, 48 labels`, r.baseAdapter));
    console.log(confusion([...r.baseAdapter, ...r.hexAdapter], ALL_SHAPES));
    if (sets.dir) {
      r.dirAdapter = await classifyAll(clip, sets.dir.items, L48);
      console.log(summary(`${name} + hexagon adapter, ${sets.dir.name}, 48 labels`, r.dirAdapter));
    }
  }
  return r;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      n: { type: "string", default: "400" },
      hexagons: { type: "string" },
      seed: { type: "string", default: "1" },
      package: { type: "string", default: PACKAGE },
      f32: { type: "string", default: F32_DIR },
      adapter: { type: "string", default: ADAPTER_DIR },
      dir: { type: "string" },
    },
  });
  const n = Number(values.n), seed = Number(values.seed);
  const nHex = Number(values.hexagons ?? Math.max(1, Math.round(n / 2)));
  const t0 = performance.now();
  const sets: Sets = {
    base: await generated(seed, n, BASE_SHAPES),
    hexagons: await generated(seed + 1_000_000, nHex, [HEXAGON]),
    dir: values.dir ? { name: values.dir, items: await folder(values.dir) } : undefined,
  };
  console.log(
    `${n} base images (seed ${seed}) and ${nHex} hexagons (seed ${seed + 1_000_000}) from ` +
      `tools/shapes/world.ts` + (sets.dir ? `; ${sets.dir.items.length} from ${values.dir}` : ""),
  );
  const adapter = exists(values.adapter) ? values.adapter : null;
  const runs: Record<string, Record<string, Answer[]>> = {};
  const names: string[] = [];
  for (const [kind, path] of [["package", values.package], ["f32", values.f32]]) {
    if (!exists(path)) {
      console.log(`\n(${kind}: ${path} not found, skipped)`);
      continue;
    }
    const clip = await loadClip(path);
    const name = clip.dtype; // int8, int4 or f32: what the file holds
    console.log(`\n== ${name}: ${path}`);
    runs[name] = await runModel(name, clip, sets, adapter);
    names.push(name);
    clip.dispose();
  }
  if (names.length === 2 && names[0] !== names[1]) {
    const [a, b] = names;
    console.log(`\n== ${a} vs ${b}: same top-1 label on`);
    for (const k of Object.keys(runs[a])) {
      console.log(`  ${k}: ${(100 * agreement(runs[a][k], runs[b][k])).toFixed(2)}%`);
    }
  }
  console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
