// `demo`: the README's main job. Zero-shot classification of the sample images with the embedded
// shapes CLIP (models/shapes), first as trained, then with the hexagon adapter that teaches it a
// shape it never saw; then a text search over the same images. Any model and images can be named.

import type { Clip } from "../api/clip.ts";
import { Stack } from "../api/setup.ts";
import { cosine } from "../api/vectors.ts";
import { EdgeClipError } from "../errors.ts";
import { parse, UsageError } from "./args.ts";
import { imagesUnder } from "./inputs.ts";
import { MODEL_OPTIONS, openModel } from "./model.ts";
import { printText } from "./output.ts";

const SHAPES_DIR = new URL("../../models/shapes/", import.meta.url);
const fromRepo = (p: string) => decodeURIComponent(new URL(p, SHAPES_DIR).pathname);
const DEFAULT_MODEL = fromRepo("clip-shapes-int8.safetensors");
const DEFAULT_ADAPTER = fromRepo("adapters/hexagon");
const DEFAULT_IMAGES = fromRepo("samples");

const COLOURS = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"];
const SHAPES = ["circle", "square", "triangle", "star", "cross", "hexagon"];
/** The 48 labels of the shapes world ("red circle", …), hexagons included. */
const SHAPE_LABELS = COLOURS.flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
const SEARCHES = ["a photo of a yellow star.", "a drawing of a large blue hexagon."];
const MAX_IMAGES = 12;

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** The label a sample's file name spells ("3_blue_hexagon.png" → "blue hexagon"), if any. */
function truthOf(file: string, labels: readonly string[]): string | undefined {
  const words = basename(file).toLowerCase().replace(/\.[^.]*$/, "").split(/[_\-\s.]+/);
  return labels.find((l) => {
    const parts = l.split(" ");
    return words.some((_, i) => parts.every((p, j) => words[i + j] === p));
  });
}

function describe(clip: Clip): string {
  const c = clip.config;
  const parts = [];
  if (c.text) parts.push(`text ${c.text.numLayers} layers × ${c.text.hiddenSize}`);
  if (c.vision) {
    const v = c.vision;
    parts.push(
      `vision ${v.numLayers} layers × ${v.hiddenSize} (${v.imageSize} px, patch ${v.patchSize})`,
    );
  }
  parts.push(`${c.projectionDim}-dim embeddings`);
  return parts.join(", ");
}

interface Answer {
  label: string;
  score: number;
  ms: number;
}

/**
 * Each image's top label. The labels are embedded first (into the prompt cache classify reads),
 * so each image's time is its own; `labelsMs` is what that took.
 */
async function classifyEach(
  clip: Clip,
  images: readonly Uint8Array[],
  labels: readonly string[],
): Promise<{ answers: Answer[]; labelsMs: number }> {
  const t0 = performance.now();
  await clip.embedLabels(labels);
  const labelsMs = performance.now() - t0;
  const out: Answer[] = [];
  for (const image of images) {
    const t = performance.now();
    const [top] = await clip.classify(image, labels, { topK: 1 });
    out.push({ label: top.label, score: top.score, ms: performance.now() - t });
  }
  return { answers: out, labelsMs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** Runs `demo`; returns the exit code. */
export async function demoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("demo", args, {
    ...MODEL_OPTIONS,
    images: { type: "string" },
    labels: { type: "string" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, "demo");
  }
  const ownModel = values.model !== undefined;
  if (ownModel && values.labels === undefined) {
    throw new UsageError("with --model, name the labels: --labels cat,dog,…", "demo");
  }
  const labels = values.labels?.split(",").map((s) => s.trim()).filter(Boolean) ?? SHAPE_LABELS;
  const imageDir = values.images ?? DEFAULT_IMAGES;
  const files = (await imagesUnder(imageDir)).sort().slice(0, MAX_IMAGES);
  if (files.length === 0) {
    throw new EdgeClipError("source_unavailable", `no image files in ${imageDir}`);
  }
  const images = await Promise.all(files.map((f) => Deno.readFile(f)));

  const t0 = performance.now();
  const adapterDirs = values.adapter ?? (ownModel ? [] : [DEFAULT_ADAPTER]);
  // the adapters are loaded here, not by openModel, so the first pass runs without them
  const { clip, source, dtype } = await openModel(
    "demo",
    { ...values, adapter: [] },
    DEFAULT_MODEL,
  );
  try {
    const loadMs = performance.now() - t0;
    const shown = ownModel ? source : "models/shapes/clip-shapes-int8.safetensors";
    printText(
      `edgeclip demo: ${shown} (${dtype}; ${describe(clip)}), loaded in ${loadMs.toFixed(0)} ms`,
    );
    if (!ownModel) {
      printText(
        "A small CLIP trained here on synthetic shapes (tools/shapes): five shapes in eight colours.\n" +
          "It never saw a hexagon; the hexagon adapter (a LoRA) teaches it one.",
      );
    }

    const first = await classifyEach(clip, images, labels);
    const base = first.answers;
    const names: string[] = [];
    for (const dir of adapterDirs) names.push(await clip.loadAdapter(dir));
    let adapted: Answer[] | undefined;
    if (names.length) {
      clip.setActiveAdapters(names.length === 1 ? names[0] : Stack(...names));
      adapted = (await classifyEach(clip, images, labels)).answers;
    }

    printText(
      `\nZero-shot classification over ${labels.length} labels ("a photo of a {}."), ` +
        (adapted ? `without and with the ${names.join(" + ")} adapter:` : "top label:"),
    );
    const lw = Math.max(...[...base, ...adapted ?? []].map((a) => a.label.length));
    const cell = (a: Answer, truth?: string) =>
      `${a.label.padEnd(lw)} ${(a.score * 100).toFixed(0).padStart(3)}%${
        truth === undefined ? "" : a.label === truth ? " ✓" : " ✗"
      }`;
    const rows = files.map((f, i) => {
      const truth = truthOf(f, labels);
      return [
        basename(f),
        cell(base[i], truth),
        adapted ? cell(adapted[i], truth) : "",
        `${base[i].ms.toFixed(1)}${adapted ? ` / ${adapted[i].ms.toFixed(1)}` : ""}`,
      ];
    });
    const head = ["image", "without adapter", adapted ? `with ${names.join(" + ")}` : "", "ms"];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    for (const r of [head, ...rows]) {
      printText("  " + r.map((v, c) => v.padEnd(widths[c])).join("  ").trimEnd());
    }

    const searches = ownModel ? [] : SEARCHES;
    if (searches.length) {
      const [texts, pics] = [await clip.embedText(searches), await clip.embedImage(images)];
      printText(`\nText search over the ${images.length} images (with the adapter):`);
      searches.forEach((q, i) => {
        const ranked = pics.map((e, j) => ({ j, s: cosine(texts[i], e) })).sort((a, b) =>
          b.s - a.s
        );
        const best = ranked.slice(0, 2).map(({ j, s }) =>
          `${basename(files[j])} (${s.toFixed(3)})`
        );
        printText(`  ${JSON.stringify(q)} → ${best.join(", ")}`);
      });
    }

    const mem = Deno.memoryUsage();
    printText(
      `\n${median(base.map((a) => a.ms)).toFixed(1)} ms per image (median, one at a time; the ` +
        `${labels.length} labels embedded once in ${
          first.labelsMs.toFixed(0)
        } ms); process memory ` +
        `${mib(mem.rss)} (WebAssembly and buffers ${mib(mem.external)}, JS heap ${
          mib(mem.heapUsed)
        })`,
    );
  } finally {
    clip.dispose();
  }
  return 0;
}
