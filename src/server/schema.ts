// Request bodies, validated strictly: every field is checked for type and range, unknown fields
// are refused (a typo must not be silently ignored), and batch sizes are limited.

import { EdgeClipError } from "../errors.ts";
import type { AdapterSetup } from "../api/setup.ts";
import { resolveTemplates } from "../api/classify.ts";
import { parseAdapterSetup } from "./adapters.ts";

/** One item of an embeddings request, in request order. */
export type EmbeddingInput =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "image"; readonly ref: string; readonly where: string };

/** A validated `POST /v1/embeddings` body. */
export interface EmbeddingsRequest {
  readonly model?: string;
  readonly inputs: readonly EmbeddingInput[];
  readonly encodingFormat: "float" | "base64";
  readonly dimensions?: number;
  readonly truncate: boolean;
  readonly adapters?: AdapterSetup | null;
}

/** A validated `POST /v1/classify` body. */
export interface ClassifyRequest {
  readonly model?: string;
  readonly image: string;
  readonly labels: readonly string[];
  readonly template?: string | readonly string[];
  readonly topK?: number;
  readonly adapters?: AdapterSetup | null;
}

/** Limits applied while validating. */
export interface SchemaLimits {
  readonly maxBatch: number;
  readonly maxLabels: number;
  readonly maxPrompts: number;
  readonly maxTextChars: number;
}

function invalid(message: string): never {
  throw new EdgeClipError("invalid_input", message);
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`;
}

/** Checks that `v` is a plain object with only the `allowed` keys. */
function object(v: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    invalid(`${where} must be a JSON object, not ${typeName(v)}`);
  }
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length) {
    invalid(
      `${where} has unknown field${extra.length > 1 ? "s" : ""} ${
        extra.map((k) => JSON.stringify(k)).join(", ")
      } (allowed: ${allowed.join(", ")})`,
    );
  }
  return v as Record<string, unknown>;
}

function string(v: unknown, where: string): string {
  if (typeof v !== "string") invalid(`${where} must be a string, not ${typeName(v)}`);
  return v;
}

/** A string of at most `limits.maxTextChars` characters (a text, label or template). */
function text(v: unknown, where: string, limits: SchemaLimits): string {
  const s = string(v, where);
  if (s.length > limits.maxTextChars) {
    throw new EdgeClipError(
      "input_too_large",
      `${where} has ${s.length} characters, over this server's limit of ${limits.maxTextChars} ` +
        "(maxTextChars)",
      { chars: s.length, max: limits.maxTextChars },
    );
  }
  return s;
}

function optionalString(v: unknown, where: string): string | undefined {
  return v === undefined ? undefined : string(v, where);
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    invalid(`${where} must be a positive integer`);
  }
  return v;
}

function tooMany(what: string, n: number, max: number, option: string): never {
  throw new EdgeClipError(
    "input_too_large",
    `${what} has ${n} items, over this server's limit of ${max} (${option})`,
    { count: n, max },
  );
}

function embeddingItem(v: unknown, i: number, limits: SchemaLimits): EmbeddingInput {
  const where = `input[${i}]`;
  if (typeof v === "string") return { kind: "text", text: text(v, where, limits) };
  if (typeof v === "number" || Array.isArray(v)) {
    invalid(`${where}: token-id input is not supported; send text strings`);
  }
  const o = object(v, where, ["type", "text", "image_url"]);
  if (o.type === "text") {
    object(v, where, ["type", "text"]);
    return { kind: "text", text: text(o.text, `${where}.text`, limits) };
  }
  if (o.type === "image_url") {
    object(v, where, ["type", "image_url"]);
    const img = object(o.image_url, `${where}.image_url`, ["url"]);
    return { kind: "image", ref: string(img.url, `${where}.image_url.url`), where: `${where}` };
  }
  invalid(`${where}.type must be "text" or "image_url"`);
}

/** Validates a `POST /v1/embeddings` body. */
export function parseEmbeddingsRequest(body: unknown, limits: SchemaLimits): EmbeddingsRequest {
  const o = object(body, "the request body", [
    "model",
    "input",
    "encoding_format",
    "dimensions",
    "user",
    "truncate",
    "adapters",
  ]);
  if (o.input === undefined) invalid('the request body needs an "input" field');
  const raw = Array.isArray(o.input) ? o.input : [o.input];
  if (raw.length === 0) invalid("input must not be an empty array");
  if (raw.length > limits.maxBatch) tooMany("input", raw.length, limits.maxBatch, "maxBatch");
  // [1, 2, 3] is one tokenized text in OpenAI's API, not three inputs
  if (raw.every((x) => typeof x === "number")) {
    invalid("input: token-id input is not supported; send text strings");
  }
  const format = o.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    invalid('encoding_format must be "float" or "base64"');
  }
  optionalString(o.user, "user");
  if (o.truncate !== undefined && typeof o.truncate !== "boolean") {
    invalid("truncate must be true or false");
  }
  return {
    model: optionalString(o.model, "model"),
    inputs: raw.map((v, i) => embeddingItem(v, i, limits)),
    encodingFormat: format,
    dimensions: o.dimensions === undefined ? undefined : positiveInt(o.dimensions, "dimensions"),
    truncate: o.truncate !== false,
    adapters: parseAdapterSetup(o.adapters, "adapters"),
  };
}

/** Validates a `POST /v1/classify` body. */
export function parseClassifyRequest(body: unknown, limits: SchemaLimits): ClassifyRequest {
  const o = object(body, "the request body", [
    "model",
    "image",
    "labels",
    "template",
    "topK",
    "adapters",
  ]);
  if (o.image === undefined) invalid('the request body needs an "image" field');
  const image = string(o.image, "image");
  if (!Array.isArray(o.labels)) invalid("labels must be an array of strings");
  if (o.labels.length === 0) invalid("labels must not be empty");
  if (o.labels.length > limits.maxLabels) {
    tooMany("labels", o.labels.length, limits.maxLabels, "maxLabels");
  }
  const labels = o.labels.map((l, i) => text(l, `labels[${i}]`, limits));
  let template: string | string[] | undefined;
  if (typeof o.template === "string") template = text(o.template, "template", limits);
  else if (Array.isArray(o.template)) {
    if (o.template.length === 0) invalid("template must not be an empty array");
    template = o.template.map((t, i) => text(t, `template[${i}]`, limits));
  } else if (o.template !== undefined) {
    invalid('template must be a string with "{}", an array of them, or a preset name');
  }
  // a preset name stands for its whole list: the prompt limit counts what will run
  const prompts = labels.length * resolveTemplates(template).length;
  if (prompts > limits.maxPrompts) {
    tooMany("labels × templates", prompts, limits.maxPrompts, "maxPrompts");
  }
  return {
    model: optionalString(o.model, "model"),
    image,
    labels,
    template,
    topK: o.topK === undefined ? undefined : positiveInt(o.topK, "topK"),
    adapters: parseAdapterSetup(o.adapters, "adapters"),
  };
}
