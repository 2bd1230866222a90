// clip.forward: Hugging Face CLIPModel.forward's outputs, with its shapes and normalisation:
// padded text positions are run (hidden states are [B, S, H]), embeds are L2-normalised, and
// logits = exp(logit_scale)·cos. Vision runs before text, as in HF (ReFT caching depends on it).

import { EdgeClipError } from "../errors.ts";
import type { ClipModel } from "../model/clip_model.ts";
import type { ModelHooks } from "../model/hooks.ts";
import type { TextSeq } from "../model/text_model.ts";
import { type Tensor, tensor } from "../tensor.ts";

export interface ForwardInputs {
  /** int [B, S] token ids. */
  inputIds?: Tensor;
  /** int [B, S], 1 = attend, 0 = padding. Absent = attend everywhere. */
  attentionMask?: Tensor;
  /** float [B, C, H, W], already preprocessed. */
  pixelValues?: Tensor;
}

export interface ForwardOutputs {
  textEmbeds?: Tensor<Float32Array>;
  imageEmbeds?: Tensor<Float32Array>;
  logitsPerImage?: Tensor<Float32Array>;
  logitsPerText?: Tensor<Float32Array>;
  textLastHiddenState?: Tensor<Float32Array>;
  textPoolerOutput?: Tensor<Float32Array>;
  visionLastHiddenState?: Tensor<Float32Array>;
  visionPoolerOutput?: Tensor<Float32Array>;
}

function intRows(t: Tensor, name: string): Int32Array[] {
  if (
    !t || !(t.data instanceof Int32Array || t.data instanceof Float32Array) || t.shape?.length !== 2
  ) {
    throw new EdgeClipError(
      "invalid_input",
      `${name} must be a 2-D int tensor { data, shape: [B, S] }`,
    );
  }
  const [B, S] = t.shape;
  if (t.data.length !== B * S) {
    throw new EdgeClipError(
      "invalid_input",
      `${name} has ${t.data.length} values for shape [${B}, ${S}]`,
    );
  }
  return Array.from({ length: B }, (_, b) => Int32Array.from(t.data.subarray(b * S, (b + 1) * S)));
}

/** Row-wise L2 normalisation of a [rows × cols] array. */
export function l2Normalize(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] * inv;
  }
  return out;
}

/** Runs the towers the inputs ask for; both share `hooks` (adapters may keep state between them). */
export function runForward(
  model: ClipModel,
  inputs: ForwardInputs,
  hooks: ModelHooks,
): ForwardOutputs {
  const out: ForwardOutputs = {};
  const P = model.cfg.projectionDim;
  let img: Float32Array | undefined, txt: Float32Array | undefined;
  let Bi = 0, Bt = 0;

  if (inputs.pixelValues) {
    if (!model.vision) {
      throw new EdgeClipError("invalid_input", "this checkpoint has no vision tower");
    }
    const pv = inputs.pixelValues;
    const v = model.vision.cfg;
    const want = [v.numChannels, v.imageSize, v.imageSize];
    if (
      !(pv.data instanceof Float32Array) || pv.shape?.length !== 4 ||
      pv.shape.slice(1).some((d, i) => d !== want[i]) ||
      pv.data.length !== pv.shape.reduce((a, d) => a * d, 1)
    ) {
      throw new EdgeClipError(
        "invalid_input",
        `pixelValues must be float32 [B, ${want.join(", ")}], got [${pv.shape}]`,
      );
    }
    Bi = pv.shape[0];
    const enc = model.encodeImage(pv.data, Bi, hooks, { hidden: true });
    const H = v.hiddenSize, N = model.vision.tokens;
    out.visionLastHiddenState = tensor(enc.hidden!, [Bi, N, H]);
    out.visionPoolerOutput = tensor(enc.pooled, [Bi, H]);
    if (enc.embeds) {
      img = l2Normalize(enc.embeds, Bi, P);
      out.imageEmbeds = tensor(img, [Bi, P]);
    }
  }

  if (inputs.inputIds) {
    if (!model.text) throw new EdgeClipError("invalid_input", "this checkpoint has no text tower");
    const ids = intRows(inputs.inputIds, "inputIds");
    const masks = inputs.attentionMask ? intRows(inputs.attentionMask, "attentionMask") : undefined;
    if (masks && (masks.length !== ids.length || masks[0]?.length !== ids[0]?.length)) {
      throw new EdgeClipError("invalid_input", "attentionMask must have the shape of inputIds");
    }
    Bt = ids.length;
    const S = inputs.inputIds.shape[1];
    const seqs: TextSeq[] = ids.map((r, b) => ({ ids: r, mask: masks?.[b] }));
    const enc = model.encodeText(seqs, hooks, { hidden: true });
    const H = model.text.cfg.hiddenSize;
    out.textLastHiddenState = tensor(enc.hidden!, [Bt, S, H]);
    out.textPoolerOutput = tensor(enc.pooled, [Bt, H]);
    if (enc.embeds) {
      txt = l2Normalize(enc.embeds, Bt, P);
      out.textEmbeds = tensor(txt, [Bt, P]);
    }
  }

  if (img && txt && model.logitScale !== undefined) {
    const scale = Math.fround(Math.exp(model.logitScale));
    const lpt = new Float32Array(Bt * Bi), lpi = new Float32Array(Bi * Bt);
    for (let t = 0; t < Bt; t++) {
      for (let i = 0; i < Bi; i++) {
        let s = 0;
        for (let c = 0; c < P; c++) s += txt[t * P + c] * img[i * P + c];
        lpt[t * Bi + i] = lpi[i * Bt + t] = s * scale;
      }
    }
    out.logitsPerText = tensor(lpt, [Bt, Bi]);
    out.logitsPerImage = tensor(lpi, [Bi, Bt]);
  }
  return out;
}
