// f32 GEMM: C[m×n] = act(A[m×k] · Wᵀ + bias) + R, with W given as PyTorch's [n×k] and packed
// once into panels of NR = 8 output columns: panel p holds W[8p..8p+7, 0..k) as k rows of 8 floats
// (columns past n are zero). The 4×8 micro-kernel keeps 8 f32x4 accumulators in registers,
// broadcasting one A value per row against two weight vectors.

import { fma4 } from "./simd";
import { act4 } from "./activation";

export const GEMM_NR: i32 = 8;
// Rows of A per block: one block's A stays in L2 while every weight panel streams past it once.
const MC: i32 = 64;

const tile = memory.data(4 * 8 * 4, 16); // spill area for partial tiles (4 rows × 8 floats)

/** Bytes needed to pack an [n×k] weight: ceil(n/8) panels of k·8 floats. */
export function packed_f32_bytes(n: i32, k: i32): usize {
  return <usize>((n + 7) >> 3) * <usize>k * 32;
}

/** Packs W (n rows of k floats, row stride ldw elements) into `dst` (see packed_f32_bytes). */
export function pack_f32(w: usize, ldw: i32, n: i32, k: i32, dst: usize): void {
  const panels = (n + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>p * <usize>k * 32;
    for (let j = 0; j < 8; j++) {
      const col = (p << 3) + j;
      if (col < n) {
        const src = w + (<usize>col * <usize>ldw << 2);
        for (let kk = 0; kk < k; kk++) store<f32>(base + (<usize>kk << 5) + (<usize>j << 2), load<f32>(src + (<usize>kk << 2)));
      } else {
        for (let kk = 0; kk < k; kk++) store<f32>(base + (<usize>kk << 5) + (<usize>j << 2), 0);
      }
    }
  }
}

/** Inverse of pack_f32 (used when an adapter is merged into a packed weight). */
export function unpack_f32(src: usize, n: i32, k: i32, w: usize, ldw: i32): void {
  for (let col = 0; col < n; col++) {
    const base = src + <usize>(col >> 3) * <usize>k * 32 + (<usize>(col & 7) << 2);
    const dst = w + (<usize>col * <usize>ldw << 2);
    for (let kk = 0; kk < k; kk++) store<f32>(dst + (<usize>kk << 2), load<f32>(base + (<usize>kk << 5)));
  }
}

// Writes one row of a tile: bias, activation, residual, then store (8 lanes or the nn < 8 tail).
function finishRow(
  lo: v128, hi: v128, row: i32, n0: i32, nn: i32,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  const cp = c + ((<usize>row * <usize>ldc + <usize>n0) << 2);
  if (nn == 8) {
    if (bias) {
      lo = f32x4.add(lo, v128.load(bias + (<usize>n0 << 2)));
      hi = f32x4.add(hi, v128.load(bias + (<usize>n0 << 2), 16));
    }
    if (act) {
      lo = act4(lo, act);
      hi = act4(hi, act);
    }
    if (res) {
      const rp = res + ((<usize>row * <usize>ldr + <usize>n0) << 2);
      lo = f32x4.add(lo, v128.load(rp));
      hi = f32x4.add(hi, v128.load(rp, 16));
    }
    v128.store(cp, lo);
    v128.store(cp, hi, 16);
    return;
  }
  v128.store(tile, lo);
  v128.store(tile, hi, 16);
  for (let j = 0; j < nn; j++) {
    let x = load<f32>(tile + (<usize>j << 2));
    if (bias) x += load<f32>(bias + (<usize>(n0 + j) << 2));
    if (act) x = f32x4.extract_lane(act4(f32x4.splat(x), act), 0);
    if (res) x += load<f32>(res + ((<usize>row * <usize>ldr + <usize>(n0 + j)) << 2));
    store<f32>(cp + (<usize>j << 2), x);
  }
}

// 4 rows × one 8-column panel over the whole k.
// @ts-ignore: decorator
@inline function kernel4x8(a: usize, lda: i32, k: i32, wp: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const stride = <usize>lda << 2;
  let a0 = a, a1 = a + stride, a2 = a + 2 * stride, a3 = a + 3 * stride;
  let w = wp;
  for (let kk = 0; kk < k; kk++) {
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    let x = v128.load32_splat(a0);
    c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; w += 32;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// 1 row × one panel (row remainder).
// @ts-ignore: decorator
@inline function kernel1x8(a: usize, k: i32, wp: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let w = wp, ap = a;
  for (let kk = 0; kk < k; kk++) {
    const x = v128.load32_splat(ap);
    c0 = fma4(x, v128.load(w), c0);
    c1 = fma4(x, v128.load(w, 16), c1);
    ap += 4; w += 32;
  }
  v128.store(tile, c0); v128.store(tile, c1, 16);
}

/**
 * C = act(A·Wᵀ + bias) + R.
 * a: [m×k] row stride lda; wpacked: pack_f32 output for an [n×k] weight; bias: [n] or 0;
 * act: ACT_* code; res: [m×n] row stride ldr or 0 (added after the activation);
 * c: [m×n] row stride ldc (may alias res, not a).
 */
export function gemm_f32(
  a: usize, lda: i32, m: i32, k: i32, wpacked: usize, n: i32,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  const panels = (n + 7) >> 3;
  for (let mc = 0; mc < m; mc += MC) {
    const mEnd = min(m, mc + MC);
    for (let p = 0; p < panels; p++) {
      const wp = wpacked + <usize>p * <usize>k * 32;
      const n0 = p << 3;
      const nn = min(8, n - n0);
      let r = mc;
      for (; r + 4 <= mEnd; r += 4) {
        kernel4x8(a + (<usize>r * <usize>lda << 2), lda, k, wp);
        // copy out before finishRow reuses `tile` for partial panels
        const t00 = v128.load(tile), t01 = v128.load(tile, 16);
        const t10 = v128.load(tile, 32), t11 = v128.load(tile, 48);
        const t20 = v128.load(tile, 64), t21 = v128.load(tile, 80);
        const t30 = v128.load(tile, 96), t31 = v128.load(tile, 112);
        finishRow(t00, t01, r, n0, nn, bias, act, res, ldr, c, ldc);
        finishRow(t10, t11, r + 1, n0, nn, bias, act, res, ldr, c, ldc);
        finishRow(t20, t21, r + 2, n0, nn, bias, act, res, ldr, c, ldc);
        finishRow(t30, t31, r + 3, n0, nn, bias, act, res, ldr, c, ldc);
      }
      for (; r < mEnd; r++) {
        kernel1x8(a + (<usize>r * <usize>lda << 2), k, wp);
        finishRow(v128.load(tile), v128.load(tile, 16), r, n0, nn, bias, act, res, ldr, c, ldc);
      }
    }
  }
}
