// int8 quantization kernels (layouts in formats.ts). Rounding is IEEE round-half-even of one f32
// product (x · inv, inv = levels / range), so the TypeScript reference (tests/_ref/q8.ts)
// reproduces every integer. An all-zero row gets scale 0 and zeros, never NaN.

import { actBytes, actMax, padK, Q8_NR, Q8_WMAX, QA_U7 } from "./formats";
import { K_SHIFTER, kc } from "./simd";

// 4 floats from p, or the first n < 4 of them with zeros after (row tails).
// @ts-ignore: decorator
@inline export function load4(p: usize, n: i32): v128 {
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
export function absMax(p: usize, n: i32): f32 {
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

// Activation quantization works on blocks of 4 rows, as the layout stores them: one group (4 rows
// × 4 k) is 4 row loads, 4 × (mul, nearest, trunc, + z), two narrows and whole-vector stores.

// Per-row 1/step of the current block (the scale and zero point go straight to `rows`).
const actInv = memory.data(16, 16);

// [min(x, 0), max(x, 0)] of n floats as lanes 0 and 1; both NaN when x holds a NaN (the
// reference's Math.min/max propagate it). pmin/pmax are one instruction each, where min/max need
// a NaN and ±0 fix-up sequence; they skip NaN, so NaN is tracked on the side. The sign of a zero
// bound may differ from min/max, which no result depends on (hi − lo and −lo·inv round alike).
function actRange(p: usize, n: i32): v128 {
  const zero = f32x4.splat(0);
  let lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero, nan = zero;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = v128.load(p + (<usize>i << 2));
    const b = v128.load(p + (<usize>i << 2), 16);
    lo0 = f32x4.pmin(lo0, a);
    hi0 = f32x4.pmax(hi0, a);
    lo1 = f32x4.pmin(lo1, b);
    hi1 = f32x4.pmax(hi1, b);
    nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  }
  if (i + 4 <= n) {
    const a = v128.load(p + (<usize>i << 2));
    lo0 = f32x4.pmin(lo0, a);
    hi0 = f32x4.pmax(hi0, a);
    nan = v128.or(nan, f32x4.ne(a, a));
    i += 4;
  }
  lo0 = f32x4.pmin(lo0, lo1);
  hi0 = f32x4.pmax(hi0, hi1);
  let lo = min(min(f32x4.extract_lane(lo0, 0), f32x4.extract_lane(lo0, 1)),
    min(f32x4.extract_lane(lo0, 2), f32x4.extract_lane(lo0, 3)));
  let hi = max(max(f32x4.extract_lane(hi0, 0), f32x4.extract_lane(hi0, 1)),
    max(f32x4.extract_lane(hi0, 2), f32x4.extract_lane(hi0, 3)));
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  if (v128.any_true(nan)) lo = hi = NaN;
  return f32x4(lo, hi, 0, 0);
}

// Scale, zero point and 1/step of row r (r < m) into rows / zps / actInv; returns 1/step.
function actRowParams(row: usize, k: i32, L: i32, r: i32, rows: usize, zps: usize): f32 {
  const range = actRange(row, k);
  const lo = f32x4.extract_lane(range, 0), hi = f32x4.extract_lane(range, 1);
  const d: f32 = hi - lo;
  let s: f32 = 0, inv: f32 = 0, z = 0;
  if (d > 0) {
    s = d / <f32>L;
    inv = <f32>L / d;
    z = min(max(satI32(nearest(-lo * inv)), 0), L);
  }
  store<f32>(rows + (<usize>r << 2), s);
  store<i32>(zps + (<usize>r << 2), z);
  store<f32>(actInv + (<usize>(r & 3) << 2), inv);
  return inv;
}

// round_half_even(x · inv) + z as i32 lanes, before the clamp.
// Fast route (every row of the block has a finite inv > 0, so its x are finite and
// |x · inv| ≤ L + 1 as |x| ≤ hi − lo): adding 1.5·2^23 to the f32 product rounds it half-even
// into the low mantissa bits, the same integer as nearest, and the bits of the sum minus those
// of 1.5·2^23 are that integer; z arrives with the bias already subtracted. There q + z ≥ 0:
// x ≥ lo and rounding is monotone and odd, so q ≥ round(lo·inv) = −z (z = round(−lo·inv) ≤ L
// needs no clamp), and only the upper clamp is needed. Wide route (a row
// with inv = 0: zeros, NaN or ±inf in it, or inv = ∞: a range below ~1e-35): trunc_sat, then
// [-L, L] before adding z, so the sum saturates like the reference's (INT_MAX + z would wrap).
// @ts-ignore: decorator
@inline function actQ4(p: usize, inv: v128, z: v128, lim: v128, magic: v128, wide: bool): v128 {
  const y = f32x4.mul(v128.load(p), inv);
  if (!wide) return i32x4.add(f32x4.add(y, magic), z);
  const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(y));
  return i32x4.add(i32x4.min_s(i32x4.max_s(q, i32x4.neg(lim)), lim), z);
}

// Full groups of one block: rows at x0..x3 (same as x0, with inv = 0 and z = 0, past m), nk = k
// rounded down to 4, groups written from dst on. clamp(·, 0, L) after the saturating narrow to
// i16 equals the clamp of the i32 (L < 32768); for u7 the u8 narrow clamps below and min_u above.
// @ts-ignore: decorator
@inline function actBlockBody(
  x0: usize, x1: usize, x2: usize, x3: usize, nk: i32, fmt: i32, L: i32, z: usize, dst: usize,
  wide: bool,
): void {
  const lim = i32x4.splat(L);
  const magic = kc(K_SHIFTER); // a load, not a constant V8 would rebuild in the loop
  const bias = wide ? i32x4.splat(0) : magic;
  const i0 = v128.load32_splat(actInv), i1 = v128.load32_splat(actInv, 4);
  const i2 = v128.load32_splat(actInv, 8), i3 = v128.load32_splat(actInv, 12);
  const z0 = i32x4.sub(v128.load32_splat(z), bias), z1 = i32x4.sub(v128.load32_splat(z, 4), bias);
  const z2 = i32x4.sub(v128.load32_splat(z, 8), bias);
  const z3 = i32x4.sub(v128.load32_splat(z, 12), bias);
  const nb = <usize>nk << 2;
  if (fmt == QA_U7) {
    const top = i8x16.splat(<i8>L);
    for (let o: usize = 0; o < nb; o += 16) {
      const h01 = i16x8.narrow_i32x4_s(
        actQ4(x0 + o, i0, z0, lim, magic, wide), actQ4(x1 + o, i1, z1, lim, magic, wide));
      const h23 = i16x8.narrow_i32x4_s(
        actQ4(x2 + o, i2, z2, lim, magic, wide), actQ4(x3 + o, i3, z3, lim, magic, wide));
      v128.store(dst + o, i8x16.min_u(i8x16.narrow_i16x8_u(h01, h23), top));
    }
  } else {
    const bot = i16x8.splat(0), top = i16x8.splat(<i16>L);
    for (let o: usize = 0; o < nb; o += 16) {
      const h01 = i16x8.narrow_i32x4_s(
        actQ4(x0 + o, i0, z0, lim, magic, wide), actQ4(x1 + o, i1, z1, lim, magic, wide));
      const h23 = i16x8.narrow_i32x4_s(
        actQ4(x2 + o, i2, z2, lim, magic, wide), actQ4(x3 + o, i3, z3, lim, magic, wide));
      const p = dst + (o << 1);
      if (wide) {
        v128.store(p, i16x8.min_s(i16x8.max_s(h01, bot), top));
        v128.store(p, i16x8.min_s(i16x8.max_s(h23, bot), top), 16);
      } else { // q + z ≥ 0 on this route (see actQ4)
        v128.store(p, i16x8.min_s(h01, top));
        v128.store(p, i16x8.min_s(h23, top), 16);
      }
    }
  }
}

// One function per route, not inlined: a single function holding both copies gets them merged
// by Binaryen into one loop computing both and selecting per group.
function actBlockFast(
  x0: usize, x1: usize, x2: usize, x3: usize, nk: i32, fmt: i32, L: i32, z: usize, dst: usize,
): void {
  actBlockBody(x0, x1, x2, x3, nk, fmt, L, z, dst, false);
}

function actBlockWide(
  x0: usize, x1: usize, x2: usize, x3: usize, nk: i32, fmt: i32, L: i32, z: usize, dst: usize,
): void {
  actBlockBody(x0, x1, x2, x3, nk, fmt, L, z, dst, true);
}

// The last, partial group (n = k mod 4 > 0 columns) of one row; padding lanes are 0.
function actTail(p: usize, n: i32, r: i32, fmt: i32, L: i32, zps: usize, dst: usize): void {
  const inv = load<f32>(actInv + (<usize>(r & 3) << 2));
  const lim = i32x4.splat(L);
  let q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(load4(p, n), f32x4.splat(inv))));
  q = i32x4.min_s(i32x4.max_s(q, i32x4.neg(lim)), lim); // saturating + z, as in actQ4
  q = i32x4.add(q, i32x4.splat(load<i32>(zps + (<usize>r << 2))));
  q = i32x4.min_s(i32x4.max_s(q, i32x4.splat(0)), lim);
  q = v128.and(q, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n)));
  const h = i16x8.narrow_i32x4_s(q, q);
  if (fmt == QA_U7) v128.store32_lane(dst, i8x16.narrow_i16x8_u(h, h), 0);
  else v128.store64_lane(dst, h, 0);
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
  const L = actMax(fmt);
  const esz = actBytes(fmt);
  const mpad = (m + 3) & ~3;
  const blockBytes = <usize>kp * 4 * esz;
  const groupBytes = <usize>16 * esz;
  const zps = rows + (<usize>mpad << 2);
  const nk = k & ~3;
  const rowBytes = <usize>ldx << 2;
  for (let r0 = 0; r0 < mpad; r0 += 4) {
    const block = dst + <usize>(r0 >> 2) * blockBytes;
    let wide = false;
    for (let i = 0; i < 4; i++) {
      const r = r0 + i;
      if (r < m) {
        const inv = actRowParams(x + <usize>r * rowBytes, k, L, r, rows, zps);
        if (!(inv > 0 && inv < Infinity)) wide = true;
      } else {
        store<f32>(rows + (<usize>r << 2), 0);
        store<i32>(zps + (<usize>r << 2), 0);
        store<f32>(actInv + (<usize>i << 2), 0);
      }
    }
    // rows past m read row r0 with inv = 0 and z = 0, which quantizes everything to 0
    const x0 = x + <usize>r0 * rowBytes;
    const x1 = r0 + 1 < m ? x0 + rowBytes : x0;
    const x2 = r0 + 2 < m ? x0 + 2 * rowBytes : x0;
    const x3 = r0 + 3 < m ? x0 + 3 * rowBytes : x0;
    const z = zps + (<usize>r0 << 2);
    if (wide) actBlockWide(x0, x1, x2, x3, nk, fmt, L, z, block);
    else actBlockFast(x0, x1, x2, x3, nk, fmt, L, z, block);
    let g = nk >> 2;
    if (nk < k) {
      const p = block + <usize>g * groupBytes;
      const off = <usize>nk << 2;
      for (let i = 0; i < 4; i++) {
        const r = r0 + i;
        const q = p + <usize>(i * 4 * esz);
        if (r < m) actTail(x0 + <usize>i * rowBytes + off, k - nk, r, fmt, L, zps, q);
        else if (fmt == QA_U7) store<u32>(q, 0);
        else store<u64>(q, 0);
      }
      g++;
    }
    const zero = i32x4.splat(0);
    for (let p = block + <usize>g * groupBytes; p < block + blockBytes; p += 16) v128.store(p, zero);
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
