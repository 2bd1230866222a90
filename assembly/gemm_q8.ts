// int8 GEMM: C[m×n] = act(s_r·s_c·Σ_k (qa[r,k] − z_r)·qw[c,k] + bias[c]) + R[r,c], with packed
// weights and packed activation blocks (formats.ts). Σ runs in int32 over the whole K; the f32
// epilogue is fused: t = acc − z_r·Σ_k qw[c,k] (exact), y = f32(t)·(s_r·s_c) + bias → act → + R.
// Micro-kernels compute 1..4 rows of a block × one 12-column panel:
//   QA_U8 (i16 activations): i32x4.dot_i16x8_s on weights widened 8 bytes at a time;
//   QA_U7 (u8 activations):  relaxed build → i16x8.relaxed_dot_i8x16_i7x16_s on 16 weight bytes,
//                            pairs summed by dot_i16x8_s with ones (see dot7); SIMD128 build →
//                            the dot_i16x8_s kernel, activations widened.
// Weight groups are 48 bytes (12 columns × 4 k); the SIMD128 kernels take a panel as three
// quarter-tiles of 4 columns, the relaxed one whole (12 accumulators).
// Both routes produce the same int32 sums (no saturation: |w| ≤ 127, 0 ≤ q ≤ 255).
// The last block of m = 4q + r rows runs a copy of the kernel for its r rows only (rows is a
// constant in each copy): relaxed r = 1..3, i16 r = 1..2 (text prompts have m = 5..12: m = 5 is
// ~25% faster, m = 10 ~10%). The SIMD128-only u8 kernel (QA_U7 there, unused by the model) always
// computes 4 rows.
// Deno's V8 bounds-checks every load explicitly (seen with perf: ~3 instructions each), so these
// loops are instruction-bound on Zen 4: fewer loads and instructions per MAC won every trial,
// while a few stack spills of accumulators cost little (fewer-register tiles were slower).

import { act4 } from "./activation";
import { actBytes, padK, Q8_NR, QA_U7 } from "./formats";

/** int32 sums of the current tile: 4 rows × 12 columns (gemm_q4 fills it too). */
export const tile = memory.data(4 * 12 * 4, 16);
const spill = memory.data(16, 16);
// i16 ones for dot7, read from memory at run time: V8 then keeps them in a register or stack
// slot; a v128 constant is rematerialized (or its address reloaded) at every use.
const ONES = memory.data<i16>([1, 1, 1, 1, 1, 1, 1, 1], 16);

// [c0 p, c0 p', c1 p, c1 p'] + [c2 …, c3 …] → [c0, c1, c2, c3] (pairs of partial sums)
// @ts-ignore: decorator
@inline export function pairSum(a: v128, b: v128): v128 {
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

// c + dot_i16x8_s(x, w)
// @ts-ignore: decorator
@inline function dotAdd(c: v128, x: v128, w: v128): v128 {
  return i32x4.add(c, i32x4.dot_i16x8_s(x, w));
}

// Rows 0..rows−1 (rows ≤ 4, a constant after inlining) × 4 columns (a third of a panel: pw at
// byte 0, 16 or 32 of each 48-byte group), i16 activations (group: 4 rows × 4 k × 2 bytes). Sums
// go to out (row stride 48 bytes).
// @ts-ignore: decorator
@inline function half_i16(pa: usize, groups: i32, pw: usize, out: usize, rows: i32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  for (let g = 0; g < groups; g += 2) {
    let w0 = v128.load8x8_s(pw), w1 = v128.load8x8_s(pw, 8);
    let x = v128.load64_splat(pa);
    c00 = dotAdd(c00, x, w0); c01 = dotAdd(c01, x, w1);
    if (rows > 1) {
      x = v128.load64_splat(pa, 8);
      c10 = dotAdd(c10, x, w0); c11 = dotAdd(c11, x, w1);
    }
    if (rows > 2) {
      x = v128.load64_splat(pa, 16);
      c20 = dotAdd(c20, x, w0); c21 = dotAdd(c21, x, w1);
    }
    if (rows > 3) {
      x = v128.load64_splat(pa, 24);
      c30 = dotAdd(c30, x, w0); c31 = dotAdd(c31, x, w1);
    }
    w0 = v128.load8x8_s(pw, 48); w1 = v128.load8x8_s(pw, 56);
    x = v128.load64_splat(pa, 32);
    c00 = dotAdd(c00, x, w0); c01 = dotAdd(c01, x, w1);
    if (rows > 1) {
      x = v128.load64_splat(pa, 40);
      c10 = dotAdd(c10, x, w0); c11 = dotAdd(c11, x, w1);
    }
    if (rows > 2) {
      x = v128.load64_splat(pa, 48);
      c20 = dotAdd(c20, x, w0); c21 = dotAdd(c21, x, w1);
    }
    if (rows > 3) {
      x = v128.load64_splat(pa, 56);
      c30 = dotAdd(c30, x, w0); c31 = dotAdd(c31, x, w1);
    }
    pa += 64; pw += 96;
  }
  v128.store(out, pairSum(c00, c01));
  if (rows > 1) v128.store(out, pairSum(c10, c11), 48);
  if (rows > 2) v128.store(out, pairSum(c20, c21), 96);
  if (rows > 3) v128.store(out, pairSum(c30, c31), 144);
}

// As half_i16 for u8 activations (group: 4 rows × 4 k × 1 byte), widened to i16 on load:
// the 4 bytes of a row, splatted, widen to [q0 q1 q2 q3 q0 q1 q2 q3].
// @ts-ignore: decorator
@inline function half_u8(pa: usize, groups: i32, pw: usize, out: usize): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  for (let g = 0; g < groups; g += 2) {
    let w0 = v128.load8x8_s(pw), w1 = v128.load8x8_s(pw, 8);
    let x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa));
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 4));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 8));
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 12));
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
    w0 = v128.load8x8_s(pw, 48); w1 = v128.load8x8_s(pw, 56);
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 16));
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 20));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 24));
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
    x = i16x8.extend_low_i8x16_u(v128.load32_splat(pa, 28));
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
    pa += 32; pw += 96;
  }
  v128.store(out, pairSum(c00, c01));
  v128.store(out, pairSum(c10, c11), 48);
  v128.store(out, pairSum(c20, c21), 96);
  v128.store(out, pairSum(c30, c31), 144);
}

// c + Σ of 4 products per lane, as i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, c) but cheaper
// without AVX-VNNI: V8 lowers the i16 dot to one pmaddubsw and the pair sum to one pmaddwd, where
// the fused form costs ~5 instructions (it rebuilds its ones each time); ~1.3× on the 4×12 tile
// together with ONES. Exact: x in [0, 127] (the i7 operand, so no implementation choice) and
// |w| ≤ 127, so an i16 pair sum is at most 2·127·127 = 32258 and never saturates.
// @ts-ignore: decorator
@inline function dot7(w: v128, x: v128, c: v128, ones: v128): v128 {
  return i32x4.add(c, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x), ones));
}

// Rows 0..rows−1 (rows ≤ 4, a constant after inlining) × 12 columns with the relaxed i8×i7 dot
// (u8 activations in [0, 127]): 16 weight bytes are 4 columns × 4 k, so lane j of a sum is
// column j — no pair reduction.
// @ts-ignore: decorator
@inline function panel_relaxed(pa: usize, groups: i32, pw: usize, rows: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  const ones = v128.load(ONES);
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c02 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0), c12 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c22 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0), c32 = i32x4.splat(0);
  for (let g = 0; g < groups; g++) {
    const w0 = v128.load(pw), w1 = v128.load(pw, 16), w2 = v128.load(pw, 32);
    let x = v128.load32_splat(pa);
    c00 = dot7(w0, x, c00, ones); c01 = dot7(w1, x, c01, ones); c02 = dot7(w2, x, c02, ones);
    if (rows > 1) {
      x = v128.load32_splat(pa, 4);
      c10 = dot7(w0, x, c10, ones); c11 = dot7(w1, x, c11, ones); c12 = dot7(w2, x, c12, ones);
    }
    if (rows > 2) {
      x = v128.load32_splat(pa, 8);
      c20 = dot7(w0, x, c20, ones); c21 = dot7(w1, x, c21, ones); c22 = dot7(w2, x, c22, ones);
    }
    if (rows > 3) {
      x = v128.load32_splat(pa, 12);
      c30 = dot7(w0, x, c30, ones); c31 = dot7(w1, x, c31, ones); c32 = dot7(w2, x, c32, ones);
    }
    pa += 16; pw += 48;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16); v128.store(tile, c02, 32);
  if (rows > 1) {
    v128.store(tile, c10, 48); v128.store(tile, c11, 64); v128.store(tile, c12, 80);
  }
  if (rows > 2) {
    v128.store(tile, c20, 96); v128.store(tile, c21, 112); v128.store(tile, c22, 128);
  }
  if (rows > 3) {
    v128.store(tile, c30, 144); v128.store(tile, c31, 160); v128.store(tile, c32, 176);
  }
}

// One function per row count: inlined side by side into one caller, binaryen folds the copies
// back into one loop with run-time row tests (measured slower than no specialization).
function relaxed4(pa: usize, groups: i32, pw: usize): void { panel_relaxed(pa, groups, pw, 4); }
function relaxed3(pa: usize, groups: i32, pw: usize): void { panel_relaxed(pa, groups, pw, 3); }
function relaxed2(pa: usize, groups: i32, pw: usize): void { panel_relaxed(pa, groups, pw, 2); }
function relaxed1(pa: usize, groups: i32, pw: usize): void { panel_relaxed(pa, groups, pw, 1); }

// The i16 kernel for 2 or 1 rows (3 rows take the 4-row kernel: a 3-row copy gained ~5% on its
// block, and moving the 4-row kernel out of gemm_q8 cost 2–3% on full blocks).
function i16x2(pa: usize, groups: i32, pw: usize): void {
  half_i16(pa, groups, pw, tile, 2);
  half_i16(pa, groups, pw + 16, tile + 16, 2);
  half_i16(pa, groups, pw + 32, tile + 32, 2);
}
function i16x1(pa: usize, groups: i32, pw: usize): void {
  half_i16(pa, groups, pw, tile, 1);
  half_i16(pa, groups, pw + 16, tile + 16, 1);
  half_i16(pa, groups, pw + 32, tile + 32, 1);
}

// Epilogue of one tile: rows r0..r0+mr−1, columns n0..n0+nn−1 (nn ≤ 12); gemm_q4 shares it.
export function finishTile(
  r0: i32, mr: i32, n0: i32, nn: i32, rows: usize, zps: usize, wscale: usize, wsum: usize,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  if (nn == Q8_NR) {
    // whole panel (all but the last): the column vectors are read once per tile, not per row
    const col = <usize>n0 << 2;
    const su0 = v128.load(wsum + col), su1 = v128.load(wsum + col, 16);
    const su2 = v128.load(wsum + col, 32);
    const ws0 = v128.load(wscale + col), ws1 = v128.load(wscale + col, 16);
    const ws2 = v128.load(wscale + col, 32);
    for (let i = 0; i < mr; i++) {
      const r = r0 + i;
      const sv = f32x4.splat(load<f32>(rows + (<usize>r << 2)));
      const zv = i32x4.splat(load<i32>(zps + (<usize>r << 2)));
      const tp = tile + <usize>i * 48;
      let y0 = f32x4.convert_i32x4_s(i32x4.sub(v128.load(tp), i32x4.mul(zv, su0)));
      let y1 = f32x4.convert_i32x4_s(i32x4.sub(v128.load(tp, 16), i32x4.mul(zv, su1)));
      let y2 = f32x4.convert_i32x4_s(i32x4.sub(v128.load(tp, 32), i32x4.mul(zv, su2)));
      y0 = f32x4.mul(y0, f32x4.mul(sv, ws0));
      y1 = f32x4.mul(y1, f32x4.mul(sv, ws1));
      y2 = f32x4.mul(y2, f32x4.mul(sv, ws2));
      if (bias) {
        y0 = f32x4.add(y0, v128.load(bias + col));
        y1 = f32x4.add(y1, v128.load(bias + col, 16));
        y2 = f32x4.add(y2, v128.load(bias + col, 32));
      }
      if (act) {
        y0 = act4(y0, act);
        y1 = act4(y1, act);
        y2 = act4(y2, act);
      }
      if (res) {
        const rp = res + ((<usize>r * <usize>ldr + <usize>n0) << 2);
        y0 = f32x4.add(y0, v128.load(rp));
        y1 = f32x4.add(y1, v128.load(rp, 16));
        y2 = f32x4.add(y2, v128.load(rp, 32));
      }
      const cp = c + ((<usize>r * <usize>ldc + <usize>n0) << 2);
      v128.store(cp, y0);
      v128.store(cp, y1, 16);
      v128.store(cp, y2, 32);
    }
    return;
  }
  for (let i = 0; i < mr; i++) {
    const r = r0 + i;
    const sv = f32x4.splat(load<f32>(rows + (<usize>r << 2)));
    const zv = i32x4.splat(load<i32>(zps + (<usize>r << 2)));
    const cp = c + ((<usize>r * <usize>ldc + <usize>n0) << 2);
    const rp = res + ((<usize>r * <usize>ldr + <usize>n0) << 2);
    for (let j0 = 0; j0 < nn; j0 += 4) {
      const col = <usize>(n0 + j0) << 2;
      const t = i32x4.sub(
        v128.load(tile + <usize>i * 48 + (<usize>j0 << 2)),
        i32x4.mul(zv, v128.load(wsum + col)),
      );
      let y = f32x4.mul(f32x4.convert_i32x4_s(t), f32x4.mul(sv, v128.load(wscale + col)));
      if (nn - j0 >= 4) {
        if (bias) y = f32x4.add(y, v128.load(bias + col));
        if (act) y = act4(y, act);
        if (res) y = f32x4.add(y, v128.load(rp + (<usize>j0 << 2)));
        v128.store(cp + (<usize>j0 << 2), y);
        continue;
      }
      // partial panel: column by column, the same operations as the lanes above
      v128.store(spill, y);
      for (let j = 0; j < nn - j0; j++) {
        let x = load<f32>(spill + (<usize>j << 2));
        if (bias) x += load<f32>(bias + col + (<usize>j << 2));
        if (act) x = f32x4.extract_lane(act4(f32x4.splat(x), act), 0);
        if (res) x += load<f32>(rp + (<usize>(j0 + j) << 2));
        store<f32>(cp + (<usize>(j0 + j) << 2), x);
      }
    }
  }
}

/**
 * C = act(A·Wᵀ + bias) + R on int8 data.
 * a: quantize_act_q8 blocks of m rows, k columns, format fmt; rows: its scales then zero points;
 * w: quantize_pack_q8 output for an [n × k] weight with wscale / wsum (padded to ceil(n/12)·12);
 * bias: [n] f32 or 0; act: ACT_* code; res: [m×n] row stride ldr or 0 (added after act);
 * c: [m×n] row stride ldc (may alias res). Needs k ≤ 32768 (int32 sums cannot overflow).
 */
export function gemm_q8(
  a: usize, m: i32, k: i32, fmt: i32, rows: usize,
  w: usize, n: i32, wscale: usize, wsum: usize,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  const kp = padK(k);
  const groups = kp >> 2;
  const mb = (m + 3) >> 2;
  const zps = rows + (<usize>(mb << 2) << 2);
  const blockBytes = <usize>kp * 4 * actBytes(fmt);
  const panelBytes = <usize>kp * Q8_NR;
  const panels = (n + Q8_NR - 1) / Q8_NR;
  // blocks of A per pass: ~256 KiB of activations stay in L2 while every panel streams past
  const chunk = max(1, <i32>(<usize>262144 / blockBytes));
  for (let b0 = 0; b0 < mb; b0 += chunk) {
    const b1 = min(mb, b0 + chunk);
    for (let p = 0; p < panels; p++) {
      const pw = w + <usize>p * panelBytes;
      const n0 = p * Q8_NR;
      for (let b = b0; b < b1; b++) {
        const pa = a + <usize>b * blockBytes;
        const mr = min(4, m - (b << 2));
        if (fmt == QA_U7) {
          if (ASC_FEATURE_RELAXED_SIMD) {
            if (mr == 4) relaxed4(pa, groups, pw);
            else if (mr == 3) relaxed3(pa, groups, pw);
            else if (mr == 2) relaxed2(pa, groups, pw);
            else relaxed1(pa, groups, pw);
          } else {
            half_u8(pa, groups, pw, tile);
            half_u8(pa, groups, pw + 16, tile + 16);
            half_u8(pa, groups, pw + 32, tile + 32);
          }
        } else if (mr > 2) {
          half_i16(pa, groups, pw, tile, 4);
          half_i16(pa, groups, pw + 16, tile + 16, 4);
          half_i16(pa, groups, pw + 32, tile + 32, 4);
        } else if (mr == 2) i16x2(pa, groups, pw);
        else i16x1(pa, groups, pw);
        finishTile(b << 2, mr, n0, min(Q8_NR, n - n0), rows, zps, wscale, wsum,
          bias, act, res, ldr, c, ldc);
      }
    }
  }
}
