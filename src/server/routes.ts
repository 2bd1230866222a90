// What each route does once its body is validated: fetch/decode image references (outside the
// compute queue), run the model (inside it), and shape the answer.

import type { Clip } from "../api/clip.ts";
import { EdgeClipError } from "../errors.ts";
import { base64Encode } from "../io/base64.ts";
import { HttpError } from "./error_response.ts";
import { ByteBudget, imageBytes, type ImagePolicy } from "./image_input.ts";
import type { ComputeQueue } from "./queue.ts";
import type { ClassifyRequest, EmbeddingsRequest } from "./schema.ts";

/** What the server needs of a model: the Clip calls, plus optional facts for /healthz. */
export type ServedClip =
  & Pick<Clip, "config" | "tokenize" | "embedText" | "embedImage" | "classify">
  & {
    /** Weight format being run ("f32", "int8"), when the model reports it. */
    readonly dtype?: string;
    /** Names of the loaded adapters, when the model reports them. */
    readonly adapterNames?: readonly string[];
    /** A classifier package's labels (classify without labels scores them). */
    readonly labels?: readonly string[];
  };

/** Everything a route needs besides its request. */
export interface RouteContext {
  readonly clip: ServedClip;
  readonly queue: ComputeQueue;
  readonly modelName: string;
  readonly dtype: string;
  readonly images: ImagePolicy;
  readonly maxBodyBytes: number;
  readonly maxPixels: number;
  /** The request's abort signal, read lazily (see ComputeQueue.run). */
  readonly signal?: () => AbortSignal | undefined;
}

/** Texts per embedText call of an embeddings request (as embedImage runs 16 images at a time). */
const TEXTS_PER_CALL = 16;

/** Refuses requests that name another model (a client must not get a silently different one). */
export function checkModel(ctx: RouteContext, model: string | undefined): void {
  if (model !== undefined && model !== ctx.modelName) {
    throw new HttpError(
      "model_not_found",
      `this server serves the model ${JSON.stringify(ctx.modelName)}, not ${
        JSON.stringify(model)
      }; send that name or leave "model" out`,
    );
  }
}

/** Little-endian float32 bytes as base64 (OpenAI's encoding_format: "base64"). */
function float32Base64(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  return base64Encode(bytes);
}

/**
 * `POST /v1/embeddings`. Usage counts the tokens the model ran: for a text, its BPE tokens plus
 * the start and end tokens, after truncation to the context; for an image, the vision
 * sequence (one token per patch plus the class token).
 */
export async function embeddings(ctx: RouteContext, req: EmbeddingsRequest): Promise<unknown> {
  checkModel(ctx, req.model);
  const budget = new ByteBudget(ctx.maxBodyBytes);
  const texts: string[] = [];
  const images: Uint8Array[] = [];
  for (const item of req.inputs) {
    if (item.kind === "text") texts.push(item.text);
    else images.push(await imageBytes(item.ref, item.where, ctx.images, budget));
  }
  const adapters = req.adapters === undefined ? {} : { adapters: req.adapters };
  const { textEmbeds, imageEmbeds, tokens } = await ctx.queue.run(async () => {
    let tokens = 0;
    const textEmbeds: Float32Array[] = [];
    if (texts.length) {
      // tokenize first: it counts the tokens and refuses over-long texts before any compute
      const contextLength = ctx.clip.config.text?.maxPositions;
      const mask = ctx.clip.tokenize(texts, { contextLength, truncate: req.truncate })
        .attentionMask.data;
      for (let i = 0; i < mask.length; i++) tokens += mask[i];
      // a few texts per model call bound the activation memory (a ViT-B/32 needs ~2 MB per
      // 77-token text, kept: linear memory never shrinks); each text's embedding does not
      // depend on its batch (a BatchSplit setup would, and requests cannot name one)
      for (let i = 0; i < texts.length; i += TEXTS_PER_CALL) {
        const part = texts.slice(i, i + TEXTS_PER_CALL);
        textEmbeds.push(...await ctx.clip.embedText(part, { truncate: req.truncate, ...adapters }));
      }
    }
    let imageEmbeds: Float32Array[] = [];
    if (images.length) {
      imageEmbeds = await ctx.clip.embedImage(images, {
        maxPixels: ctx.maxPixels,
        maxBytes: ctx.images.maxImageBytes,
        ...adapters,
      });
      const v = ctx.clip.config.vision;
      if (v) tokens += images.length * ((v.imageSize / v.patchSize) ** 2 + 1);
    }
    return { textEmbeds, imageEmbeds, tokens };
  }, ctx.signal);
  let t = 0, m = 0;
  const data = req.inputs.map((item, index) => {
    const e = item.kind === "text" ? textEmbeds[t++] : imageEmbeds[m++];
    if (req.dimensions !== undefined && req.dimensions !== e.length) {
      throw new EdgeClipError(
        "invalid_input",
        `dimensions: this model's embeddings have ${e.length} dimensions and cannot be shortened`,
      );
    }
    return {
      object: "embedding",
      index,
      embedding: req.encodingFormat === "base64" ? float32Base64(e) : Array.from(e),
    };
  });
  return {
    object: "list",
    data,
    model: ctx.modelName,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** `POST /v1/classify`. */
export async function classify(ctx: RouteContext, req: ClassifyRequest): Promise<unknown> {
  checkModel(ctx, req.model);
  const bytes = await imageBytes(req.image, "image", ctx.images, new ByteBudget(ctx.maxBodyBytes));
  const results = await ctx.queue.run(
    () =>
      ctx.clip.classify(bytes, req.labels, {
        template: req.template,
        topK: req.topK,
        maxPixels: ctx.maxPixels,
        maxBytes: ctx.images.maxImageBytes,
        ...(req.adapters === undefined ? {} : { adapters: req.adapters }),
      }),
    ctx.signal,
  );
  return { results: results.map(({ label, score }) => ({ label, score })) };
}

/** `GET /healthz`. */
export function health(ctx: RouteContext): unknown {
  const labels = ctx.clip.labels?.length; // (the getter copies the list)
  return {
    status: "ok",
    model: ctx.modelName,
    dtype: ctx.dtype,
    adapters: [...(ctx.clip.adapterNames ?? [])],
    ...(labels !== undefined ? { labels } : {}),
    queue: { busy: ctx.queue.busy, waiting: ctx.queue.waiting, maxWaiting: ctx.queue.maxWaiting },
  };
}
