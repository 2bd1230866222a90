// CLIP vision tower (HF CLIPVisionTransformer): patch embedding (a stride-P convolution, run as
// im2col + GEMM), class token, position embeddings, pre_layrnorm (HF's spelling), encoder without
// masks, post_layernorm of the class token.
// Reference: transformers/models/clip/modeling_clip.py (v4.57) CLIPVisionEmbeddings / CLIPVisionTransformer.

import { EdgeClipError } from "../errors.ts";
import type { Kernels, Mat } from "../wasm/kernels.ts";
import type { VisionConfig } from "./config.ts";
import { allocWorkspace, EncoderLayer, layerShapeOf, runLayers } from "./encoder_layer.ts";
import type { ModelHooks, SeqLayout } from "./hooks.ts";
import { LayerNorm } from "./layer_norm.ts";
import type { Linear, LinearLoader } from "./linear.ts";
import { MODULE } from "./names.ts";
import type { WeightScope } from "./weights.ts";

export class VisionModel {
  constructor(
    readonly kernels: Kernels,
    readonly cfg: VisionConfig,
    readonly patchEmbedding: Linear, // conv weight [H, C, P, P] viewed as [H × C·P·P], no bias
    readonly classEmbedding: Mat, // [1 × H]
    readonly positionEmbedding: Mat, // [(S/P)² + 1 × H]
    readonly preLayrnorm: LayerNorm,
    readonly layers: EncoderLayer[],
    readonly postLayernorm: LayerNorm,
  ) {}

  /** Patches per side and tokens per image (patches + class token). */
  get grid(): number {
    return this.cfg.imageSize / this.cfg.patchSize;
  }
  get tokens(): number {
    return this.grid * this.grid + 1;
  }

  static async load(s: WeightScope, cfg: VisionConfig, linear: LinearLoader): Promise<VisionModel> {
    const H = cfg.hiddenSize, P = cfg.patchSize, C = cfg.numChannels;
    const g = cfg.imageSize / P;
    const emb = s.pp(MODULE.embeddings);
    // the conv weight [H, C, P, P] is a [H × C·P·P] matrix in row-major order: a Linear
    const pe = emb.pp(MODULE.patchEmbedding);
    s.store.reshape(pe.key("weight"), [H, C, P, P], [H, C * P * P]);
    const patch = await linear(pe, {
      inFeatures: C * P * P,
      outFeatures: H,
      bias: false,
      place: { tower: "vision", linear: "patch" },
    });
    const cls = await emb.mat(MODULE.classEmbedding, [H]);
    const pos = await emb.pp(MODULE.positionEmbedding).mat("weight", [g * g + 1, H]);
    const shape = layerShapeOf(cfg, false);
    const pre = await LayerNorm.load(s.pp(MODULE.preLayrnorm), H, cfg.layerNormEps);
    const layers: EncoderLayer[] = [];
    for (let index = 0; index < cfg.numLayers; index++) {
      const ls = s.pp(...MODULE.encoderLayers, index);
      layers.push(await EncoderLayer.load(ls, shape, { tower: "vision", index, linear }));
    }
    const post = await LayerNorm.load(s.pp(MODULE.postLayernorm), H, cfg.layerNormEps);
    return new VisionModel(s.store.k, cfg, patch, cls, pos, pre, layers, post);
  }

  /**
   * Runs `count` images of pixel_values [count × C × S × S] (CHW each). Returns the pooled rows
   * [count × H] (post_layernorm of each class token) and, when `keepHidden` (or when the last
   * layer is hooked), the encoder output (before post_layernorm) [count·tokens × H], in scratch
   * memory, and the layout. Without them the last layer runs on the class tokens only.
   */
  run(
    pixels: Float32Array,
    count: number,
    hooks: ModelHooks,
    keepHidden = true,
  ): { hidden?: Mat; pooled: Mat; layout: SeqLayout } {
    const kr = this.kernels,
      H = this.cfg.hiddenSize,
      P = this.cfg.patchSize,
      C = this.cfg.numChannels;
    const S = this.cfg.imageSize, g = this.grid, N = this.tokens;
    if (pixels.length !== count * C * S * S) {
      throw new EdgeClipError(
        "invalid_input",
        `pixel_values has ${pixels.length} values; ${count} image(s) of [${C}, ${S}, ${S}] need ${
          count * C * S * S
        }`,
      );
    }
    const layout: SeqLayout = {
      offsets: Array.from({ length: count }, (_, b) => b * N),
      lengths: Array.from({ length: count }, () => N),
      total: count * N,
    };
    const h = kr.mat(count * N, H);
    const pos = this.positionEmbedding, cls = this.classEmbedding;
    kr.scratch(() => {
      const img = kr.vec(C * S * S);
      const patches = kr.mat(g * g, C * P * P);
      for (let b = 0; b < count; b++) {
        kr.writeBuf(img, pixels.subarray(b * C * S * S, (b + 1) * C * S * S));
        kr.im2col(img, C, S, S, P, patches);
        const hb = kr.view(h, b * N, N);
        kr.copy(cls, kr.view(hb, 0, 1)); // token 0: class embedding
        this.patchEmbedding.forward(patches, kr.view(hb, 1, g * g)); // tokens 1..: patches
        kr.add(hb, pos, hb); // + position_embedding
      }
    });
    this.preLayrnorm.forward(h, h);
    const ws = allocWorkspace(kr, count * N, layerShapeOf(this.cfg, false));
    const pooled = kr.mat(count, H);
    const clsAt = layout.offsets.map(() => 0); // the class token of each image
    const rows = keepHidden ? undefined : { at: clsAt, out: pooled };
    const rowsOnly = runLayers(this.layers, h, {
      tower: "vision",
      ws,
      layout,
      keyBias: () => undefined,
      hooks,
      rows,
    });
    if (!rowsOnly) {
      for (let b = 0; b < count; b++) {
        kr.copy(kr.view(h, layout.offsets[b], 1), kr.view(pooled, b, 1));
      }
    }
    this.postLayernorm.forward(pooled, pooled);
    return { hidden: rowsOnly ? undefined : h, pooled, layout };
  }
}
