// One pre-LN CLIP encoder layer (HF CLIPEncoderLayer), read top to bottom:
//   h1 = h + out_proj(attn(LN1(h)))        ← "mh_adapter" hook may replace the add
//   h2 = h1 + fc2(act(fc1(LN2(h1))))       ← "output_adapter" hook may replace the add
// with LoRA/IA3 hooks on q/k/v/fc1/fc2, prefix keys in attention and ReFT on the output.
// Reference: transformers/models/clip/modeling_clip.py (v4.57), adapters models/clip/modeling_clip.py.

import type { Act, Kernels, Mat, Vec } from "../wasm/kernels.ts";
import { attendSequences } from "./attention.ts";
import type { LayerHooks, LayerInfo, LinearSite, ModelHooks, SeqLayout, Tower } from "./hooks.ts";
import { LayerNorm } from "./layer_norm.ts";
import type { Linear, LinearLoader, PreparedInput } from "./linear.ts";
import { LAYER_LINEAR, type LayerLinear, MODULE } from "./names.ts";
import type { WeightScope } from "./weights.ts";

export interface LayerShape {
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly eps: number;
  readonly act: Act;
  readonly causal: boolean;
}

/** The layer shape of a tower config (text: causal). */
export function layerShapeOf(
  cfg: {
    hiddenSize: number;
    intermediateSize: number;
    numHeads: number;
    layerNormEps: number;
    act: Act;
  },
  causal: boolean,
): LayerShape {
  return {
    hidden: cfg.hiddenSize,
    intermediate: cfg.intermediateSize,
    heads: cfg.numHeads,
    eps: cfg.layerNormEps,
    act: cfg.act,
    causal,
  };
}

/** Buffers shared by all layers of one tower run ([total × hidden] unless noted). */
export interface Workspace {
  readonly x: Mat; // layer-norm output
  readonly q: Mat;
  readonly k: Mat;
  readonly v: Mat;
  readonly attn: Mat;
  readonly o: Mat; // sub-block output when a hook needs it apart from the residual
  readonly f: Mat; // [total × intermediate]
}

export function allocWorkspace(k: Kernels, total: number, shape: LayerShape): Workspace {
  const H = shape.hidden;
  return {
    x: k.mat(total, H),
    q: k.mat(total, H),
    k: k.mat(total, H),
    v: k.mat(total, H),
    attn: k.mat(total, H),
    o: k.mat(total, H),
    f: k.mat(total, shape.intermediate),
  };
}

export class EncoderLayer {
  constructor(
    readonly kr: Kernels,
    readonly shape: LayerShape,
    readonly layerNorm1: LayerNorm,
    readonly qProj: Linear,
    readonly kProj: Linear,
    readonly vProj: Linear,
    readonly outProj: Linear,
    readonly layerNorm2: LayerNorm,
    readonly fc1: Linear,
    readonly fc2: Linear,
  ) {}

  /** Loads layer `index` of `tower` from its scope (names.ts layerPath). */
  static async load(
    s: WeightScope,
    shape: LayerShape,
    at: { tower: Tower; index: number; linear: LinearLoader },
  ): Promise<EncoderLayer> {
    const H = shape.hidden, I = shape.intermediate;
    // loaders are told which LayerNorm feeds a linear (int8 picks its activation format by it)
    const lin = (linear: LayerLinear, inFeatures: number, outFeatures: number, norm?: LayerNorm) =>
      at.linear(s.pp(...LAYER_LINEAR[linear]), {
        inFeatures,
        outFeatures,
        bias: true,
        place: { tower: at.tower, layer: at.index, linear },
        norm,
      });
    const ln1 = await LayerNorm.load(s.pp(MODULE.layerNorm1), H, shape.eps);
    const q = await lin("q", H, H, ln1);
    const k = await lin("k", H, H, ln1);
    const v = await lin("v", H, H, ln1);
    const out = await lin("out", H, H);
    const ln2 = await LayerNorm.load(s.pp(MODULE.layerNorm2), H, shape.eps);
    const fc1 = await lin("fc1", H, I, ln2);
    const fc2 = await lin("fc2", I, H);
    return new EncoderLayer(s.store.k, shape, ln1, q, k, v, out, ln2, fc1, fc2);
  }

  /** The wrapped linear of a hook site. */
  linearAt(site: LinearSite): Linear {
    return { q: this.qProj, k: this.kProj, v: this.vProj, fc1: this.fc1, fc2: this.fc2 }[site];
  }

  /**
   * Runs the layer on the residual stream `h` [total × hidden] in place.
   * keyBias(b): additive padding mask of sequence b, if any.
   */
  forward(
    h: Mat,
    ws: Workspace,
    layout: SeqLayout,
    keyBias: (b: number) => Vec | undefined,
    hooks: LayerHooks | undefined,
    tower: Tower,
    index: number,
  ): void {
    const k = this.kr;
    const heads = this.shape.heads, hd = this.shape.hidden / heads;
    const info: LayerInfo = { tower, index, hidden: this.shape.hidden, heads, headDim: hd, layout };
    const hooked = (site: LinearSite) => hooks?.linearSites?.has(site) ?? false;
    // a linear whose output a hook adjusts before the activation
    const project = (
      site: LinearSite,
      lin: Linear,
      x: Mat,
      y: Mat,
      act?: Act,
      prepared?: PreparedInput,
    ) => {
      if (hooked(site)) {
        lin.forward(x, y, { prepared });
        hooks!.linear!(site, x, y, info);
        if (act) k.act(y, y, act);
      } else lin.forward(x, y, { act, prepared });
    };

    // ---- attention block --------------------------------------------------------------------
    this.layerNorm1.forward(h, ws.x); // x = LN1(h)
    const px = this.qProj.prepare?.(ws.x); // q, k and v read the same x
    project("q", this.qProj, ws.x, ws.q, undefined, px);
    project("k", this.kProj, ws.x, ws.k, undefined, px);
    project("v", this.vProj, ws.x, ws.v, undefined, px);
    const prefix = hooks?.prefix?.(ws.x, info);
    attendSequences(
      k,
      ws.q,
      ws.k,
      ws.v,
      ws.attn,
      layout,
      {
        heads,
        headDim: hd,
        causal: this.shape.causal,
      },
      keyBias,
      prefix,
    );
    if (hooks?.afterAttention) {
      this.outProj.forward(ws.attn, ws.o); // o = out_proj(attn)
      const h1 = hooks.afterAttention(ws.o, h, info);
      if (!k.sameStart(h1, h)) k.copy(h1, h);
    } else {
      this.outProj.forward(ws.attn, h, { residual: h }); // h += out_proj(attn)
    }

    // ---- MLP block ----------------------------------------------------------------------------
    this.layerNorm2.forward(h, ws.x); // x = LN2(h1)
    project("fc1", this.fc1, ws.x, ws.f, this.shape.act); // f = act(fc1(x))
    if (hooks?.afterMlp || hooked("fc2")) {
      project("fc2", this.fc2, ws.f, ws.o); // o = fc2(f)
      if (hooks?.afterMlp) {
        const h2 = hooks.afterMlp(ws.o, h, info);
        if (!k.sameStart(h2, h)) k.copy(h2, h);
      } else k.add(h, ws.o, h);
    } else {
      this.fc2.forward(ws.f, h, { residual: h }); // h += fc2(f)
    }

    hooks?.layerOutput?.(h, info);
  }

  /**
   * The layer's output at one row per sequence only (`at[b]`: position inside sequence b), into
   * out [B × hidden]: keys and values still come from every row, but the query, out_proj and MLP
   * run on the B chosen rows. A last layer of an embedding call needs nothing more (the pooled
   * token), and every kernel computes a row the same way whatever the other rows are, so the
   * result equals the full layer's rows bit for bit. Only for layers without hooks.
   */
  forwardRows(
    h: Mat,
    ws: Workspace,
    layout: SeqLayout,
    keyBias: (b: number) => Vec | undefined,
    at: readonly number[],
    out: Mat,
  ): void {
    const k = this.kr;
    const heads = this.shape.heads, hd = this.shape.hidden / heads, B = at.length;
    this.layerNorm1.forward(h, ws.x);
    const px = this.kProj.prepare?.(ws.x);
    this.kProj.forward(ws.x, ws.k, { prepared: px });
    this.vProj.forward(ws.x, ws.v, { prepared: px });
    const xq = k.mat(B, this.shape.hidden), q = k.mat(B, this.shape.hidden);
    const attn = k.mat(B, this.shape.hidden);
    for (let b = 0; b < B; b++) {
      const row = layout.offsets[b] + at[b];
      k.copy(k.view(ws.x, row, 1), k.view(xq, b, 1));
      k.copy(k.view(h, row, 1), k.view(out, b, 1));
    }
    this.qProj.forward(xq, q);
    const shape = { heads, headDim: hd, causal: this.shape.causal };
    attendSequences(k, q, ws.k, ws.v, attn, layout, shape, keyBias, undefined, at);
    this.outProj.forward(attn, out, { residual: out });
    const x2 = k.mat(B, this.shape.hidden), f = k.mat(B, this.shape.intermediate);
    this.layerNorm2.forward(out, x2);
    this.fc1.forward(x2, f, { act: this.shape.act });
    this.fc2.forward(f, out, { residual: out });
  }
}

/**
 * Runs a tower's layers on h in place, each in its own scratch scope. With `rows` (a position per
 * sequence, and out [B × hidden]) the last layer runs on those rows only, into out
 * (EncoderLayer.forwardRows), unless a hook wants it whole or a sequence is empty. Returns true
 * when it did: h then ends at the layer before.
 */
export function runLayers(
  layers: readonly EncoderLayer[],
  h: Mat,
  ws: Workspace,
  layout: SeqLayout,
  keyBias: (b: number) => Vec | undefined,
  hooks: ModelHooks,
  tower: Tower,
  rows?: { at: readonly number[]; out: Mat },
): boolean {
  const last = layers.length - 1;
  const lastHooks = last >= 0 ? hooks.layer(tower, last) : undefined;
  const rowsOnly = !!rows && last >= 0 && !lastHooks && layout.lengths.every((n) => n > 0);
  layers.forEach((layer, i) => {
    layer.kr.scratch(() => {
      if (i === last && rowsOnly) layer.forwardRows(h, ws, layout, keyBias, rows.at, rows.out);
      else {
        const lh = i === last ? lastHooks : hooks.layer(tower, i);
        layer.forward(h, ws, layout, keyBias, lh, tower, i);
      }
    });
  });
  return rowsOnly;
}
