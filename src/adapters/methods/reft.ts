// ReFT interventions on an encoder layer's output (adapters methods/reft.py): per unit
// h' = h + Rᵀ(act(Ws·h + bs) − R·h) on the first `prefix_positions` and last `suffix_positions`
// positions of each sequence. Positions follow the library's per-forward index cache, reused by
// later layers and by the later tower (spec §3.6); where the library would crash or silently
// intervene on the wrong rows, this runtime throws instead.

import { EdgeClipError } from "../../errors.ts";
import type { SeqLayout } from "../../model/hooks.ts";
import type { Act, Kernels, Mat, Owner } from "../../wasm/kernels.ts";
import { adapterActivation } from "../activation.ts";
import type { ReftConfig } from "../config.ts";
import { concatRows, type Lin, linear, makeLin, matmul64 } from "../ops.ts";
import type { AdapterTensors } from "../tensors.ts";

/**
 * R of torch's orthogonal parametrization (Householder map, use_trivialization): original Xo
 * [r × H] and buffer base Q0 [H × H] → R [r × H], computed in f64.
 */
export function orthogonalWeight(
  Xo: Float32Array,
  base: Float32Array,
  r: number,
  H: number,
): Float32Array {
  if (r >= H) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `ReFT orthogonal projection with r (${r}) ≥ hidden (${H}) uses matrix_exp; not supported`,
    );
  }
  // X = Xoᵀ [H × r]; A = strictly lower part of X; τ_j = 2 / (1 + Σ_i A[i,j]²)
  const X = (i: number, j: number) => Xo[j * H + i];
  const tau = new Float64Array(r);
  for (let j = 0; j < r; j++) {
    let s = 0;
    for (let i = j + 1; i < H; i++) s += X(i, j) ** 2;
    tau[j] = 2 / (1 + s);
  }
  // Q = H_1·…·H_r·I[:, :r], H_j = I − τ_j v_j v_jᵀ with v_j = e_j + A[:, j]; applied right to left
  const Q = new Float64Array(H * r);
  for (let j = 0; j < r; j++) Q[j * r + j] = 1;
  for (let j = r - 1; j >= 0; j--) {
    for (let c = 0; c < r; c++) {
      let d = Q[j * r + c];
      for (let i = j + 1; i < H; i++) d += X(i, j) * Q[i * r + c];
      d *= tau[j];
      Q[j * r + c] -= d;
      for (let i = j + 1; i < H; i++) Q[i * r + c] -= d * X(i, j);
    }
  }
  // the stored diagonal carries the signs (cast to int, as torch does)
  for (let c = 0; c < r; c++) {
    const sgn = Math.trunc(X(c, c));
    for (let i = 0; i < H; i++) Q[i * r + c] *= sgn;
  }
  // R = (Q0·Q)ᵀ
  const Q0Q = matmul64(base, Q, { m: H, k: H, n: r });
  const R = new Float32Array(r * H);
  for (let i = 0; i < H; i++) for (let c = 0; c < r; c++) R[c * H + i] = Q0Q[i * r + c];
  return R;
}

interface Unit {
  readonly source: Lin; // H → r
  readonly proj: Lin; // h ↦ R·h (H → r)
  readonly projT: Lin; // d ↦ Rᵀ·d (r → H)
}

/** The ReFT positions cached for one forward call (the library's context.pref_idx/suff_idx). */
export interface ReftCache {
  pref?: number[][];
  suff?: number[][];
  hidden?: number;
}

export class ReftModule {
  constructor(
    readonly k: Kernels,
    readonly name: string,
    readonly cfg: ReftConfig,
    readonly hidden: number,
    readonly units: readonly Unit[],
    readonly act: Act,
  ) {}

  static load(
    o: Owner,
    name: string,
    cfg: ReftConfig,
    t: AdapterTensors,
    prefix: string,
    H: number,
  ): ReftModule {
    const r = cfg.r;
    const units: Unit[] = [];
    for (let u = 0; u < (cfg.tiedWeights ? 1 : 2); u++) {
      const p = `${prefix}units.${u}.`;
      const Ws = t.take(p + "learned_source.weight", [r, H]),
        bs = t.take(p + "learned_source.bias", [r]);
      const po = p + "projection.parametrizations.weight.";
      const R = t.has(p + "projection.weight")
        ? t.take(p + "projection.weight", [r, H])
        : orthogonalWeight(t.take(po + "original", [r, H]), t.take(po + "0.base", [H, H]), r, H);
      const RT = new Float32Array(H * r);
      for (let i = 0; i < r; i++) for (let j = 0; j < H; j++) RT[j * r + i] = R[i * H + j];
      units.push({
        source: makeLin(o, Ws, r, H, bs),
        proj: makeLin(o, R, r, H),
        projT: makeLin(o, RT, H, r),
      });
    }
    return new ReftModule(o.kernels, name, cfg, H, units, adapterActivation(cfg.nonLinearity));
  }

  #unit(u: Unit, x: Mat): Mat {
    const k = this.k;
    const s = linear(k, u.source, x, { act: this.act }); // act(Ws·h + bs)
    if (this.cfg.subtractProjection) k.add(s, linear(k, u.proj, x), s, -1); // − R·h
    return linear(k, u.projT, s, { residual: x }); // h + Rᵀ(…)
  }

  /** Applies the interventions to h in place. `mask`: the call's text attention mask, if any. */
  apply(
    h: Mat,
    layout: SeqLayout,
    cache: ReftCache,
    mask: readonly ArrayLike<number>[] | undefined,
    where: string,
  ): void {
    const k = this.k, p = this.cfg.prefixPositions, s = this.cfg.suffixPositions, H = this.hidden;
    const B = layout.offsets.length;
    const fail = (why: string): never => {
      throw new EdgeClipError("adapter_unsupported", `${where} ReFT ${this.name}: ${why}`);
    };
    const S = Math.max(0, ...layout.lengths);
    // the library computes positions once per forward and reuses them in every later layer and
    // in the later tower; it recomputes only when the cached ones no longer fit this run
    let invalid = false;
    if (cache.pref && cache.suff) {
      invalid = cache.suff.some((row, b) => row.some((i) => i >= (layout.lengths[b] ?? S))) ||
        cache.suff.length !== B || cache.hidden !== H;
    }
    if ((!cache.pref && !cache.suff) || invalid) {
      let first: number[], last: number[];
      if (mask) {
        // first attended position (argmax of the mask) and one past the last, per sequence
        first = mask.map((m) => {
          let best = 0;
          for (let i = 1; i < m.length; i++) if (m[i] > m[best]) best = i;
          return best;
        });
        last = mask.map((m, b) => first[b] + Array.from(m).filter((v) => v === 1).length);
      } else {
        first = layout.lengths.map(() => 0);
        last = layout.lengths.map((l) => l);
      }
      const rp = Math.min(p, S), rs = Math.min(s, S);
      if (p > 0) cache.pref = first.map((f) => Array.from({ length: rp }, (_, j) => f + j));
      if (s > 0) cache.suff = last.map((l) => Array.from({ length: rs }, (_, j) => l - rs + j));
      cache.hidden = H;
    }
    if (cache.hidden !== H) {
      fail("positions were computed in a tower of another hidden size; the library crashes here");
    }
    for (const idx of [p > 0 ? cache.pref : undefined, s > 0 ? cache.suff : undefined]) {
      if (!idx) continue;
      if (idx.length !== B) {
        fail(
          `positions cover ${idx.length} sequences but this tower runs ${B} (the library fails or intervenes on the wrong rows)`,
        );
      }
      idx.forEach((row, b) => {
        if (row.some((i) => i < 0 || i >= layout.lengths[b])) {
          fail(`position outside sequence ${b} (the library's gather fails)`);
        }
      });
    }
    const rows = (idx: number[][] | undefined) =>
      idx ? idx.flatMap((row, b) => row.map((i) => k.view(h, layout.offsets[b] + i, 1))) : [];
    const pre = rows(p > 0 ? cache.pref : undefined), suf = rows(s > 0 ? cache.suff : undefined);
    const rp = pre.length / B || 0, rs = suf.length / B || 0;
    // both slices are read from the unmodified output, transformed, then written back
    const gp = pre.length ? concatRows(k, pre, H) : undefined;
    const gs = suf.length ? concatRows(k, suf, H) : undefined;
    let op: Mat | undefined, os: Mat | undefined;
    if (this.cfg.tiedWeights) {
      // one unit over [prefix ; suffix] of each row: per-token, so the order does not matter
      op = gp && this.#unit(this.units[0], gp);
      os = gs && this.#unit(this.units[0], gs);
    } else {
      op = gp && this.#unit(this.units[0], gp);
      os = gs && this.#unit(this.units[1], gs);
    }
    // scatter: prefix rows from out[:, :p], suffix rows from out[:, -s:] of out = [pre ; suf]
    const outRow = (b: number, j: number): Mat =>
      j < rp ? k.view(op!, b * rp + j, 1) : k.view(os!, b * rs + (j - rp), 1);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < rp; j++) k.copy(outRow(b, j), pre[b * rp + j]);
      const start = Math.max(0, rp + rs - s);
      for (let j = 0; j < rs; j++) k.copy(outRow(b, start + j), suf[b * rs + j]);
    }
  }
}
