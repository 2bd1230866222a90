// f32 kernel benchmarks on CLIP ViT-B/32 shapes, for both module builds (relaxed, SIMD128).
//   deno bench --allow-read --allow-env bench/kernels_bench.ts      Deno.bench timings
//   deno run --allow-read --allow-env bench/kernels_bench.ts [--filter gemm_f32] [--variant relaxed]
//     [--samples 7] [--cold]                                        table of median GFLOP/s (GB/s)
// Deno.bench reports time only, so the table mode times each case itself: `samples` batches of
// ≥ 50 ms each after a warm-up, median per-call time, rate = work / time. GEMM work = 2·m·k·n;
// attention = 4·sq·sk·heads·hd (q·kᵀ and p·V, masked scores included); row ops = bytes read +
// written. The CPU is shared: run it a few times and compare medians.

import { Kernels } from "../src/wasm/kernels.ts";
import { kernelBytes, type KernelVariant } from "../src/wasm/module.ts";
import type { ActName } from "../src/wasm/abi.ts";
import { rawOf } from "../tests/kernels/_raw.ts";

interface Case {
  group: string;
  name: string;
  /** FLOPs (or bytes when unit is GB/s) of one call. */
  work: number;
  unit: "GFLOP/s" | "GB/s";
  fn: () => void;
}

const GEMM_M = [1, 10, 50, 400];
const COLD = Deno.args.includes("--cold");
const GEMM_KN: [number, number][] = [
  [768, 768],
  [768, 3072],
  [3072, 768],
  [512, 512],
  [512, 2048],
  [2048, 512],
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
}

/** Every case for one module build; each variant gets its own instance and memory. */
function cases(variant: KernelVariant): Case[] {
  const kr = Kernels.create(variant);
  rawOf(kr).openScope(); // the operands stay allocated while the cases run (bench only)
  const rnd = rng(7);
  const fill = (n: number, s = 1) => new Float32Array(n).map(() => rnd() * s);
  const out: Case[] = [];

  // GEMM: weights shared across M (they are the big part); A and C sized for the largest M.
  // --cold: each call takes the next of enough weight copies (≥ 64 MB) that they come from DRAM,
  // as in a forward, where every weight is used once.
  for (const [K, N] of GEMM_KN) {
    const copies = COLD ? Math.ceil((64 << 20) / (N * K * 4)) : 1;
    const src = kr.matFrom(fill(N * K, 0.1), N, K);
    const ws = Array.from({ length: copies }, () => kr.packF32(src));
    let turn = 0;
    const next = () => ws[turn = (turn + 1) % copies];
    const bias = kr.vecFrom(fill(N));
    const A = kr.matFrom(fill(400 * K), 400, K), C = kr.mat(400, N);
    for (const M of GEMM_M) {
      const a = kr.view(A, 0, M), c = kr.view(C, 0, M);
      out.push({
        group: `gemm ${M}×${K}×${N}`,
        name: `gemm_f32 m=${M} k=${K} n=${N} +bias`,
        work: 2 * M * K * N,
        unit: "GFLOP/s",
        fn: () => kr.gemmF32(a, next(), c, { bias }),
      });
    }
    if (K === 768 && N === 3072) {
      // the MLP's first layer carries the activation in its epilogue
      const a = kr.view(A, 0, 50), c = kr.view(C, 0, 50);
      out.push({
        group: `gemm 50×${K}×${N} quick_gelu`,
        name: `gemm_f32 m=50 k=${K} n=${N} +bias+quick_gelu`,
        work: 2 * 50 * K * N,
        unit: "GFLOP/s",
        fn: () => kr.gemmF32(a, next(), c, { bias, act: "quick_gelu" }),
      });
    }
  }

  // attention: image tokens (12 heads), a full text context (8 heads, causal), a short prompt
  const ATT: [string, number, number, boolean][] = [
    ["img s=50 12×64", 50, 12, false],
    ["txt s=77 8×64 causal", 77, 8, true],
    ["txt s=10 8×64 causal", 10, 8, true],
  ];
  for (const [label, S, heads, causal] of ATT) {
    const H = heads * 64;
    const qkv = kr.matFrom(fill(S * 3 * H), S, 3 * H); // fused QKV output, as the model has it
    const q = kr.view(qkv, 0, S, 0, H), k = kr.view(qkv, 0, S, H, H);
    const v = kr.view(qkv, 0, S, 2 * H, H), o = kr.mat(S, H);
    out.push({
      group: `attention ${label}`,
      name: `attention_f32 ${label}`,
      work: 4 * S * S * H,
      unit: "GFLOP/s",
      fn: () => kr.attention(q, k, v, o, { heads, headDim: 64, scale: 0.125, causal }),
    });
  }

  // row ops on the residual stream / MLP hidden: bytes = read + write
  for (const [rows, cols] of [[50, 768], [400, 768], [77, 512]]) {
    const x = kr.matFrom(fill(rows * cols, 4), rows, cols), y = kr.mat(rows, cols);
    const g = kr.vecFrom(fill(cols)), b = kr.vecFrom(fill(cols));
    out.push({
      group: `layer_norm ${rows}×${cols}`,
      name: `layer_norm_f32 ${rows}×${cols}`,
      work: 2 * rows * cols * 4,
      unit: "GB/s",
      fn: () => kr.layerNorm(x, y, g, b, 1e-5),
    });
  }
  for (const [rows, cols] of [[600, 50], [16, 1000]]) {
    const x = kr.matFrom(fill(rows * cols, 8), rows, cols), y = kr.mat(rows, cols);
    out.push({
      group: `softmax ${rows}×${cols}`,
      name: `softmax_f32 ${rows}×${cols}`,
      work: 2 * rows * cols * 4,
      unit: "GB/s",
      fn: () => kr.softmax(x, y),
    });
  }
  const acts: ActName[] = ["quick_gelu", "gelu", "gelu_tanh", "relu"];
  const X = kr.matFrom(fill(50 * 3072, 6), 50, 3072), Y = kr.mat(50, 3072);
  for (const act of acts) {
    out.push({
      group: `act ${act} 50×3072`,
      name: `act_f32 ${act} 50×3072`,
      work: 2 * 50 * 3072 * 4,
      unit: "GB/s",
      fn: () => kr.act(X, Y, act),
    });
  }
  const R = kr.matFrom(fill(50 * 768), 50, 768), S = kr.mat(50, 768);
  const bias = kr.matFrom(fill(768), 1, 768);
  out.push({
    group: "add 50×768 + row",
    name: "binary_f32 add 50×768 + broadcast row",
    work: 3 * 50 * 768 * 4,
    unit: "GB/s",
    fn: () => kr.add(R, bias, S),
  });
  return out;
}

const available = (["relaxed", "simd128"] as KernelVariant[]).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** Median seconds per call: a warm-up, then `samples` batches of at least 50 ms each. */
function timeCall(fn: () => void, samples: number): number {
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= 50) break;
    reps = Math.max(reps * 2, Math.ceil(reps * 60 / Math.max(dt, 0.01)));
  }
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    per.push((performance.now() - t0) / reps / 1e3);
  }
  per.sort((a, b) => a - b);
  return per[per.length >> 1];
}

function table(): void {
  const filter = flag("filter");
  const only = flag("variant");
  const samples = Number(flag("samples") ?? 7);
  const variants = available.filter((v) => !only || v === only);
  const byVariant = new Map(variants.map((v) => [v, cases(v)]));
  const first = byVariant.get(variants[0])!;
  const head = ["case", ...variants.flatMap((v) => [`${v} µs`, `${v} rate`])];
  console.log(head.join("\t"));
  for (let i = 0; i < first.length; i++) {
    const c0 = first[i];
    if (filter && !c0.name.includes(filter)) continue;
    const cols = [c0.name];
    for (const v of variants) {
      const c = byVariant.get(v)![i];
      const t = timeCall(c.fn, samples);
      cols.push((t * 1e6).toFixed(1), `${(c.work / t / 1e9).toFixed(2)} ${c.unit}`);
    }
    console.log(cols.join("\t"));
  }
}

// `deno run` makes this the main module (table); under `deno bench` it is not
if (import.meta.main) {
  table();
} else {
  for (const v of available) {
    for (const c of cases(v)) {
      const scale = c.unit === "GB/s"
        ? `${(c.work / 1e6).toFixed(2)} MB`
        : `${(c.work / 1e9).toFixed(4)} GFLOP`;
      Deno.bench({ name: `${c.name} [${v}] (${scale})`, group: c.group, fn: c.fn });
    }
  }
}
