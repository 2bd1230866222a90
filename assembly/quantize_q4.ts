// 4-bit weight quantization (layout in formats.ts): per channel d = amax / (8·Q4_MMAX); per group
// the multiplier m with the least squared error among the few that reach the group's largest
// value without clipping (m_top) and the 4 below it, s = clamp(round_half_even(v / (d·m)), −8, 7).
// The summed squared error of the chosen levels and the squared norm are reported (the 4-bit
// rule's measure). Weighing input channel j's error by its LayerNorm's |γ_j| + |β_j|/3 (AWQ's
// idea) was tried: the golden alt fixture's image cosine fell from 0.9854 to 0.9794.
// One f32 operation at a time (the error summed in 4 f32 lanes, k mod 4, then pairwise), so
// tests/_ref/q4.ts reproduces every integer. A channel of zeros (or NaN, ±inf, or a scale below the smallest normal f32) gets d = 0,
// m = 0 and s = 0.

import { padK, Q4_GROUP, Q4_MMAX, q4PanelBytes, Q8_NR } from "./formats";
import { absMax, load4 } from "./quantize_q8";
import { hsum4 } from "./simd";

const MIN_NORMAL: f32 = 1.1754943508222875e-38; // 2^-126
const CANDIDATES = 5; // multipliers tried per group: m_top and the 4 below it

// s = clamp(round_half_even(v·inv), −8, 7)
// @ts-ignore: decorator
@inline function level(v: f32, inv: f32): i32 {
  return <i32>min(max(nearest(v * inv), <f32>-8), <f32>7);
}

// Sum of squared errors of group values [p, p + len) with multiplier m: lane j sums the values
// at k ≡ j (mod 4) (zeros past len add 0), then (l0 + l2) + (l1 + l3). Every multiply and add
// rounds on its own (no fused multiply-add), as the reference does. m = 0: the norm Σ v² instead.
function groupError(p: usize, len: i32, d: f32, m: i32): f32 {
  const dm: f32 = d * <f32>m;
  const inv: f32 = m ? <f32>1 / dm : 0;
  const vdm = f32x4.splat(dm), vinv = f32x4.splat(inv);
  const lo = f32x4.splat(-8), hi = f32x4.splat(7);
  let e = f32x4.splat(0);
  for (let i = 0; i < len; i += 4) {
    const v = load4(p + (<usize>i << 2), len - i);
    const q = f32x4.min(f32x4.max(f32x4.nearest(f32x4.mul(v, vinv)), lo), hi);
    const r = f32x4.sub(v, f32x4.mul(q, vdm));
    e = f32x4.add(e, f32x4.mul(r, r));
  }
  return hsum4(e);
}

// The error of the multiplier groupMultiplier last chose.
let chosenError: f32 = 0;

// The group's multiplier (see the file comment).
function groupMultiplier(p: usize, len: i32, d: f32): i32 {
  const gmax = absMax(p, len);
  const top = <i32>min(max(ceil(gmax / (d * <f32>7)), <f32>1), <f32>Q4_MMAX);
  let best = top, bestErr: f32 = Infinity;
  for (let m = max(1, top - CANDIDATES + 1); m <= top; m++) {
    const e = groupError(p, len, d, m);
    if (e < bestErr) {
      bestErr = e;
      best = m;
    }
  }
  chosenError = bestErr;
  return best;
}

/**
 * Quantizes W [n × k] (row stride ldw floats) into the 4-bit layout: dst gets q4_packed_bytes(n, k)
 * bytes; scales (d) and sums (Σ m·s) get ceil(n/12)·12 entries (zero past n). err (or 0): two
 * f64, the chosen groups' squared errors and the squared norm of W, each summed group by group.
 */
export function quantize_pack_q4(
  w: usize, ldw: i32, n: i32, k: i32, dst: usize, scales: usize, sums: usize, err: usize,
): void {
  let errSum: f64 = 0, normSum: f64 = 0;
  const kp = padK(k);
  const npad = ((n + Q8_NR - 1) / Q8_NR) * Q8_NR;
  const panelBytes = <usize>q4PanelBytes(k);
  memory.fill(dst, 0, panelBytes * <usize>(npad / Q8_NR));
  for (let c = 0; c < npad; c++) {
    const l = c % Q8_NR;
    const at = dst + <usize>(c / Q8_NR) * panelBytes + (<usize>(l >> 2) << 4) + (<usize>(l & 3) << 2);
    let d: f32 = 0;
    let sum = 0;
    if (c < n) {
      const row = w + (<usize>c * <usize>ldw << 2);
      d = absMax(row, k) / <f32>(Q4_MMAX << 3);
      if (!(d >= MIN_NORMAL && d < Infinity)) d = 0;
    }
    if (d > 0) {
      const row = w + (<usize>c * <usize>ldw << 2);
      for (let g0 = 0, gi = 0; g0 < kp; g0 += Q4_GROUP, gi++) {
        // kp rounds k up to a multiple of 8, so every group starts below k (len ≥ 1)
        const len = min(Q4_GROUP, k - g0);
        const m = groupMultiplier(row + (<usize>g0 << 2), len, d);
        if (err) {
          errSum += <f64>chosenError;
          normSum += <f64>groupError(row + (<usize>g0 << 2), len, 0, 0);
        }
        const mp = at + <usize>48 * <usize>(gi + (g0 >> 3));
        store<i16>(mp, <i16>m);
        store<i16>(mp, <i16>m, 2);
        const inv: f32 = <f32>1 / (d * <f32>m);
        for (let kk = g0; kk < g0 + len; kk++) {
          const s = level(load<f32>(row + (<usize>kk << 2)), inv);
          sum += m * s;
          const b = at + <usize>48 * <usize>(gi + 1 + (kk >> 3)) + <usize>(kk & 3);
          const nib = <u8>(s & 15);
          store<u8>(b, (kk & 4) ? load<u8>(b) | (nib << 4) : load<u8>(b) | nib);
        }
      }
    }
    store<f32>(scales + (<usize>c << 2), d);
    store<i32>(sums + (<usize>c << 2), sum);
  }
  if (err) {
    store<f64>(err, errSum);
    store<f64>(err, normSum, 8);
  }
}

/** Dequantizes a packed 4-bit weight into dst [n × k] f32 (row stride ldd): (m·s)·d. */
export function unpack_q4(src: usize, n: i32, k: i32, scales: usize, dst: usize, ldd: i32): void {
  const panelBytes = <usize>q4PanelBytes(k);
  for (let c = 0; c < n; c++) {
    const l = c % Q8_NR;
    const at = src + <usize>(c / Q8_NR) * panelBytes + (<usize>(l >> 2) << 4) + (<usize>(l & 3) << 2);
    const d = load<f32>(scales + (<usize>c << 2));
    const out = dst + (<usize>c * <usize>ldd << 2);
    for (let kk = 0; kk < k; kk++) {
      const gi = kk / Q4_GROUP;
      const m = <i32>load<i16>(at + <usize>48 * <usize>(gi + ((gi * Q4_GROUP) >> 3)));
      const b = <i32>load<u8>(at + <usize>48 * <usize>(gi + 1 + (kk >> 3)) + <usize>(kk & 3));
      const s = (((kk & 4) ? b >> 4 : b & 15) << 28) >> 28; // sign-extend the nibble
      store<f32>(out + (<usize>kk << 2), <f32>(m * s) * d);
    }
  }
}
