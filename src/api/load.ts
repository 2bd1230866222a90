// Loading: loadClip opens a model source (checkpoint/open.ts) and wraps it in a Clip with its
// tokenizer and preprocessor; clipFromLoaded does the wrapping for a model opened elsewhere.

import { type LoadedModel, openModel } from "../checkpoint/open.ts";
import { EdgeClipError } from "../errors.ts";
import { memoryFileSet, type Source, SOURCE_OPTIONS, type SourceOptions } from "../io/source.ts";
import { type Int8Precision, Q8_POLICIES } from "../model/q8_policy.ts";
import { Clip } from "./clip.ts";
import { noTower } from "./forward.ts";
import { checkPreprocessFitsModel, loadPreprocessConfig } from "./images.ts";
import { checkOptionNames } from "./options.ts";
import { loadTokenizer } from "./text.ts";

/**
 * Options of {@link loadClip}. Those of SourceOptions concern where files come from: for a Hub id,
 * `revision`, `hubEndpoint`, `token`, `cacheDir`, `offline` and `subfolder`; `onProgress` for
 * every source.
 */
export interface LoadClipOptions extends SourceOptions {
  /**
   * What to run: "f32" (default), "int8" or "int4". An f32 Hugging Face folder with "int8" is
   * quantized at load; "int4" also, with 4-bit weights in the image tower (text stays int8); an
   * edgeclip package (one .safetensors file from `convert`) runs as converted.
   */
  dtype?: "f32" | "int8" | "int4";
  /** Keep one tower only ("text" or "vision"), e.g. to fit a 128 MB isolate; default both. */
  towers?: "both" | "text" | "vision";
  /**
   * int8 only: how finely activations are quantized at run time (per row).
   * - "balanced" (default): 7 bits in the vision tower where relaxed SIMD exists, 12 bits in the
   *   text tower (cosine to f32 on ViT-B/32: text ~0.9996, image ~0.9999);
   * - "fast": also 7 bits on the text linears fed by a LayerNorm — text ~1.25× faster, cosine
   *   ~0.9993 (down to ~0.9988 on some prompts);
   * - "high": 12 bits everywhere — image cosine 0.99999 instead of 0.99987 at ~1.5× the image
   *   time; text as "balanced".
   */
  int8Precision?: Int8Precision;
  /**
   * Bytes of linear memory all loaded adapters and fusions may hold together (default: no cap).
   * A load that would pass it fails with `input_too_large` and gives back what it took.
   */
  maxAdapterBytes?: number;
}

/**
 * Loads a CLIP checkpoint in the Hugging Face layout (folder path, URL, or in-memory files), or
 * an edgeclip package (one .safetensors file from `convert`). A classifier package
 * (`convert --classifier`) holds the image tower and a fixed label set: `clip.labels` lists them,
 * `classify(image)` scores them, and text calls fail with `tower_missing`.
 *
 * @example
 * ```ts
 * const clip = await loadClip("./clip-vit-base-patch32");
 * const out = await clip.forward({ inputIds, attentionMask, pixelValues });
 * const shapes = await loadClip("./shapes-classifier.safetensors");
 * const [best] = await shapes.classify(await Deno.readFile("square.png"), null, { topK: 1 });
 * ```
 */
export async function loadClip(source: Source, options: LoadClipOptions = {}): Promise<Clip> {
  checkOptionNames(options, LOAD_OPTIONS, "loadClip");
  const budget = options.maxAdapterBytes;
  if (budget !== undefined && !(typeof budget === "number" && budget >= 0)) {
    throw new EdgeClipError(
      "invalid_input",
      `maxAdapterBytes must be a number of bytes ≥ 0, got ${JSON.stringify(budget)}`,
    );
  }
  const precision = options.int8Precision ?? "balanced";
  if (!Object.hasOwn(Q8_POLICIES, precision)) {
    throw new EdgeClipError(
      "invalid_input",
      `int8Precision must be "balanced", "fast" or "high", got ${JSON.stringify(precision)}`,
    );
  }
  const { dtype, towers, int8Precision: _, maxAdapterBytes, ...sourceOptions } = options;
  const opts = { ...sourceOptions, dtype, towers, q8Policy: Q8_POLICIES[precision], precision };
  // only an int8 load named by a string can use the download cache's converted package: the
  // converter's code is imported then, not by every load (less JS heap in a small isolate)
  const loaded = dtype === "int8" && typeof source === "string"
    ? await (await import("../convert/cached.ts")).openModelCached(source, opts)
    : await openModel(source, opts);
  return await clipFromLoaded(loaded, { maxAdapterBytes });
}

const LOAD_OPTIONS = ["dtype", "towers", "int8Precision", "maxAdapterBytes", ...SOURCE_OPTIONS];

/**
 * A Clip over a model already opened (loadClip's second half; the converter embeds a classifier's
 * labels through it): reads the tokenizer and preprocessor files the model's towers use.
 */
export async function clipFromLoaded(
  loaded: LoadedModel,
  opts: { maxAdapterBytes?: number } = {},
): Promise<Clip> {
  // tokenize() is synchronous: the tokenizer files are read here, parsed on first use; a model
  // without text tower skips them
  const tokenizer = loaded.model.text
    ? await loadTokenizer(loaded.files).catch((e: Error) => {
      // a folder without tokenizer files still serves images
      if (e instanceof EdgeClipError && e.code === "source_unavailable") return e;
      throw e;
    })
    : noTower("text");
  // a preprocessor that does not fit the vision tower fails image calls, not the load
  // (forward with ready pixel_values still works)
  const vision = loaded.model.vision;
  const preprocess = vision
    ? await loadPreprocessConfig(loaded.files, vision.cfg).then((cfg) => {
      try {
        checkPreprocessFitsModel(cfg, vision.cfg);
        return cfg;
      } catch (e) {
        return e as Error;
      }
    })
    : noTower("vision");
  // read above, not kept: the caller's in-memory files stay the caller's, and a package's embedded
  // tokenizer files (MBs) are not held for the model's lifetime
  loaded = { ...loaded, files: memoryFileSet({}, loaded.files.label) };
  return new Clip(loaded, tokenizer, preprocess, opts);
}
