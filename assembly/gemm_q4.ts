// 4-bit GEMM (layout in formats.ts): gemm_q8's contract and epilogue on weights w = d·m·s, with
// nibbles unpacked in registers into the int8 dot routes of gemm_q8:
//   QA_U7, relaxed build: a nibble masked in place (high) or shifted up (low) is the int8 16·s,
//     fed to i16x8.relaxed_dot_i8x16_i7x16_s as int8 weights are; the pair sum dot_i16x8_s takes
//     the group's multipliers where gemm_q8 takes ones, so m costs nothing. Every sum is 16× the
//     exact one (|16·s·q| pairs ≤ 2·128·127 fit i16; 16·120·127·k fits int32 for k ≤ Q4 maxK)
//     and is shifted back at the end.
//   Otherwise (i16 activations, or u8 ones widened): each half of a quarter is widened to i16,
//     shifted down to s and multiplied by m (i16 lanes), then dot_i16x8_s as in gemm_q8.
// Both routes give the int32 Σ q·(m·s) exactly, which gemm_q8's finishTile turns into outputs
// with the channel scale d and the channel sum Σ m·s.

import { finishTile, pairSum, tile } from "./gemm_q8";
import { actBytes, padK, Q4_GROUP, q4PanelBytes, Q8_NR, QA_U7 } from "./formats";

// 0xF0 in every byte, read from memory (see ONES in gemm_q8.ts: a v128 constant is rebuilt at
// every use)
const HIGH = memory.data<u8>([
  0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0, 0xf0,
], 16);

// 16·s of the low nibbles (k0..k0+3) of 16 packed bytes, as int8 lanes.
// @ts-ignore: decorator
@inline function lowNibbles(v: v128, high: v128): v128 {
  return v128.and(i16x8.shl(v, 4), high);
}

// c + Σ of 4 products per lane (dot7 of gemm_q8 with the multipliers as the pair-sum operand).
// @ts-ignore: decorator
@inline function dotM(w: v128, x: v128, c: v128, m: v128): v128 {
  return i32x4.add(c, i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x), m));
}

// Rows 0..rows−1 (a constant after inlining) × 12 columns, u8 activations in [0, 127], relaxed dot:
// gemm_q8's panel_relaxed over nibbles.
// @ts-ignore: decorator
@inline function panelRelaxed(pa: usize, kp: i32, pw: usize, rows: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  const high = v128.load(HIGH);
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c02 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0), c12 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c22 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0), c32 = i32x4.splat(0);
  for (let g0 = 0; g0 < kp; g0 += Q4_GROUP) {
    const m0 = v128.load(pw), m1 = v128.load(pw, 16), m2 = v128.load(pw, 32);
    pw += 48;
    const steps = min(Q4_GROUP, kp - g0) >> 3;
    for (let s = 0; s < steps; s++) {
      const v0 = v128.load(pw), v1 = v128.load(pw, 16), v2 = v128.load(pw, 32);
      // low nibbles: k0..k0+3
      let w0: v128, w1: v128, w2: v128, x: v128;
      w0 = lowNibbles(v0, high); w1 = lowNibbles(v1, high); w2 = lowNibbles(v2, high);
      x = v128.load32_splat(pa);
      c00 = dotM(w0, x, c00, m0); c01 = dotM(w1, x, c01, m1); c02 = dotM(w2, x, c02, m2);
      if (rows > 1) {
        x = v128.load32_splat(pa, 4);
        c10 = dotM(w0, x, c10, m0); c11 = dotM(w1, x, c11, m1); c12 = dotM(w2, x, c12, m2);
      }
      if (rows > 2) {
        x = v128.load32_splat(pa, 8);
        c20 = dotM(w0, x, c20, m0); c21 = dotM(w1, x, c21, m1); c22 = dotM(w2, x, c22, m2);
      }
      if (rows > 3) {
        x = v128.load32_splat(pa, 12);
        c30 = dotM(w0, x, c30, m0); c31 = dotM(w1, x, c31, m1); c32 = dotM(w2, x, c32, m2);
      }
      pa += 16;
      // high nibbles: k0+4..k0+7
      w0 = v128.and(v0, high); w1 = v128.and(v1, high); w2 = v128.and(v2, high);
      x = v128.load32_splat(pa);
      c00 = dotM(w0, x, c00, m0); c01 = dotM(w1, x, c01, m1); c02 = dotM(w2, x, c02, m2);
      if (rows > 1) {
        x = v128.load32_splat(pa, 4);
        c10 = dotM(w0, x, c10, m0); c11 = dotM(w1, x, c11, m1); c12 = dotM(w2, x, c12, m2);
      }
      if (rows > 2) {
        x = v128.load32_splat(pa, 8);
        c20 = dotM(w0, x, c20, m0); c21 = dotM(w1, x, c21, m1); c22 = dotM(w2, x, c22, m2);
      }
      if (rows > 3) {
        x = v128.load32_splat(pa, 12);
        c30 = dotM(w0, x, c30, m0); c31 = dotM(w1, x, c31, m1); c32 = dotM(w2, x, c32, m2);
      }
      pa += 16;
      pw += 48;
    }
  }
  // the sums are exact multiples of 16
  v128.store(tile, i32x4.shr_s(c00, 4));
  v128.store(tile, i32x4.shr_s(c01, 4), 16);
  v128.store(tile, i32x4.shr_s(c02, 4), 32);
  if (rows > 1) {
    v128.store(tile, i32x4.shr_s(c10, 4), 48);
    v128.store(tile, i32x4.shr_s(c11, 4), 64);
    v128.store(tile, i32x4.shr_s(c12, 4), 80);
  }
  if (rows > 2) {
    v128.store(tile, i32x4.shr_s(c20, 4), 96);
    v128.store(tile, i32x4.shr_s(c21, 4), 112);
    v128.store(tile, i32x4.shr_s(c22, 4), 128);
  }
  if (rows > 3) {
    v128.store(tile, i32x4.shr_s(c30, 4), 144);
    v128.store(tile, i32x4.shr_s(c31, 4), 160);
    v128.store(tile, i32x4.shr_s(c32, 4), 176);
  }
}

function relaxed4(pa: usize, kp: i32, pw: usize): void { panelRelaxed(pa, kp, pw, 4); }
function relaxed3(pa: usize, kp: i32, pw: usize): void { panelRelaxed(pa, kp, pw, 3); }
function relaxed2(pa: usize, kp: i32, pw: usize): void { panelRelaxed(pa, kp, pw, 2); }
function relaxed1(pa: usize, kp: i32, pw: usize): void { panelRelaxed(pa, kp, pw, 1); }

// i16 lanes of m·s for two columns × 4 k: the int8 16·s lanes `half` (0: bytes 0..7, 1: 8..15)
// widened, shifted down to s, times the multipliers `m` (each column's m four times).
// @ts-ignore: decorator
@inline function widen(w16: v128, half: i32, m: v128): v128 {
  const h = half ? i16x8.extend_high_i8x16_s(w16) : i16x8.extend_low_i8x16_s(w16);
  return i16x8.mul(i16x8.shr_s(h, 4), m);
}

// The 4 k of one row as i16 lanes, twice: stored i16 (esz 2) or u8 widened (esz 1).
// @ts-ignore: decorator
@inline function loadX(p: usize, esz: i32): v128 {
  return esz == 2 ? v128.load64_splat(p) : i16x8.extend_low_i8x16_u(v128.load32_splat(p));
}

// Rows 0..3 × 4 columns (quarter q of the panel: byte 16q of every 48-byte block), with
// activations of `esz` bytes (2: i16 as stored; 1: u8 widened). Sums go to out (row stride 48).
// @ts-ignore: decorator
@inline function quarter(pa: usize, kp: i32, pw: usize, out: usize, esz: i32): void {
  const high = v128.load(HIGH);
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  const rs: usize = <usize>esz << 2; // bytes of one row's 4 k
  for (let g0 = 0; g0 < kp; g0 += Q4_GROUP) {
    const mv = v128.load(pw);
    const ma = i8x16.shuffle(mv, mv, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7);
    const mb = i8x16.shuffle(mv, mv, 8, 9, 10, 11, 8, 9, 10, 11, 12, 13, 14, 15, 12, 13, 14, 15);
    pw += 48;
    const steps = min(Q4_GROUP, kp - g0) >> 3;
    for (let s = 0; s < steps; s++) {
      const v = v128.load(pw);
      let w16: v128, w0: v128, w1: v128, x: v128;
      w16 = lowNibbles(v, high);
      w0 = widen(w16, 0, ma); w1 = widen(w16, 1, mb);
      x = loadX(pa, esz);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 1 * rs, esz);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 2 * rs, esz);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 3 * rs, esz);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
      pa += rs << 2;
      w16 = v128.and(v, high);
      w0 = widen(w16, 0, ma); w1 = widen(w16, 1, mb);
      x = loadX(pa, esz);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 1 * rs, esz);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 2 * rs, esz);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
      x = loadX(pa + 3 * rs, esz);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
      pa += rs << 2;
      pw += 48;
    }
  }
  v128.store(out, pairSum(c00, c01));
  v128.store(out, pairSum(c10, c11), 48);
  v128.store(out, pairSum(c20, c21), 96);
  v128.store(out, pairSum(c30, c31), 144);
}

// The three quarters of a panel on u8 activations (the SIMD128 build's QA_U7; rows past m are
// zeros and contribute zeros).
function panelU8(pa: usize, kp: i32, pw: usize): void {
  quarter(pa, kp, pw, tile, 1);
  quarter(pa, kp, pw + 16, tile + 16, 1);
  quarter(pa, kp, pw + 32, tile + 32, 1);
}

/**
 * C = act(A·Wᵀ + bias) + R with 4-bit weights: gemm_q8's arguments, w from quantize_pack_q4
 * (wscale: channel scales d, wsum: Σ m·s per channel, padded to ceil(n/12)·12).
 */
export function gemm_q4(
  a: usize, m: i32, k: i32, fmt: i32, rows: usize,
  w: usize, n: i32, wscale: usize, wsum: usize,
  bias: usize, act: i32, res: usize, ldr: i32, c: usize, ldc: i32,
): void {
  const kp = padK(k);
  const mb = (m + 3) >> 2;
  const zps = rows + (<usize>(mb << 2) << 2);
  const blockBytes = <usize>kp * 4 * actBytes(fmt);
  const panelBytes = <usize>q4PanelBytes(k);
  const panels = (n + Q8_NR - 1) / Q8_NR;
  const chunk = max(1, <i32>(<usize>262144 / blockBytes));
  for (let b0 = 0; b0 < mb; b0 += chunk) {
    const b1 = min(mb, b0 + chunk);
    for (let p = 0; p < panels; p++) {
      const pw = w + <usize>p * panelBytes;
      const n0 = p * Q8_NR;
      for (let b = b0; b < b1; b++) {
        const pa = a + <usize>b * blockBytes;
        const mr = min(4, m - (b << 2));
        if (fmt == QA_U7 && ASC_FEATURE_RELAXED_SIMD) {
          if (mr == 4) relaxed4(pa, kp, pw);
          else if (mr == 3) relaxed3(pa, kp, pw);
          else if (mr == 2) relaxed2(pa, kp, pw);
          else relaxed1(pa, kp, pw);
        } else if (fmt == QA_U7) panelU8(pa, kp, pw);
        else {
          // inlined here (as gemm_q8 does): the i16 route of the SIMD128 build's image int4
          quarter(pa, kp, pw, tile, 2);
          quarter(pa, kp, pw + 16, tile + 16, 2);
          quarter(pa, kp, pw + 32, tile + 32, 2);
        }
        finishTile(b << 2, mr, n0, min(Q8_NR, n - n0), rows, zps, wscale, wsum,
          bias, act, res, ldr, c, ldc);
      }
    }
  }
}
