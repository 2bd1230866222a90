// Small building blocks shared by the adapter methods: weights uploaded once at load time
// (packed for gemm_f32 into the adapter's owned memory), per-sequence gates, and row slicing of
// the packed token layout. All math runs on the existing kernels; only tiny per-sequence
// reductions happen in JS.

import { EdgeClipError } from "../errors.ts";
import type { SeqLayout } from "../model/hooks.ts";
import type { Act, Kernels, Mat, Owner, PackedF32, Vec } from "../wasm/kernels.ts";

/** A linear map y = x·Wᵀ + b with W [out × in] packed in long-lived memory. */
export interface Lin {
  readonly w: PackedF32;
  /** `out` biases, if any. */
  readonly b: Vec | undefined;
  readonly inF: number;
  readonly outF: number;
}

/** Uploads W [out × in] (row-major) and an optional bias into `o`'s memory (load time). */
export function makeLin(
  o: Owner,
  w: Float32Array,
  outF: number,
  inF: number,
  b?: Float32Array,
): Lin {
  if (w.length !== outF * inF) {
    throw new EdgeClipError("runtime", `weight of ${w.length} values for [${outF} × ${inF}]`);
  }
  const k = o.kernels, packed = o.packedF32(outF, inF);
  const bias = b ? o.vecFrom(b) : undefined;
  k.scratch(() => k.packF32(k.matFrom(w, outF, inF), packed)); // the row-major copy is temporary
  return { w: packed, b: bias, inF, outF };
}

/** y = act(x·Wᵀ + b) (+ residual) into fresh scratch memory (or `out`). */
export function linear(
  k: Kernels,
  lin: Lin,
  x: Mat,
  opts: { act?: Act; out?: Mat; residual?: Mat } = {},
): Mat {
  const out = opts.out ?? k.mat(x.rows, lin.outF);
  k.gemmF32(x, lin.w, out, { bias: lin.b, act: opts.act, residual: opts.residual });
  return out;
}

/**
 * a [m × k] · b [k × n] in f64 (load-time weight algebra: VeRA's B, LoRA's ΔW, ReFT's R), each
 * sum accumulated in order and rounded only where the caller stores it.
 */
export function matmul64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  shape: { m: number; k: number; n: number },
): Float64Array {
  const { m, k, n } = shape;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** A fresh copy of a matrix. */
export function clone(k: Kernels, m: Mat): Mat {
  const out = k.mat(m.rows, m.cols);
  k.copy(m, out);
  return out;
}

/** out = a + b in fresh memory. */
export function added(k: Kernels, a: Mat, b: Mat): Mat {
  const out = k.mat(a.rows, a.cols);
  k.add(a, b, out);
  return out;
}

/**
 * Per-sequence gates: mean over each sequence's tokens of sigmoid(x·Wgᵀ + bg), one value per
 * gate head; returns [sequences × heads].
 */
export function seqGates(k: Kernels, gate: Lin, x: Mat, layout: SeqLayout): Float64Array[] {
  return k.scratch(() => {
    const g = linear(k, gate, x);
    const v = k.read(g);
    const H = gate.outF;
    return layout.offsets.map((o, b) => {
      const out = new Float64Array(H);
      const n = layout.lengths[b];
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < H; j++) out[j] += 1 / (1 + Math.exp(-v[(o + t) * H + j]));
      }
      for (let j = 0; j < H; j++) out[j] = n ? Math.fround(out[j] / n) : NaN; // torch: mean of none = nan
      return out;
    });
  });
}

/** Multiplies each sequence's rows of `m` by its scalar (in place). */
export function scaleSeqs(k: Kernels, m: Mat, layout: SeqLayout, s: ArrayLike<number>): void {
  layout.offsets.forEach((o, b) => {
    if (layout.lengths[b]) {
      const v = k.view(m, o, layout.lengths[b]);
      k.affine(v, v, s[b]);
    }
  });
}

/** Rows [r0, r1) of the layout's sequences [b0, b1), and their layout re-based at 0. */
export function batchSlice(
  layout: SeqLayout,
  b0: number,
  b1: number,
): { r0: number; rows: number; layout: SeqLayout } {
  const r0 = b0 < layout.offsets.length ? layout.offsets[b0] : layout.total;
  const offsets: number[] = [], lengths: number[] = [];
  let rows = 0;
  for (let b = b0; b < b1; b++) {
    if (layout.offsets[b] !== r0 + rows) {
      throw new EdgeClipError("runtime", "adapter composition needs sequences packed in order");
    }
    offsets.push(rows);
    lengths.push(layout.lengths[b]);
    rows += layout.lengths[b];
  }
  return { r0, rows, layout: { offsets, lengths, total: rows } };
}

/** Concatenates row blocks into fresh memory. */
export function concatRows(k: Kernels, parts: readonly Mat[], cols: number): Mat {
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const out = k.mat(rows, cols);
  let r = 0;
  for (const p of parts) {
    if (p.rows) k.copy(p, k.view(out, r, p.rows));
    r += p.rows;
  }
  return out;
}

/** Layer norm with a (gamma, beta) pair in linear memory, eps 1e-5 (nn.LayerNorm default). */
export function layerNorm(k: Kernels, x: Mat, ln: { g: Vec; b: Vec }, out?: Mat): Mat {
  const o = out ?? k.mat(x.rows, x.cols);
  k.layerNorm(x, o, ln.g, ln.b, 1e-5);
  return o;
}

/** BatchSplit must cover the batch exactly (the library's check), else adapter_setup. */
export function checkBatchSizes(where: string, sizes: readonly number[], layout: SeqLayout): void {
  const B = layout.offsets.length;
  if (sizes.reduce((a, x) => a + x, 0) !== B) {
    throw new EdgeClipError(
      "adapter_setup",
      `${where}: the batch has ${B} sequences, not the sum of batch_sizes ${JSON.stringify(sizes)}`,
    );
  }
}
