// int8 quantization kernels (layouts in formats.ts). Rounding is IEEE round-half-even of one f32
// product (x · inv, inv = levels / range), so the TypeScript reference (src/quant/q8.ts)
// reproduces every integer. An all-zero row gets scale 0 and zeros, never NaN.

import { actBytes, actMax, padK, Q8_NR, Q8_WMAX, QA_U7 } from "./formats";

// 4 floats from p, or the first n < 4 of them with zeros after (row tails).
// @ts-ignore: decorator
@inline function load4(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// clamp(round_half_even(x · inv) + z, lo, hi) as i32 lanes.
// @ts-ignore: decorator
@inline function quant4(x: v128, inv: f32, z: i32, lo: i32, hi: i32): v128 {
  const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(x, f32x4.splat(inv))));
  return i32x4.min_s(i32x4.max_s(i32x4.add(q, i32x4.splat(z)), i32x4.splat(lo)), i32x4.splat(hi));
}

// f32 → i32 saturating (NaN → 0), never a trap.
// @ts-ignore: decorator
@inline function satI32(x: f32): i32 {
  return i32x4.extract_lane(i32x4.trunc_sat_f32x4_s(f32x4.splat(x)), 0);
}

const spill = memory.data(16, 16);

// Lane j (0..3) of an i32x4 (a run-time index).
function lane(v: v128, j: i32): i32 {
  v128.store(spill, v);
  return load<i32>(spill + (<usize>j << 2));
}

// @ts-ignore: decorator
@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) +
    i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// Four i32 lanes (in i8 range) → their low bytes, stored as 4 bytes at p.
// @ts-ignore: decorator
@inline function store4i8(p: usize, q: v128): void {
  const h = i16x8.narrow_i32x4_s(q, q);
  v128.store32_lane(p, i8x16.narrow_i16x8_s(h, h), 0);
}

// max |x| over n floats (NaN propagates, so a NaN row quantizes to zeros).
function absMax(p: usize, n: i32): f32 {
  let m = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.max(m, f32x4.abs(v128.load(p + (<usize>i << 2))));
  let s = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
    max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) s = max(s, abs(load<f32>(p + (<usize>i << 2))));
  return s;
}

/**
 * Quantizes W [n × k] (row stride ldw floats) per output channel and packs it (formats.ts):
 * dst gets q8_packed_bytes(n, k) bytes; scales/sums get ceil(n/12)·12 entries (f32 scale, i32
 * Σq per channel; zero past n).
 */
export function quantize_pack_q8(
  w: usize, ldw: i32, n: i32, k: i32, dst: usize, scales: usize, sums: usize,
): void {
  const kp = padK(k);
  const groups = kp >> 2;
  const npad = ((n + Q8_NR - 1) / Q8_NR) * Q8_NR;
  const panelBytes = <usize>kp * Q8_NR;
  const groupBytes = <usize>Q8_NR * 4;
  for (let c = 0; c < npad; c++) {
    const col = dst + <usize>(c / Q8_NR) * panelBytes + (<usize>(c % Q8_NR) << 2);
    let s: f32 = 0, inv: f32 = 0;
    let sum = i32x4.splat(0);
    let g = 0;
    if (c < n) {
      const row = w + (<usize>c * <usize>ldw << 2);
      const amax = absMax(row, k);
      if (amax > 0) {
        s = amax / <f32>Q8_WMAX;
        inv = <f32>Q8_WMAX / amax;
      }
      for (let kk = 0; kk < k; kk += 4) {
        const q = quant4(load4(row + (<usize>kk << 2), k - kk), inv, 0, -Q8_WMAX, Q8_WMAX);
        sum = i32x4.add(sum, q);
        store4i8(col + <usize>g * groupBytes, q);
        g++;
      }
    }
    for (; g < groups; g++) store<u32>(col + <usize>g * groupBytes, 0);
    store<f32>(scales + (<usize>c << 2), s);
    store<i32>(sums + (<usize>c << 2), hsumI32(sum));
  }
}

/** Dequantizes a packed weight into dst [n × k] f32 (row stride ldd): q · scale. */
export function unpack_q8(src: usize, n: i32, k: i32, scales: usize, dst: usize, ldd: i32): void {
  const panelBytes = <usize>padK(k) * Q8_NR;
  for (let c = 0; c < n; c++) {
    const col = src + <usize>(c / Q8_NR) * panelBytes + (<usize>(c % Q8_NR) << 2);
    const s = load<f32>(scales + (<usize>c << 2));
    const out = dst + (<usize>c * <usize>ldd << 2);
    for (let kk = 0; kk < k; kk++) {
      const q = load<i8>(col + <usize>(kk >> 2) * (Q8_NR * 4) + <usize>(kk & 3));
      store<f32>(out + (<usize>kk << 2), <f32>q * s);
    }
  }
}

/**
 * Quantizes m rows of x (row stride ldx floats, k used) per row into packed activation blocks
 * (formats.ts) of format fmt. rows receives ceil(m/4)·4 f32 scales followed by as many i32 zero
 * points; padding rows and columns are zero.
 */
export function quantize_act_q8(
  x: usize, ldx: i32, m: i32, k: i32, fmt: i32, dst: usize, rows: usize,
): void {
  const kp = padK(k);
  const groups = kp >> 2;
  const L = actMax(fmt);
  const esz = actBytes(fmt);
  const mpad = (m + 3) & ~3;
  const blockBytes = <usize>kp * 4 * esz;
  const groupBytes = <usize>16 * esz;
  const zps = rows + (<usize>mpad << 2);
  for (let r = 0; r < mpad; r++) {
    const base = dst + <usize>(r >> 2) * blockBytes + <usize>((r & 3) * 4 * esz);
    let s: f32 = 0, inv: f32 = 0, z = 0;
    let g = 0;
    if (r < m) {
      const row = x + (<usize>r * <usize>ldx << 2);
      let lo4 = f32x4.splat(0), hi4 = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= k; i += 4) {
        const v = v128.load(row + (<usize>i << 2));
        lo4 = f32x4.min(lo4, v);
        hi4 = f32x4.max(hi4, v);
      }
      let lo = min(min(f32x4.extract_lane(lo4, 0), f32x4.extract_lane(lo4, 1)),
        min(f32x4.extract_lane(lo4, 2), f32x4.extract_lane(lo4, 3)));
      let hi = max(max(f32x4.extract_lane(hi4, 0), f32x4.extract_lane(hi4, 1)),
        max(f32x4.extract_lane(hi4, 2), f32x4.extract_lane(hi4, 3)));
      for (; i < k; i++) {
        const v = load<f32>(row + (<usize>i << 2));
        lo = min(lo, v);
        hi = max(hi, v);
      }
      const d: f32 = hi - lo;
      if (d > 0) {
        s = d / <f32>L;
        inv = <f32>L / d;
        z = min(max(satI32(nearest(-lo * inv)), 0), L);
      }
      for (let kk = 0; kk < k; kk += 4) {
        let q = quant4(load4(row + (<usize>kk << 2), k - kk), inv, z, 0, L);
        if (k - kk < 4) q = v128.and(q, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k - kk))); // pad = 0
        const h = i16x8.narrow_i32x4_s(q, q);
        const p = base + <usize>g * groupBytes;
        if (fmt == QA_U7) v128.store32_lane(p, i8x16.narrow_i16x8_u(h, h), 0);
        else v128.store64_lane(p, h, 0);
        g++;
      }
    }
    for (; g < groups; g++) {
      const p = base + <usize>g * groupBytes;
      if (fmt == QA_U7) store<u32>(p, 0);
      else store<u64>(p, 0);
    }
    store<f32>(rows + (<usize>r << 2), s);
    store<i32>(zps + (<usize>r << 2), z);
  }
}

/**
 * Symmetric int8 per row, unpacked: dst [rows × cols] (dense), scales [rows] (token tables).
 */
export function quantize_rows_q8(
  x: usize, ldx: i32, rows: i32, cols: i32, dst: usize, scales: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>r * <usize>ldx << 2);
    const out = dst + <usize>r * <usize>cols;
    const amax = absMax(row, cols);
    let s: f32 = 0, inv: f32 = 0;
    if (amax > 0) {
      s = amax / <f32>Q8_WMAX;
      inv = <f32>Q8_WMAX / amax;
    }
    for (let c = 0; c < cols; c += 4) {
      const q = quant4(load4(row + (<usize>c << 2), cols - c), inv, 0, -Q8_WMAX, Q8_WMAX);
      if (c + 4 <= cols) store4i8(out + <usize>c, q);
      else for (let j = 0; j < cols - c; j++) store<i8>(out + <usize>(c + j), <i8>lane(q, j));
    }
    store<f32>(scales + (<usize>r << 2), s);
  }
}

/**
 * out[i] = table[ids[i]] · scales[ids[i]] for n i32 ids (checked by the caller), rows of cols
 * int8; out row stride ldo floats.
 */
export function gather_q8(
  table: usize, scales: usize, cols: i32, ids: usize, n: i32, out: usize, ldo: i32,
): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const src = table + <usize>id * <usize>cols;
    const s = load<f32>(scales + (<usize>id << 2));
    const sv = f32x4.splat(s);
    const dst = out + (<usize>i * <usize>ldo << 2);
    let c = 0;
    for (; c + 8 <= cols; c += 8) {
      const h = v128.load8x8_s(src + <usize>c);
      v128.store(dst + (<usize>c << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(h)), sv));
      v128.store(dst + (<usize>c << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(h)), sv), 16);
    }
    for (; c < cols; c++) store<f32>(dst + (<usize>c << 2), <f32>load<i8>(src + <usize>c) * s);
  }
}
