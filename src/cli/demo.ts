// `demo`: the README's main job — embed texts and images, compare them, classify an image —
// on the tiny golden model by default (random weights: the numbers show the API, not CLIP).

import type { Clip } from "../api/clip.ts";
import { EdgeClipError } from "../errors.ts";
import { parse, UsageError } from "./args.ts";
import { imagesUnder } from "./inputs.ts";
import { MODEL_OPTIONS, openModel } from "./model.ts";
import { printText } from "./output.ts";

const TEXTS = [
  "a photo of a cat",
  "concentric rings",
  "thick pen strokes on paper",
  "random colour noise",
];
const LABELS = ["concentric rings", "pen strokes", "random noise", "a cat"];
const MAX_IMAGES = 4;

/** $CLIP_GOLDEN_DIR, or ../shared/golden beside the repository (as the tests find it). */
function goldenDir(): string {
  const env = Deno.env.get("CLIP_GOLDEN_DIR");
  if (env) return env.replace(/\/+$/, "");
  return decodeURIComponent(new URL("../../../shared/golden", import.meta.url).pathname);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / Math.sqrt(na * nb);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
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

function preview(e: Float32Array): string {
  return `[${Array.from(e.subarray(0, 4), (v) => v.toFixed(3).padStart(6)).join(", ")}, …]`;
}

/** Runs `demo`; returns the exit code. */
export async function demoCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("demo", args, {
    ...MODEL_OPTIONS,
    images: { type: "string" },
  });
  if (positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, "demo");
  }
  const golden = goldenDir();
  const tiny = values.model === undefined;
  const defaultModel = `${golden}/clip/model`;
  if (tiny && !exists(defaultModel)) {
    throw new EdgeClipError(
      "source_unavailable",
      `the demo's default model is not at ${defaultModel}; set CLIP_GOLDEN_DIR or pass --model DIR`,
    );
  }
  const imageDir = values.images ?? `${golden}/images`;
  if (!exists(imageDir)) {
    throw new EdgeClipError("source_unavailable", `no images at ${imageDir}; pass --images DIR`);
  }
  // PNGs first: the most common lossless format makes the most predictable demo input
  const found = await imagesUnder(imageDir);
  const isPng = (p: string) => p.toLowerCase().endsWith(".png");
  const images = [...found.filter(isPng), ...found.filter((p) => !isPng(p))].slice(0, MAX_IMAGES);
  if (images.length === 0) {
    throw new EdgeClipError("source_unavailable", `no image files in ${imageDir}`);
  }

  const t0 = performance.now();
  const { clip, source, dtype } = await openModel("demo", values, defaultModel);
  const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
  printText(`edgeclip demo — model ${source} (${dtype}; ${describe(clip)}), loaded in ${ms(t0)}`);
  if (tiny) {
    printText(
      "NOTE: this is the tiny golden test model. Its weights are random, so the similarities and\n" +
        "      scores below carry no meaning; they only show the API at work. For real results:\n" +
        "      deno task demo --model /path/to/clip-vit-base-patch32",
    );
  }

  let t = performance.now();
  const textEmbeds = await clip.embedText(TEXTS);
  printText(`\n1. Text embeddings (${TEXTS.length} texts, ${ms(t)}):`);
  const w = Math.max(...TEXTS.map((s) => s.length)) + 2;
  TEXTS.forEach((s, i) => printText(`   ${JSON.stringify(s).padEnd(w)} ${preview(textEmbeds[i])}`));

  t = performance.now();
  const imageEmbeds = await clip.embedImage(images);
  printText(`\n2. Image embeddings (${images.length} images from ${imageDir}, ${ms(t)}):`);
  const names = images.map(basename);
  const iw = Math.max(...names.map((n) => n.length)) + 2;
  names.forEach((n, i) => printText(`   ${n.padEnd(iw)} ${preview(imageEmbeds[i])}`));

  printText("\n3. Cosine similarity, texts × images:");
  printText(`   ${"".padEnd(w)} ${names.map((_, j) => `img${j + 1}`.padStart(7)).join("")}`);
  TEXTS.forEach((s, i) =>
    printText(
      `   ${JSON.stringify(s).padEnd(w)} ${
        imageEmbeds.map((e) => cosine(textEmbeds[i], e).toFixed(3).padStart(7)).join("")
      }`,
    )
  );

  t = performance.now();
  const results = await clip.classify(images[0], LABELS, { template: "a photo of {}." });
  printText(`\n4. Zero-shot classification of ${names[0]} (${ms(t)}):`);
  const lw = Math.max(...LABELS.map((l) => l.length)) + 2;
  for (const { label, score } of results) {
    const bar = "#".repeat(Math.round(score * 30));
    printText(`   ${label.padEnd(lw)} ${(score * 100).toFixed(1).padStart(5)}%  ${bar}`);
  }
  if (tiny) printText("\n(random weights: these scores are not a prediction)");
  clip.dispose();
  return 0;
}
