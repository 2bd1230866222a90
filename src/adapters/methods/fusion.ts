// AdapterFusion at one bottleneck location (adapters methods/modeling.py BertFusion): attention
// over the fused adapters' scaled up-projections, per token, without 1/√d scaling.

import { EdgeClipError } from "../../errors.ts";
import type { Kernels, Mat, Owner } from "../../wasm/kernels.ts";
import { type Lin, linear, makeLin } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";

/** AdapterFusionConfig fields (training-only ones are parsed and ignored). */
export interface FusionConfig {
  readonly key: boolean;
  readonly query: boolean;
  readonly value: boolean;
  readonly queryBeforeLn: boolean;
  readonly residualBefore: boolean;
  readonly temperature: boolean;
  readonly valueBeforeSoftmax: boolean;
}

const FUSION_FIELDS = [
  "key",
  "query",
  "value",
  "query_before_ln",
  "regularization",
  "residual_before",
  "temperature",
  "value_before_softmax",
  "value_initialized",
  "dropout_prob",
];
const FUSION_PRESETS: Record<string, Record<string, unknown>> = {
  dynamic: {
    key: true,
    query: true,
    value: true,
    query_before_ln: false,
    regularization: true,
    residual_before: false,
    temperature: false,
    value_before_softmax: true,
    value_initialized: true,
    dropout_prob: null,
  },
  static: {
    key: true,
    query: true,
    value: false,
    query_before_ln: false,
    regularization: false,
    residual_before: false,
    temperature: false,
    value_before_softmax: true,
    value_initialized: false,
    dropout_prob: null,
  },
};

/**
 * adapter_fusion_config.json's `config` (a preset name or the field dict). Missing fields take the
 * "dynamic" preset's values, as AdapterFusionConfig.load does.
 */
export function parseFusionConfig(raw: unknown): FusionConfig {
  const d = typeof raw === "string"
    ? (Object.hasOwn(FUSION_PRESETS, raw) ? FUSION_PRESETS[raw] : undefined)
    : raw as Record<string, unknown>;
  if (!d || typeof d !== "object" || Array.isArray(d)) {
    throw new EdgeClipError(
      "adapter_format",
      `fusion config must be "dynamic", "static" or an object`,
    );
  }
  const full = { ...FUSION_PRESETS.dynamic, ...d };
  for (const key of Object.keys(full)) {
    if (!FUSION_FIELDS.includes(key)) {
      throw new EdgeClipError(
        "adapter_format",
        `unknown fusion config field ${JSON.stringify(key)}`,
        { key },
      );
    }
  }
  const b = (key: string) => {
    if (typeof full[key] !== "boolean") {
      throw new EdgeClipError("adapter_format", `fusion config ${key} must be true or false`, {
        key,
      });
    }
    return full[key] as boolean;
  };
  b("regularization"), b("value_initialized"); // training only: typed, then ignored
  return Object.freeze({
    key: b("key"),
    query: b("query"),
    value: b("value"),
    queryBeforeLn: b("query_before_ln"),
    residualBefore: b("residual_before"),
    temperature: b("temperature"),
    valueBeforeSoftmax: b("value_before_softmax"),
  });
}

export class FusionLayer {
  /** Softmax temperature; the library decays it on every forward, even at inference. */
  #T: number;
  readonly #reduction: number;

  constructor(
    readonly k: Kernels,
    readonly cfg: FusionConfig,
    readonly hidden: number,
    readonly query: Lin | undefined,
    readonly key: Lin | undefined,
    readonly value: Lin | undefined,
  ) {
    this.#T = cfg.temperature ? 50 : 1;
    this.#reduction = this.#T / 1000;
  }

  /** Reads `<prefix>{query,key,value}.*` (prefix ends with "adapter_fusion_layer.<name>."). */
  static load(
    o: Owner,
    cfg: FusionConfig,
    t: AdapterTensors,
    prefix: string,
    H: number,
  ): FusionLayer {
    const lin = (n: string, bias: boolean) =>
      makeLin(
        o,
        t.take(`${prefix}${n}.weight`, [H, H]),
        H,
        H,
        bias ? t.take(`${prefix}${n}.bias`, [H]) : undefined,
      );
    if (!cfg.query && !cfg.key && !cfg.value) t.optional(`${prefix}dense.weight`, [1, H]); // created, never used
    if (!cfg.query && !cfg.key && !cfg.value) t.optional(`${prefix}dense.bias`, [1]);
    return new FusionLayer(
      o.kernels,
      cfg,
      H,
      cfg.query ? lin("query", true) : undefined,
      cfg.key ? lin("key", true) : undefined,
      cfg.value ? lin("value", false) : undefined,
    );
  }

  /**
   * Fuses the children's up-projections `ups` [n × H] each with query q [n × H]; `res` is the
   * adapter residual. Per token t: α = softmax_c(Q_t·K_{c,t} / T), out_t = Σ_c α_c·V_{c,t}.
   */
  forward(q: Mat, ups: readonly Mat[], res: Mat): Mat {
    const k = this.k, H = this.hidden, n = q.rows, C = ups.length;
    // residual_before: the same sums U_c = u_c + res serve as keys and values
    const U = this.cfg.residualBefore
      ? ups.map((u) => {
        const o = k.mat(n, H);
        k.add(u, res, o);
        return o;
      })
      : ups;
    // a switched-off projection is the identity (the library skips the Linear)
    const Q = this.query ? linear(k, this.query, q) : q;
    const K = U.map((u) => (this.key ? linear(k, this.key, u) : u));
    const V = U.map((
      u,
    ) => (this.value && this.cfg.valueBeforeSoftmax ? linear(k, this.value, u) : u));
    let ctx = k.mat(n, H);
    // views are taken after all allocations (growing memory detaches them)
    const qv = k.read(Q), kv = K.map((m) => k.read(m)), vv = V.map((m) => k.read(m));
    const out = new Float32Array(n * H);
    const T = this.#T;
    const s = new Float64Array(C);
    for (let t = 0; t < n; t++) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        // BertFusion scores with a plain dot product: no 1/√H scaling, only the temperature
        let d = 0;
        for (let h = 0; h < H; h++) d += qv[t * H + h] * kv[c][t * H + h];
        s[c] = Math.fround(d) / T; // torch rounds the score to f32 before dividing
        if (s[c] > max) max = s[c];
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += s[c] = Math.exp(s[c] - max);
      for (let h = 0; h < H; h++) {
        let acc = 0;
        for (let c = 0; c < C; c++) acc += (s[c] / sum) * vv[c][t * H + h];
        out[t * H + h] = acc;
      }
    }
    // the library decays T by T₀/1000 per forward call down to 1, in eval mode too
    this.#T = Math.max(this.#T - this.#reduction, 1);
    k.write(ctx, out);
    // value after softmax: the projection applies once to the mixed context instead
    if (this.value && !this.cfg.valueBeforeSoftmax) ctx = linear(k, this.value, ctx);
    // without residual_before the residual joins here, after the mixing
    if (!this.cfg.residualBefore) k.add(ctx, res, ctx);
    return ctx;
  }
}
