// One pre-LN CLIP encoder layer (HF CLIPEncoderLayer), read top to bottom:
//   h1 = h + out_proj(attn(LN1(h)))        ← "mh_adapter" hook may replace the add
//   h2 = h1 + fc2(act(fc1(LN2(h1))))       ← "output_adapter" hook may replace the add
// with LoRA/IA3 hooks on q/k/v/fc1/fc2, prefix keys in attention and ReFT on the output. The same
// code runs the query side on every token or, for the last layer of an embedding call, on the
// pooled token of each sequence only.
// Reference: transformers/models/clip/modeling_clip.py (v4.57), adapters models/clip/modeling_clip.py.

import { EdgeClipError } from "../errors.ts";
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
  readonly query: Mat;
  readonly key: Mat;
  readonly value: Mat;
  readonly attn: Mat;
  readonly o: Mat; // sub-block output when a hook needs it apart from the residual
  readonly f: Mat; // [total × intermediate]
}

export function allocWorkspace(kernels: Kernels, total: number, shape: LayerShape): Workspace {
  const H = shape.hidden;
  return {
    x: kernels.mat(total, H),
    query: kernels.mat(total, H),
    key: kernels.mat(total, H),
    value: kernels.mat(total, H),
    attn: kernels.mat(total, H),
    o: kernels.mat(total, H),
    f: kernels.mat(total, shape.intermediate),
  };
}

/** What every layer of one tower run shares. */
export interface TowerRun {
  readonly tower: Tower;
  readonly ws: Workspace;
  readonly layout: SeqLayout;
  /** Additive padding mask of sequence b ([lengths[b]]), if it has one. */
  readonly keyBias: (b: number) => Vec | undefined;
}

/** One row per sequence (`at[b]`: position inside sequence b) and where their output goes. */
export interface PooledRows {
  readonly at: readonly number[];
  /** [B × hidden] */
  readonly out: Mat;
}

export class EncoderLayer {
  constructor(
    readonly kernels: Kernels,
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
   * Runs layer `index` on the residual stream `h` [total × hidden] in place. With `rows`, only
   * the keys and values come from every token: the query, out_proj and MLP run on one row per
   * sequence, into rows.out [B × hidden]. The last layer of an embedding call needs nothing more
   * (the pooled token), and every kernel computes a row the same way whatever the other rows
   * are, so those rows equal the full layer's bit for bit. Hooks need every row: not with `rows`.
   */
  forward(
    h: Mat,
    run: TowerRun,
    at: { index: number; hooks?: LayerHooks; rows?: PooledRows },
  ): void {
    const kr = this.kernels, { ws, layout } = run, hooks = at.hooks, rows = at.rows;
    const H = this.shape.hidden, heads = this.shape.heads, hd = H / heads;
    if (rows && hooks) throw new EdgeClipError("runtime", "encoder layer: hooks need every row");
    const info: LayerInfo = {
      tower: run.tower,
      index: at.index,
      hidden: H,
      heads,
      headDim: hd,
      layout,
    };
    const hooked = (site: LinearSite) => hooks?.linearSites?.has(site) ?? false;
    // a linear whose output a hook adjusts before the activation
    const project = (
      site: LinearSite,
      lin: Linear,
      io: { x: Mat; y: Mat; act?: Act; prepared?: PreparedInput },
    ) => {
      if (hooked(site)) {
        lin.forward(io.x, io.y, { prepared: io.prepared });
        hooks!.linear!(site, io.x, io.y, info);
        if (io.act) kr.act(io.y, io.y, io.act);
      } else lin.forward(io.x, io.y, { act: io.act, prepared: io.prepared });
    };
    // the query side: every token, or the pooled rows (B = sequences), with their residuals
    const B = rows?.at.length ?? 0;
    const r = rows ? rows.out : h; // residual stream of the query rows
    const x = ws.x;
    const xq = rows ? kr.mat(B, H) : x; // [B × H] or [total × H]
    const q = rows ? kr.mat(B, H) : ws.query;
    const attn = rows ? kr.mat(B, H) : ws.attn;

    // ---- attention block --------------------------------------------------------------------
    this.layerNorm1.forward(h, x); // x = LN1(h)
    const px = this.qProj.prepare?.(x); // q, k and v read the same x
    if (rows) {
      rows.at.forEach((p, b) => {
        const row = layout.offsets[b] + p;
        kr.copy(kr.view(x, row, 1), kr.view(xq, b, 1));
        kr.copy(kr.view(h, row, 1), kr.view(r, b, 1));
      });
    }
    project("q", this.qProj, { x: xq, y: q, prepared: px }); // a prepared x serves xq only if xq is x
    project("k", this.kProj, { x, y: ws.key, prepared: px });
    project("v", this.vProj, { x, y: ws.value, prepared: px });
    const prefix = hooks?.prefix?.(x, info);
    attendSequences(kr, { q, key: ws.key, value: ws.value, out: attn }, {
      layout,
      shape: { heads, headDim: hd, causal: this.shape.causal },
      keyBias: run.keyBias,
      prefix,
      queryAt: rows?.at,
    });
    if (hooks?.afterAttention) {
      this.outProj.forward(attn, ws.o); // o = out_proj(attn)
      const h1 = hooks.afterAttention(ws.o, r, info);
      if (!kr.sameStart(h1, r)) kr.copy(h1, r);
    } else {
      this.outProj.forward(attn, r, { residual: r }); // r += out_proj(attn)
    }

    // ---- MLP block ----------------------------------------------------------------------------
    const x2 = rows ? kr.mat(B, H) : x, f = rows ? kr.mat(B, this.shape.intermediate) : ws.f;
    this.layerNorm2.forward(r, x2); // x2 = LN2(h1)
    project("fc1", this.fc1, { x: x2, y: f, act: this.shape.act }); // f = act(fc1(x2))
    if (hooks?.afterMlp || hooked("fc2")) {
      project("fc2", this.fc2, { x: f, y: ws.o }); // o = fc2(f)
      if (hooks?.afterMlp) {
        const h2 = hooks.afterMlp(ws.o, r, info);
        if (!kr.sameStart(h2, r)) kr.copy(h2, r);
      } else kr.add(r, ws.o, r);
    } else {
      this.fc2.forward(f, r, { residual: r }); // r += fc2(f)
    }

    hooks?.layerOutput?.(r, info);
  }
}

/**
 * Runs a tower's layers on h in place, each in its own scratch scope. With `rows`, the last layer
 * runs on those rows only, into rows.out, unless a hook wants it whole or a sequence is empty.
 * Returns true when it did: h then ends at the layer before.
 */
export function runLayers(
  layers: readonly EncoderLayer[],
  h: Mat,
  run: TowerRun & { hooks: ModelHooks; rows?: PooledRows },
): boolean {
  const last = layers.length - 1;
  const lastHooks = last >= 0 ? run.hooks.layer(run.tower, last) : undefined;
  const rowsOnly = !!run.rows && last >= 0 && !lastHooks &&
    run.layout.lengths.every((n) => n > 0);
  layers.forEach((layer, index) => {
    layer.kernels.scratch(() => {
      const hooks = index === last ? lastHooks : run.hooks.layer(run.tower, index);
      const rows = index === last && rowsOnly ? run.rows : undefined;
      layer.forward(h, run, { index, hooks, rows });
    });
  });
  return rowsOnly;
}
