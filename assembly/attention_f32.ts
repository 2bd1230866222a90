// Fused multi-head attention for one sequence: for every head, scores = q·kᵀ·scale + mask,
// softmax over keys, then ·V. Q, K, V and O are row-major with their own row strides; head h
// occupies columns [h·hd, (h+1)·hd). The mask is HF's additive form: an optional per-key bias
// (padding: 0 or the f32 minimum) plus the f32 minimum where causal hides key j from query i
// (j > i + shift). Both are added exactly as HF adds them, so fully masked rows behave the same.
//
// Both products run as small GEMMs on 4 queries at a time (8 accumulators): per head, K is packed
// into panels of 8 keys × hd (like gemm_f32's weights), scores of a query group are a 4×8 tile
// per panel, and P·V broadcasts probabilities against 8 columns of V rows. Causal rows stop at
// their last visible key: a hidden key's score is ~f32 min, so its exp is exactly 0 — unless
// every visible key of the row is padding, where HF's softmax spreads over the hidden keys too;
// such rows (known from the key bias alone) take every key, as before.

import { fma4 } from "./simd";
import { softmaxRow } from "./softmax";

const F32_MIN: f32 = -3.4028234663852886e38;
// A key bias below this is a mask (HF uses the f32 minimum; scores stay finite otherwise).
const MASKED: f32 = -1e38;
const QG: i32 = 4; // queries per group

const tile = memory.data(QG * 8 * 4, 16);

/** Scratch bytes attention_f32 needs: packed keys (sk rounded up to 8, × hd) + QG score rows. */
export function attention_f32_scratch_bytes(sk: i32, hd: i32): usize {
  return <usize>((sk + 7) & ~7) * <usize>(hd + QG) << 2;
}

// 4 rows of A (row stride lda bytes; steps consecutive floats each) × 8 columns of B (8 floats
// per step, step stride bs bytes) → tile. Rows past the group's end repeat a valid row.
// @ts-ignore: decorator
@inline function tile4x8(a0: usize, a1: usize, a2: usize, a3: usize, b: usize, bs: usize, steps: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const aEnd = a0 + (<usize>steps << 2);
  while (a0 < aEnd) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a0);
    c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4; b += bs;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

/**
 * q: [sq × ldq], k: [sk × ldk], v: [sk × ldv], o: [sq × ldo] (floats), heads·hd columns used.
 * causal != 0 masks key j for query i when j > i + shift. keybias: [sk] additive, or 0.
 * scratch: attention_f32_scratch_bytes(sk, hd).
 */
export function attention_f32(
  q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32, o: usize, ldo: i32,
  sq: i32, sk: i32, heads: i32, hd: i32, scale: f32,
  causal: i32, shift: i32, keybias: usize, scratch: usize,
): void {
  const sk8 = (sk + 7) & ~7;
  const kp = scratch; // [sk8/8 panels][hd][8]
  const sc = scratch + (<usize>sk8 * <usize>hd << 2); // QG rows of sk8 scores / probabilities
  // the first key that is not padding: a causal row seeing none of them needs every key
  let open = 0;
  if (keybias) while (open < sk && load<f32>(keybias + (<usize>open << 2)) < MASKED) open++;
  const hd8 = hd & ~7;
  for (let h = 0; h < heads; h++) {
    const hoff = <usize>(h * hd) << 2;
    packKeys(k + hoff, ldk, sk, sk8, hd, kp);
    for (let i0 = 0; i0 < sq; i0 += QG) {
      const rows = min(QG, sq - i0);
      // keys each row takes, and the most any row of the group takes
      let span = 0;
      for (let r = 0; r < rows; r++) span = max(span, rowKeys(i0 + r, sk, causal, shift, open));
      // scores: 4×8 tiles over the packed keys
      const qa = q + (<usize>i0 * <usize>ldq << 2) + hoff;
      const qs = <usize>ldq << 2;
      const q1 = rows > 1 ? qa + qs : qa, q2 = rows > 2 ? qa + 2 * qs : qa;
      const q3 = rows > 3 ? qa + 3 * qs : qa;
      for (let j0 = 0; j0 < span; j0 += 8) {
        tile4x8(qa, q1, q2, q3, kp + (<usize>(j0 >> 3) * <usize>hd << 5), 32, hd);
        const nj = min(8, span - j0);
        for (let r = 0; r < rows; r++) {
          const i = i0 + r;
          const t = tile + (<usize>(r * 8) << 2);
          const dst = sc + (<usize>(r * sk8 + j0) << 2);
          if (nj == 8 && (!causal || j0 + 7 <= i + shift)) {
            // a whole panel with no causal mask: scale and key bias on 8 lanes
            let lo = f32x4.mul(v128.load(t), f32x4.splat(scale));
            let hi = f32x4.mul(v128.load(t, 16), f32x4.splat(scale));
            if (keybias) {
              lo = f32x4.add(lo, v128.load(keybias + (<usize>j0 << 2)));
              hi = f32x4.add(hi, v128.load(keybias + (<usize>j0 << 2), 16));
            }
            v128.store(dst, lo);
            v128.store(dst, hi, 16);
            continue;
          }
          for (let jj = 0; jj < nj; jj++) {
            const j = j0 + jj;
            let bias: f32 = keybias ? load<f32>(keybias + (<usize>j << 2)) : 0;
            if (causal && j > i + shift) bias += F32_MIN;
            store<f32>(dst + (<usize>jj << 2), load<f32>(t + (<usize>jj << 2)) * scale + bias);
          }
        }
      }
      // probabilities over each row's own keys; zeros up to the group's span
      for (let r = 0; r < rows; r++) {
        const row = sc + (<usize>(r * sk8) << 2);
        const n = rowKeys(i0 + r, sk, causal, shift, open);
        softmaxRow(row, row, n);
        for (let j = n; j < span; j++) store<f32>(row + (<usize>j << 2), 0);
      }
      // o = P·V: 4×8 tiles over the head's columns, V rows as the 8-float steps
      const pa = sc, ps = <usize>sk8 << 2;
      const p1 = rows > 1 ? pa + ps : pa, p2 = rows > 2 ? pa + 2 * ps : pa;
      const p3 = rows > 3 ? pa + 3 * ps : pa;
      for (let d0 = 0; d0 < hd8; d0 += 8) {
        tile4x8(pa, p1, p2, p3, v + hoff + (<usize>d0 << 2), <usize>ldv << 2, span);
        for (let r = 0; r < rows; r++) {
          const op = o + (<usize>(i0 + r) * <usize>ldo << 2) + hoff + (<usize>d0 << 2);
          v128.store(op, v128.load(tile + (<usize>(r * 8) << 2)));
          v128.store(op, v128.load(tile + (<usize>(r * 8) << 2), 16), 16);
        }
      }
      // head dims past a multiple of 8 (not in CLIP): one dot per output
      for (let d = hd8; d < hd; d++) {
        for (let r = 0; r < rows; r++) {
          const row = sc + (<usize>(r * sk8) << 2);
          let s: f32 = 0;
          for (let j = 0; j < span; j++) {
            s += load<f32>(row + (<usize>j << 2)) * load<f32>(v + ((<usize>j * <usize>ldv + <usize>(h * hd + d)) << 2));
          }
          store<f32>(o + (<usize>(i0 + r) * <usize>ldo << 2) + hoff + (<usize>d << 2), s);
        }
      }
    }
  }
}

// Packs one head's keys: panel p, step d holds k[8p..8p+7][d] (zeros past sk). Blocks of 4 keys ×
// 4 dims are transposed in registers; the edges go one float at a time.
function packKeys(k: usize, ldk: i32, sk: i32, sk8: i32, hd: i32, kp: usize): void {
  const ks = <usize>ldk << 2;
  const hd4 = hd & ~3;
  let j = 0;
  for (; j + 4 <= sk; j += 4) {
    const src = k + <usize>j * ks;
    const dst = kp + (<usize>(j >> 3) * <usize>hd << 5) + (<usize>(j & 7) << 2);
    for (let d = 0; d < hd4; d += 4) {
      const s = src + (<usize>d << 2);
      const r0 = v128.load(s), r1 = v128.load(s + ks), r2 = v128.load(s + 2 * ks);
      const r3 = v128.load(s + 3 * ks);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const o = dst + (<usize>d << 5);
      v128.store(o, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      v128.store(o, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
      v128.store(o, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
      v128.store(o, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
    }
    for (let jj = j; jj < j + 4; jj++) {
      const o = kp + (<usize>(jj >> 3) * <usize>hd << 5) + (<usize>(jj & 7) << 2);
      for (let d = hd4; d < hd; d++) store<f32>(o + (<usize>d << 5), load<f32>(k + <usize>jj * ks + (<usize>d << 2)));
    }
  }
  for (; j < sk8; j++) {
    const o = kp + (<usize>(j >> 3) * <usize>hd << 5) + (<usize>(j & 7) << 2);
    for (let d = 0; d < hd; d++) store<f32>(o + (<usize>d << 5), j < sk ? load<f32>(k + <usize>j * ks + (<usize>d << 2)) : 0);
  }
}

// Keys query i takes: all, or (causal) up to its last visible key — unless every visible key is
// padding (`open` = first non-padding key), where HF's softmax covers the hidden keys as well.
// @ts-ignore: decorator
@inline function rowKeys(i: i32, sk: i32, causal: i32, shift: i32, open: i32): i32 {
  if (!causal) return sk;
  const visible = min(sk, i + shift + 1);
  return open < visible ? visible : sk;
}
