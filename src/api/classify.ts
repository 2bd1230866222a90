// Zero-shot classification: each label becomes one or more prompts; its text feature is the mean
// of the prompts' normalised embeddings, renormalised (CLIP's prompt ensembling). Scores are the
// softmax over labels of exp(logit_scale)·cos(image, label).

import type { LabelHead } from "../checkpoint/open.ts";
import { EdgeClipError } from "../errors.ts";
import { TEMPLATE_PRESET_NAMES, TEMPLATE_PRESETS } from "./templates.ts";

/** Options of `clip.classify`. */
export interface ClassifyOptions {
  /**
   * A prompt with "{}" for the label, several (ensembled), or a preset name: "clip-imagenet-80"
   * (the 80 templates of the CLIP paper's ImageNet evaluation) or "clip-imagenet-7" (its best
   * 7-template subset). Default "a photo of a {}.".
   */
  template?: string | readonly string[];
  /** Keep only the best k results (default: all). */
  topK?: number;
}

/** One label's probability in a classification. */
export interface LabelScore {
  /** The label as given. */
  label: string;
  /** Softmax probability over the labels. */
  score: number;
}

export const DEFAULT_TEMPLATE = "a photo of a {}.";

/**
 * The templates a `template` option stands for: the default, a preset's list, or the given
 * template(s), each checked to hold "{}". Throws `invalid_input` otherwise.
 */
export function resolveTemplates(template: ClassifyOptions["template"]): readonly string[] {
  if (template === undefined) return [DEFAULT_TEMPLATE];
  if (typeof template === "string" && !template.includes("{}")) {
    const preset = TEMPLATE_PRESETS.get(template);
    if (preset) return preset;
    throw new EdgeClipError(
      "invalid_input",
      `template ${JSON.stringify(template)} has no "{}" for the label and is not a preset ` +
        `(${TEMPLATE_PRESET_NAMES.join(", ")})`,
    );
  }
  const templates = typeof template === "string" ? [template] : template;
  if (
    !Array.isArray(templates) || templates.length === 0 ||
    templates.some((t) => typeof t !== "string" || !t.includes("{}"))
  ) {
    throw new EdgeClipError(
      "invalid_input",
      'template must be a string containing "{}" (where the label goes), a non-empty array of ' +
        `them, or a preset name (${TEMPLATE_PRESET_NAMES.join(", ")})`,
    );
  }
  return templates;
}

/** Validates labels and templates; returns the prompt list (template-major). */
export function prompts(labels: readonly string[], opts: ClassifyOptions): string[][] {
  if (!Array.isArray(labels) || labels.length === 0 || labels.some((l) => typeof l !== "string")) {
    throw new EdgeClipError("invalid_input", "labels must be a non-empty array of strings");
  }
  const templates = resolveTemplates(opts.template);
  checkTopK(opts.topK);
  return templates.map((t) => labels.map((l) => t.replaceAll("{}", l)));
}

function checkTopK(topK: number | undefined): void {
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1)) {
    throw new EdgeClipError("invalid_input", "topK must be a positive integer");
  }
}

/**
 * The label set of a call that omits labels: a classifier package's, embedded at conversion
 * (their templates are fixed: `template` is refused). Any other model needs labels.
 */
export function storedLabelSet(head: LabelHead | undefined, opts: ClassifyOptions): LabelHead {
  if (!head) {
    throw new EdgeClipError(
      "invalid_input",
      "labels are required: this model is not a classifier package (convert --classifier makes one)",
    );
  }
  if (opts.template !== undefined) {
    throw new EdgeClipError(
      "invalid_input",
      `this classifier package's labels were embedded at conversion with ${head.templates.length} ` +
        "template(s); omit template (or convert again with other templates)",
    );
  }
  checkTopK(opts.topK);
  return head;
}

/** Prompts per text batch when classify embeds its prompts. */
const PROMPTS_PER_CALL = 64;

/**
 * The label embeddings of one classify call: each prompt's embedding from `cache` (under
 * `key` + prompt) or embedded now, then ensembled per label.
 */
export function labelEmbeddings(
  perTemplate: string[][],
  opts: { cache: EmbeddingCache; key: string; embed: (prompts: string[]) => Float32Array[] },
): Float32Array[] {
  // this call's prompt embeddings, held here: the shared cache may evict some of them when a
  // call has more prompts than it holds (a preset over many labels)
  const embeds = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const p of new Set(perTemplate.flat())) {
    const hit = opts.cache.get(`${opts.key}\0${p}`);
    if (hit) embeds.set(p, hit);
    else missing.push(p);
  }
  // a chunk at a time bounds the activation memory (an embedding does not depend on its batch)
  for (let i = 0; i < missing.length; i += PROMPTS_PER_CALL) {
    const part = missing.slice(i, i + PROMPTS_PER_CALL);
    const embs = opts.embed(part);
    part.forEach((p, j) => {
      embeds.set(p, embs[j]);
      opts.cache.set(`${opts.key}\0${p}`, embs[j]);
    });
  }
  return ensemble(perTemplate.map((ps) => ps.map((p) => embeds.get(p)!)), perTemplate[0].length);
}

/** Mean of the templates' normalised embeddings per label, renormalised. */
export function ensemble(perTemplate: Float32Array[][], labels: number): Float32Array[] {
  const dim = perTemplate[0][0].length;
  return Array.from({ length: labels }, (_, i) => {
    const m = new Float64Array(dim);
    for (const embs of perTemplate) for (let c = 0; c < dim; c++) m[c] += embs[i][c];
    let n = 0;
    for (let c = 0; c < dim; c++) n += m[c] * m[c];
    n = Math.sqrt(n);
    return Float32Array.from(m, (v) => v / n);
  });
}

/** Softmax of exp(logitScale)·cos over labels, best first. */
export function scoreLabels(
  image: Float32Array,
  labelEmbeds: readonly Float32Array[],
  labels: readonly string[],
  logitScale: number,
  topK?: number,
): LabelScore[] {
  // plain loops over a Float64Array (the same doubles as before): per-label callbacks and arrays
  // of numbers cost ~1.5 MiB of garbage on a 1,000-label classifier's first call
  const scale = Math.exp(logitScale), n = labelEmbeds.length;
  const exps = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = labelEmbeds[i];
    let s = 0;
    for (let c = 0; c < t.length; c++) s += t[c] * image[c];
    exps[i] = s * scale;
    if (exps[i] > max) max = exps[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += exps[i] = Math.exp(exps[i] - max);
  const out = labels.map((label, i) => ({ label, score: exps[i] / sum }));
  out.sort((a, b) => b.score - a.score);
  return topK ? out.slice(0, topK) : out;
}

/** A small LRU of text embeddings (prompts repeat across classify calls). */
export class EmbeddingCache {
  readonly #map = new Map<string, Float32Array>();
  constructor(readonly capacity = 4096) {}

  get(key: string): Float32Array | undefined {
    const v = this.#map.get(key);
    if (v) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, v: Float32Array): void {
    this.#map.delete(key);
    this.#map.set(key, v);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(): void {
    this.#map.clear();
  }
}
