// Fused multi-head attention for one sequence: for every head, scores = q·kᵀ·scale + mask,
// softmax over keys, then ·V. Q, K, V and O are row-major with their own row strides; head h
// occupies columns [h·hd, (h+1)·hd). The mask is HF's additive form: an optional per-key bias
// (padding: 0 or the f32 minimum) plus the f32 minimum where causal hides key j from query i
// (j > i + shift). Both are added exactly as HF adds them, so fully masked rows behave the same.

import { fma4, hsum4 } from "./simd";
import { softmaxRow } from "./softmax";

const F32_MIN: f32 = -3.4028234663852886e38;

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= n; d += 4) acc = fma4(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2)), acc);
  let s = hsum4(acc);
  for (; d < n; d++) s += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
  return s;
}

/**
 * q: [sq × ldq], k: [sk × ldk], v: [sk × ldv], o: [sq × ldo] (floats), heads·hd columns used.
 * causal != 0 masks key j for query i when j > i + shift. keybias: [sk] additive, or 0.
 * scratch: sk floats.
 */
export function attention_f32(
  q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32, o: usize, ldo: i32,
  sq: i32, sk: i32, heads: i32, hd: i32, scale: f32,
  causal: i32, shift: i32, keybias: usize, scratch: usize,
): void {
  for (let h = 0; h < heads; h++) {
    const hoff = <usize>(h * hd) << 2;
    for (let i = 0; i < sq; i++) {
      const qi = q + (<usize>i * <usize>ldq << 2) + hoff;
      for (let j = 0; j < sk; j++) {
        let bias: f32 = keybias ? load<f32>(keybias + (<usize>j << 2)) : 0;
        if (causal && j > i + shift) bias += F32_MIN;
        const s = dot(qi, k + (<usize>j * <usize>ldk << 2) + hoff, hd) * scale + bias;
        store<f32>(scratch + (<usize>j << 2), s);
      }
      softmaxRow(scratch, scratch, sk);
      // o_i = Σ_j p_j·v_j, 16 columns of the head at a time in registers
      const oi = o + (<usize>i * <usize>ldo << 2) + hoff;
      let d = 0;
      for (; d + 16 <= hd; d += 16) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let vp = v + hoff + (<usize>d << 2);
        for (let j = 0; j < sk; j++) {
          const p = v128.load32_splat(scratch + (<usize>j << 2));
          a0 = fma4(p, v128.load(vp), a0);
          a1 = fma4(p, v128.load(vp, 16), a1);
          a2 = fma4(p, v128.load(vp, 32), a2);
          a3 = fma4(p, v128.load(vp, 48), a3);
          vp += <usize>ldv << 2;
        }
        const op = oi + (<usize>d << 2);
        v128.store(op, a0); v128.store(op, a1, 16); v128.store(op, a2, 32); v128.store(op, a3, 48);
      }
      for (; d + 4 <= hd; d += 4) {
        let a0 = f32x4.splat(0);
        let vp = v + hoff + (<usize>d << 2);
        for (let j = 0; j < sk; j++) {
          a0 = fma4(v128.load32_splat(scratch + (<usize>j << 2)), v128.load(vp), a0);
          vp += <usize>ldv << 2;
        }
        v128.store(oi + (<usize>d << 2), a0);
      }
      for (; d < hd; d++) {
        let s: f32 = 0;
        for (let j = 0; j < sk; j++) {
          s += load<f32>(scratch + (<usize>j << 2)) * load<f32>(v + ((<usize>j * <usize>ldv + <usize>(h * hd + d)) << 2));
        }
        store<f32>(oi + (<usize>d << 2), s);
      }
    }
  }
}
