// Hook-level checks of paths no public golden case covers, against naive f64 transcriptions of the
// spec's formulas: Stack / Average / Split of bottlenecks, static fusion, AdapterPlus-style
// flags, DoRA and VeRA deltas, ReFT (NoReFT/DiReFT, tied weights, suffix positions). Adapters get
// random weights of exactly the shapes the loader asks for.

import { ok } from "node:assert/strict";
import {
  buildAdapter,
  type LoadedAdapter,
  type LoadedFusion,
  type ModelShape,
  PerLayer,
} from "../../src/adapters/adapter.ts";
import { callHooks, type CallInfo } from "../../src/adapters/call_hooks.ts";
import { Average, type Block, Fuse, Split, Stack } from "../../src/adapters/composition.ts";
import { parseAdapterConfig } from "../../src/adapters/config.ts";
import { FusionLayer, parseFusionConfig } from "../../src/adapters/methods/fusion.ts";
import { makeLin } from "../../src/adapters/ops.ts";
import type { AdapterTensors } from "../../src/adapters/tensors.ts";
import type { LayerInfo, SeqLayout } from "../../src/model/hooks.ts";
import { Kernels, type Mat } from "../../src/wasm/kernels.ts";
import { Prng } from "../_util/prng.ts";

const H = 8, I = 12;
const rng = new Prng(2024);
const k = Kernels.create();
const W0 = Float32Array.from({ length: H * H }, () => rng.normal() * 0.3);
const shape: ModelShape = {
  towers: [
    { tower: "text", hidden: H, intermediate: I, heads: 2, layers: 2, firstId: 0 },
    { tower: "vision", hidden: H, intermediate: I, heads: 2, layers: 1, firstId: 2 },
  ],
  baseWeight: () => W0,
};
const layout: SeqLayout = { offsets: [0, 4], lengths: [4, 4], total: 8 };
const info: LayerInfo = { tower: "text", index: 0, hidden: H, heads: 2, headDim: 4, layout };

/** Hand-made adapters and fusions, and the hooks of a call over them. */
class Adapters {
  readonly adapters = new Map<string, LoadedAdapter>();
  readonly fusions = new Map<string, LoadedFusion>();
  hooks(setup: Block, call: CallInfo) {
    const src = {
      kernels: k,
      adapter: (n: string) => this.adapters.get(n),
      fusion: (n: string) => this.fusions.get(n),
      isMerged: () => false,
    };
    return callHooks(src, setup, call);
  }
}

type T = Map<string, Float32Array>;
function make(set: Adapters, name: string, config: unknown): T {
  const rec: T = new Map();
  const t = {
    file: name,
    has: (key: string) => key.endsWith("projection.weight"), // non-orthogonal ReFT
    take(key: string, s: readonly number[]) {
      if (rec.has(key)) return rec.get(key)!; // shared keys are read by every layer
      const v = Float32Array.from(
        { length: s.reduce((a, d) => a * d, 1) },
        () => rng.normal() * 0.4,
      );
      rec.set(key, v);
      return v;
    },
    optional: () => undefined,
    finish() {},
  } as unknown as AdapterTensors;
  const spec = { name, saved: name, config: parseAdapterConfig(config), tensors: t, model: shape };
  set.adapters.set(name, buildAdapter(k, spec));
  return rec;
}

// ---- naive f64 helpers over row-major arrays ---------------------------------------------------

type A = Float64Array;
const rnd = (n: number) => Float64Array.from({ length: n }, () => rng.normal());
/** x [n × in] · Wᵀ (W [out × in]) + b */
function lin(
  x: A,
  W: Float32Array,
  b: Float32Array | undefined,
  n: number,
  inF: number,
  outF: number,
): A {
  // y[t, o] = b[o] + Σ_i x[t, i]·W[o, i], one output element at a time
  return Float64Array.from({ length: n * outF }, (_, e) => {
    const t = Math.floor(e / outF), o = e % outF;
    let s = b ? b[o] : 0;
    for (let i = 0; i < inF; i++) s += x[t * inF + i] * W[o * inF + i];
    return s;
  });
}
const add = (a: A, b: A) => a.map((v, i) => v + b[i]);
const scale = (a: A, s: number) => a.map((v) => v * s);
const relu = (a: A) => a.map((v) => Math.max(v, 0));
function ln(x: A, g: Float32Array, b: Float32Array, n: number): A {
  const y = new Float64Array(x.length);
  for (let t = 0; t < n; t++) {
    const r = x.subarray(t * H, (t + 1) * H);
    const m = r.reduce((a, v) => a + v, 0) / H;
    const v = r.reduce((a, q) => a + (q - m) ** 2, 0) / H;
    for (let j = 0; j < H; j++) y[t * H + j] = ((r[j] - m) / Math.sqrt(v + 1e-5)) * g[j] + b[j];
  }
  return y;
}
const mat = (a: A, cols = H): Mat => k.matFrom(Float32Array.from(a), a.length / cols, cols);
function close(got: Float32Array, want: A, what: string, tol = 2e-4) {
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    m = Math.max(m, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  }
  ok(m < tol, `${what}: max rel error ${m}`);
}

/** A seq/par bottleneck's A(x) = up(act(down(x)))·s for adapter `n` at text layer 0 output. */
function core(t: T, n: string, x: A, rows: number, D: number, s = 1): A {
  const p = `text_model.encoder.layers.0.output_adapters.adapters.${n}.`;
  const down = relu(
    lin(x, t.get(p + "adapter_down.0.weight")!, t.get(p + "adapter_down.0.bias")!, rows, H, D),
  );
  return scale(
    lin(down, t.get(p + "adapter_up.weight")!, t.get(p + "adapter_up.bias")!, rows, D, H),
    s,
  );
}

function runMlp(set: Adapters, setup: Block, o: A, r: A): Float32Array {
  const hooks = set.hooks(setup, {}).layer("text", 0)!;
  return k.scratch(() => k.read(hooks.afterMlp!(mat(o), mat(r), info)));
}

const seqBn = {
  mh_adapter: false,
  output_adapter: true,
  reduction_factor: 2,
  non_linearity: "relu",
  original_ln_before: true,
};

Deno.test("bottlenecks: Stack, Average (library's extra 1/n), Split, static Fuse", () => {
  const set = new Adapters();
  const ta = make(set, "a", seqBn), tb = make(set, "b", seqBn);
  const o = rnd(8 * H), r = rnd(8 * H), D = H / 2;
  // Stack: h1 = h + A_a(h), h2 = h1 + A_b(h1), y = h2 + r with h = o + r (residual o inside)
  const h = add(o, r);
  const h1 = add(core(ta, "a", h, 8, D), o);
  const h2 = add(core(tb, "b", add(h1, r), 8, D), h1);
  close(runMlp(set, new Stack("a", "b"), o, r), add(h2, r), "Stack(a, b)");
  // Average: pre once (first), Σ w_i·out_i / n, post adds r
  const oa = add(core(ta, "a", h, 8, D), o), ob = add(core(tb, "b", h, 8, D), o);
  const avg = add(scale(oa, 0.25 / 2), scale(ob, 0.75 / 2));
  close(
    runMlp(set, new Average("a", "b", { weights: [1, 3] }), o, r),
    add(avg, r),
    "Average(a, b)",
  );
  // Split along tokens: positions [0, 1) to a, [1, 4) to b, in every sequence
  const want = new Float64Array(8 * H);
  for (let s = 0; s < 2; s++) {
    const rows = (a0: number, n: number) => h.slice((s * 4 + a0) * H, (s * 4 + a0 + n) * H);
    const o0 = (a0: number, n: number) => o.slice((s * 4 + a0) * H, (s * 4 + a0 + n) * H);
    want.set(add(core(ta, "a", rows(0, 1), 1, D), o0(0, 1)), s * 4 * H);
    want.set(add(core(tb, "b", rows(1, 3), 3, D), o0(1, 3)), (s * 4 + 1) * H);
  }
  close(runMlp(set, new Split("a", "b", { splits: [1, 3] }), o, r), add(want, r), "Split(a, b)");
  // static fusion (no value projection): softmax over Q·K_c of the scaled ups, + residual o, + r
  const cfg = parseFusionConfig("static");
  const W = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.3);
  const [Wq, bq, Wk, bk] = [W(H * H), W(H), W(H * H), W(H)];
  const fl = new FusionLayer(k, cfg, H, linOf(Wq, bq), linOf(Wk, bk), undefined);
  set.fusions.set("a,b", {
    name: "a,b",
    adapterNames: ["a", "b"],
    cfg,
    layers: atTextLayer0Out(fl),
    owner: k.owner(),
  });
  const ups = [core(ta, "a", h, 8, D), core(tb, "b", h, 8, D)];
  const Q = lin(h, Wq, bq, 8, H, H), K = ups.map((u) => lin(u, Wk, bk, 8, H, H));
  const fused = new Float64Array(8 * H);
  for (let t = 0; t < 8; t++) {
    const sc = K.map((Kc) =>
      Kc.slice(t * H, (t + 1) * H).reduce((a, v, j) => a + v * Q[t * H + j], 0)
    );
    const mx = Math.max(...sc), e = sc.map((v) => Math.exp(v - mx)), z = e[0] + e[1];
    for (let j = 0; j < H; j++) {
      fused[t * H + j] = (e[0] / z) * ups[0][t * H + j] + (e[1] / z) * ups[1][t * H + j];
    }
  }
  close(runMlp(set, new Fuse("a", "b"), o, r), add(add(fused, o), r), "Fuse(a, b) static");
});

/** Fusion layers with one layer: text layer 0's output_adapter location. */
function atTextLayer0Out(fl: FusionLayer) {
  const layers = new PerLayer<Partial<Record<"mh" | "out", FusionLayer>>>(shape, () => ({}));
  layers.at("text", 0)!.out = fl;
  return layers;
}

function linOf(w: Float32Array, b: Float32Array) {
  return makeLin(k.owner(), w, H, H, b);
}

Deno.test("bottleneck: AdapterPlus-style flags (ln_before, channel scaling, no original_ln_after)", () => {
  const set = new Adapters();
  const cfg = {
    ...seqBn,
    ln_before: true,
    original_ln_after: false,
    residual_before_ln: false,
    scaling: "channel",
  };
  const t = make(set, "p", cfg);
  const o = rnd(8 * H),
    r = rnd(8 * H),
    p = "text_model.encoder.layers.0.output_adapters.adapters.p.";
  const h = add(o, r);
  const z = ln(h, t.get(p + "adapter_down.0.weight")!, t.get(p + "adapter_down.0.bias")!, 8);
  const down = relu(
    lin(z, t.get(p + "adapter_down.1.weight")!, t.get(p + "adapter_down.1.bias")!, 8, H, H / 2),
  );
  const up = lin(down, t.get(p + "adapter_up.weight")!, t.get(p + "adapter_up.bias")!, 8, H / 2, H);
  const s = t.get(p + "scaling")!;
  const want = up.map((v, i) => v * s[i % H] + h[i]); // residual h (= o + r), no r after
  close(runMlp(set, new Stack("p"), o, r), want, "AdapterPlus-like");
});

Deno.test("LoRA family: DoRA and VeRA deltas on q", () => {
  for (const extra of [{ use_dora: true }, { vera_d: 0.1, vera_b: 0.0 }]) {
    const set = new Adapters();
    const t = make(set, "l", { architecture: "lora", r: 2, alpha: 4, ...extra });
    const x = rnd(8 * H), y0 = rnd(8 * H);
    const p = "text_model.encoder.layers.0.self_attn.q_proj.loras.l.";
    let A: Float32Array, B: Float32Array;
    if ("vera_d" in extra) {
      A = t.get("shared_parameters.l.lora_A")!;
      const Bs = t.get("shared_parameters.l.lora_B")!,
        vD = t.get(p + "vera_D")!,
        vB = t.get(p + "vera_B")!;
      B = new Float32Array(H * 2); // vera_B · B_s · vera_D
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < 2; j++) {
          let acc = 0;
          for (let a = 0; a < H; a++) {
            for (let c = 0; c < 2; c++) acc += vB[i * H + a] * Bs[a * 2 + c] * vD[c * 2 + j];
          }
          B[i * 2 + j] = acc;
        }
      }
    } else {
      A = t.get(p + "lora_A")!;
      B = t.get(p + "lora_B")!;
    }
    const delta = scale(lin(lin(x, A, undefined, 8, H, 2), B, undefined, 8, 2, H), 2);
    let want = add(y0, delta);
    if ("use_dora" in extra) {
      const m = t.get(p + "m.weight")!;
      const BA = lin(
        Float64Array.from(transpose(Float64Array.from(A), 2, H)),
        B,
        undefined,
        H,
        2,
        H,
      ); // [in × out]
      const norm = new Float64Array(H);
      for (let o = 0; o < H; o++) {
        for (let i = 0; i < H; i++) norm[o] += (W0[o * H + i] + BA[i * H + o]) ** 2;
      }
      want = want.map((v, j) => (v * m[j % H]) / Math.sqrt(norm[j % H]));
    }
    const hooks = set.hooks(new Stack("l"), {}).layer("text", 0)!;
    k.scratch(() => {
      const ym = mat(y0);
      hooks.linear!("q", mat(x), ym, info);
      close(k.read(ym), want, JSON.stringify(extra));
    });
  }
});

function transpose(a: A, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

Deno.test("ReFT: NoReFT / DiReFT, tied weights, prefix + suffix positions from the mask", () => {
  for (
    const cfg of [
      { orthogonality: false, prefix_positions: 2, suffix_positions: 1, tied_weights: false },
      {
        orthogonality: false,
        prefix_positions: 1,
        suffix_positions: 2,
        tied_weights: true,
        subtract_projection: false,
      },
    ]
  ) {
    const set = new Adapters();
    const t = make(set, "f", { architecture: "reft", r: 2, ...cfg });
    const h = rnd(8 * H);
    const mask = [Int32Array.of(1, 1, 1, 0), Int32Array.of(0, 1, 1, 1)]; // lengths 3, offsets 0 and 1
    const hooks = set.hooks(new Stack("f"), { textMask: mask }).layer("text", 1)!;
    const got = k.scratch(() => {
      const hm = mat(h);
      hooks.layerOutput!(hm, { ...info, index: 1 });
      return k.read(hm);
    });
    const p = "text_model.encoder.layers.1.reft_layer.refts.f.units.";
    const unit = (u: number, x: A): A => {
      const s = lin(
        x,
        t.get(`${p}${u}.learned_source.weight`)!,
        t.get(`${p}${u}.learned_source.bias`)!,
        1,
        H,
        2,
      );
      const R = t.get(`${p}${u}.projection.weight`)!;
      const d = cfg.subtract_projection === false
        ? s
        : s.map((v, i) => v - lin(x, R, undefined, 1, H, 2)[i]);
      const out = Float64Array.from(x);
      for (let j = 0; j < H; j++) for (let q = 0; q < 2; q++) out[j] += R[q * H + j] * d[q];
      return out;
    };
    const want = Float64Array.from(h);
    [[0, 3], [1, 4]].forEach(([first, last], b) => {
      const row = (i: number) => h.slice((b * 4 + i) * H, (b * 4 + i + 1) * H);
      for (let j = 0; j < cfg.prefix_positions; j++) {
        want.set(unit(0, row(first + j)), (b * 4 + first + j) * H);
      }
      for (let j = 0; j < cfg.suffix_positions; j++) {
        const i = last - cfg.suffix_positions + j;
        want.set(unit(cfg.tied_weights ? 0 : 1, row(i)), (b * 4 + i) * H);
      }
    });
    close(got, want, JSON.stringify(cfg));
  }
});
