// f32 GEMM: C[m×n] = act(A[m×k] · Wᵀ + bias) + R, with W given as PyTorch's [n×k] and packed
// once into panels of NR = 8 output columns: panel p holds W[8p..8p+7, 0..k) as k rows of 8 floats
// (columns past n are zero). The micro-kernel runs R ≤ MR rows of A against one panel with 2·R
// f32x4 accumulators in registers, broadcasting one A value per row against two weight vectors.
//
// Why these choices (measured on x64 V8, which has 16 xmm registers, one kept as scratch):
// - MR = 6 in the relaxed build: 12 accumulators + 2 weight vectors + 1 broadcast = 15 registers,
//   enough independent FMAs to cover their latency (~25% faster than 4×8). Without FMA the
//   product needs a temporary too, and 6 rows spill: the SIMD128 build uses MR = 5.
// - Rows are split into groups of balanced size (50 rows run as 5·6 + 4·5, not 8·6 + 2): in cache
//   a 1- or 2-row kernel is latency-bound at a third to a half of the speed.
// - A is read in place (packing it into a contiguous panel measured slower) and K is not blocked.
// - Weights are used once per forward and come from DRAM. A panel's first pass over them is
//   latency-bound, so the next panel is touched (read, one load per line) before the groups run
//   (+5% at 50 rows). With one or two groups per panel the touch costs more than it saves;
//   there a single row runs first instead: the 1-row kernel has few instructions per weight byte,
//   so the out-of-order window holds more cache misses at once (+5–15% on cold 7–13-row GEMMs,
//   text prompts), and the groups after it read the panel from cache.
// - MC rows of A per block: larger blocks stream the weights fewer times (240 beat 60 and 120).
// - Every row is summed in the same order (k in sequence, two 4-lane accumulators) whatever group
//   it runs in, so an embedding does not depend on its batch (gemm_batch_invariance_test.ts):
//   no split-k or reassociation for short groups.

import { fma4 } from "./simd";
import { act4 } from "./activation";

export const GEMM_NR: i32 = 8;
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
const MC: i32 = 240;

const tile = memory.data(6 * 8 * 4, 16); // the accumulators of one R×8 tile
const sink = memory.data(16, 16); // keeps `touch` loads live

/** Bytes needed to pack an [n×k] weight: ceil(n/8) panels of k·8 floats. */
export function packed_f32_bytes(n: i32, k: i32): usize {
  return <usize>((n + 7) >> 3) * <usize>k * 32;
}

/** Packs W (n rows of k floats, row stride ldw elements) into `dst` (see packed_f32_bytes). */
export function pack_f32(w: usize, ldw: i32, n: i32, k: i32, dst: usize): void {
  const panels = (n + 7) >> 3;
  const ws = <usize>ldw << 2;
  const k4 = k & ~3;
  for (let p = 0; p < panels; p++) {
    const base = dst + <usize>p * <usize>k * 32;
    for (let j = 0; j < 8; j += 4) {
      const col = (p << 3) + j;
      if (col + 4 <= n) {
        // 4 columns × 4 steps at a time, transposed in registers
        const src = w + <usize>col * ws;
        for (let kk = 0; kk < k4; kk += 4) {
          const s = src + (<usize>kk << 2);
          const r0 = v128.load(s), r1 = v128.load(s + ws), r2 = v128.load(s + 2 * ws);
          const r3 = v128.load(s + 3 * ws);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const o = base + (<usize>kk << 5) + (<usize>j << 2);
          v128.store(o, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
          v128.store(o, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
          v128.store(o, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
          v128.store(o, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
        }
        for (let jj = j; jj < j + 4; jj++) packColumn(w, ws, n, k, k4, base, p, jj);
      } else {
        for (let jj = j; jj < j + 4; jj++) packColumn(w, ws, n, k, 0, base, p, jj);
      }
    }
  }
}

// Column j of panel p, steps [from, k), one float at a time (zeros past n).
function packColumn(w: usize, ws: usize, n: i32, k: i32, from: i32, base: usize, p: i32, j: i32): void {
  const col = (p << 3) + j;
  const src = w + <usize>col * ws;
  for (let kk = from; kk < k; kk++) {
    store<f32>(base + (<usize>kk << 5) + (<usize>j << 2), col < n ? load<f32>(src + (<usize>kk << 2)) : 0);
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
// Reads its accumulators from `tile` row i and may overwrite `tile` only for partial panels.
function finishRow(
  i: i32, row: i32, n0: i32, nn: i32,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  const t = tile + (<usize>i << 5);
  let lo = v128.load(t), hi = v128.load(t, 16);
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
  for (let j = 0; j < nn; j++) {
    let x = load<f32>(t + (<usize>j << 2));
    if (bias) x += load<f32>(bias + (<usize>(n0 + j) << 2));
    if (act) x = f32x4.extract_lane(act4(f32x4.splat(x), act), 0);
    if (res) x += load<f32>(res + ((<usize>row * <usize>ldr + <usize>(n0 + j)) << 2));
    store<f32>(cp + (<usize>j << 2), x);
  }
}

// R rows (1 ≤ R ≤ 6, a constant after inlining) of A from `a` × one panel over the whole k;
// the accumulators go to `tile` (row i at tile + 32·i).
// @ts-ignore: decorator
@inline function kernel(a: usize, lda: i32, k: i32, wp: usize, R: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  // row offsets hoisted: V8 does not move loop-invariant arithmetic out of the loop
  const s1 = <usize>lda << 2, s2 = s1 * 2, s3 = s1 * 3, s4 = s1 * 4, s5 = s1 * 5;
  let ap = a, w = wp;
  const wEnd = wp + (<usize>k << 5);
  while (w < wEnd) {
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    let x = v128.load32_splat(ap);
    c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01);
    if (R > 1) { x = v128.load32_splat(ap + s1); c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11); }
    if (R > 2) { x = v128.load32_splat(ap + s2); c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21); }
    if (R > 3) { x = v128.load32_splat(ap + s3); c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31); }
    if (R > 4) { x = v128.load32_splat(ap + s4); c40 = fma4(x, b0, c40); c41 = fma4(x, b1, c41); }
    if (R > 5) { x = v128.load32_splat(ap + s5); c50 = fma4(x, b0, c50); c51 = fma4(x, b1, c51); }
    ap += 4; w += 32;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  if (R > 1) { v128.store(tile, c10, 32); v128.store(tile, c11, 48); }
  if (R > 2) { v128.store(tile, c20, 64); v128.store(tile, c21, 80); }
  if (R > 3) { v128.store(tile, c30, 96); v128.store(tile, c31, 112); }
  if (R > 4) { v128.store(tile, c40, 128); v128.store(tile, c41, 144); }
  if (R > 5) { v128.store(tile, c50, 160); v128.store(tile, c51, 176); }
}

// Groups of fewer than MR rows (the MR kernel is inlined into gemm_f32 itself).
function kernelSmall(a: usize, lda: i32, k: i32, wp: usize, R: i32): void {
  switch (R) {
    case 1: kernel(a, lda, k, wp, 1); break;
    case 2: kernel(a, lda, k, wp, 2); break;
    case 3: kernel(a, lda, k, wp, 3); break;
    case 4: kernel(a, lda, k, wp, 4); break;
    default: kernel(a, lda, k, wp, 5); // R == 5 < MR only in the relaxed build
  }
}

// Reads one 16-byte value per 64-byte line of [p, p + bytes) so the lines are on their way to
// the cache before the kernel needs them (wasm has no prefetch instruction).
function touch(p: usize, bytes: usize): void {
  let acc = f32x4.splat(0);
  const end = p + bytes;
  for (; p < end; p += 256) {
    acc = v128.or(acc, v128.load(p));
    acc = v128.or(acc, v128.load(p, 64));
    acc = v128.or(acc, v128.load(p, 128));
    acc = v128.or(acc, v128.load(p, 192));
  }
  v128.store(sink, acc);
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
  const panelBytes = <usize>k << 5;
  for (let mc = 0; mc < m; mc += MC) {
    let rows = min(m - mc, MC);
    // few rows: one row streams each panel in first (see the notes above)
    const lead = rows > 2 && rows <= 2 * MR + 1;
    if (lead) rows--;
    // balanced groups: `big` of them have small + 1 rows, the rest `small`
    const groups = (rows + MR - 1) / MR;
    const small = rows / groups;
    const big = rows - small * groups;
    for (let p = 0; p < panels; p++) {
      const wp = wpacked + <usize>p * panelBytes;
      if (groups >= 4 && p + 1 < panels) touch(wp + panelBytes, panelBytes);
      const n0 = p << 3;
      const nn = min(8, n - n0);
      let r = mc;
      if (lead) {
        kernelSmall(a + (<usize>r * <usize>lda << 2), lda, k, wp, 1);
        finishRow(0, r, n0, nn, bias, act, res, ldr, c, ldc);
        r++;
      }
      for (let g = 0; g < groups; g++) {
        const R = g < big ? small + 1 : small;
        const ar = a + (<usize>r * <usize>lda << 2);
        if (R == MR) kernel(ar, lda, k, wp, MR);
        else kernelSmall(ar, lda, k, wp, R);
        for (let i = 0; i < R; i++) finishRow(i, r + i, n0, nn, bias, act, res, ldr, c, ldc);
        r += R;
      }
    }
  }
}
