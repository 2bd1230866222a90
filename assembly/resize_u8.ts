// Pillow's separable 8-bit resampling passes (libImaging/Resample.c, "8bpc"), bit-exact: each
// output sample is Σ pixel·k over its window with k fixed-point (22 fractional bits, computed in
// TS), the sum starting at 1 << 21 (round half up), then (sum >> 22) clamped to 0..255.
// Integer sums do not depend on order, so vector lanes can split them freely.
//
// bounds: per output sample an i32 pair (first source index, tap count); kk: ksize i32 per output.
// Samples are interleaved, 1–4 channels per pixel; rows are addressed by byte strides.

const PREC: i32 = 22;
const HALF: i32 = 1 << 21;

// @ts-ignore: decorator
@inline function clip8(s: i32): i32 {
  const v = s >> PREC;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

// Four i32 sums → four bytes in lanes 0..3: >> 22, then saturating narrows clamp to 0..255.
// @ts-ignore: decorator
@inline function clip8x4(acc: v128): v128 {
  const s = i32x4.shr_s(acc, PREC);
  const h = i16x8.narrow_i32x4_s(s, s);
  return i8x16.narrow_i16x8_u(h, h);
}

// Four bytes at p → four u32 lanes.
// @ts-ignore: decorator
@inline function widen4(p: usize): v128 {
  return i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
}

// One channel: the window is contiguous bytes, so lanes take 8 (then 4) taps at a time.
function horizontal1(src: usize, dst: usize, outW: i32, bounds: usize, kk: usize, ksize: i32): void {
  for (let xx = 0; xx < outW; xx++) {
    const xmin = load<i32>(bounds + (<usize>xx << 3));
    const n = load<i32>(bounds + (<usize>xx << 3), 4);
    const k = kk + (<usize>(xx * ksize) << 2);
    const p = src + <usize>xmin;
    let acc = i32x4.splat(0);
    let x = 0;
    for (; x + 8 <= n; x += 8) {
      const v = i16x8.extend_low_i8x16_u(v128.load64_zero(p + <usize>x));
      const kp = k + (<usize>x << 2);
      acc = i32x4.add(acc, i32x4.mul(i32x4.extend_low_i16x8_u(v), v128.load(kp)));
      acc = i32x4.add(acc, i32x4.mul(i32x4.extend_high_i16x8_u(v), v128.load(kp, 16)));
    }
    for (; x + 4 <= n; x += 4) {
      acc = i32x4.add(acc, i32x4.mul(widen4(p + <usize>x), v128.load(k + (<usize>x << 2))));
    }
    let s = HALF + i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) +
      i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    for (; x < n; x++) s += <i32>load<u8>(p + <usize>x) * load<i32>(k + (<usize>x << 2));
    store<u8>(dst + <usize>xx, <u8>clip8(s));
  }
}

// Two channels: one pixel per step (lanes 0–1 of a 4-byte load; 2 readable bytes must follow
// the last source pixel).
function horizontal2(src: usize, dst: usize, outW: i32, bounds: usize, kk: usize, ksize: i32): void {
  for (let xx = 0; xx < outW; xx++) {
    const xmin = load<i32>(bounds + (<usize>xx << 3));
    const n = load<i32>(bounds + (<usize>xx << 3), 4);
    const k = kk + (<usize>(xx * ksize) << 2);
    let p = src + <usize>(xmin * 2);
    let acc = i32x4.splat(HALF);
    for (let x = 0; x < n; x++) {
      acc = i32x4.add(acc, i32x4.mul(widen4(p), i32x4.splat(load<i32>(k + (<usize>x << 2)))));
      p += 2;
    }
    v128.store16_lane(dst + <usize>(xx * 2), clip8x4(acc), 0);
  }
}

// Three or four channels, four taps per step with i32x4.dot_i16x8_s. Weights k (22 fractional
// bits, |k| < 2^23) do not fit i16, so they are split as k = kh·2^11 + kl with kl in [0, 2^11):
// Σ p·k = 2^11·Σ p·kh + Σ p·kl, both sums exact in i32 (mod 2^32, like the reference's int sum).
// `packed` holds per output pixel ceil(ksize/4) groups of 4 vectors: kh for taps (0,1) and (2,3),
// then kl likewise, each as [k_a, k_b] repeated per channel (zero for absent taps and, with three
// channels, for the unused fourth lane pair).
const SPLIT: i32 = 11;

/** Bytes of the packed weights `resample_h_u8` needs as scratch for 3–4 channels. */
export function packedBytes(outW: i32, ksize: i32): i32 {
  return outW * ((ksize + 3) >> 2) * 64;
}

function packWeights(packed: usize, outW: i32, ch: i32, bounds: usize, kk: usize, ksize: i32): void {
  const groups = (ksize + 3) >> 2;
  for (let xx = 0; xx < outW; xx++) {
    const n = load<i32>(bounds + (<usize>xx << 3), 4);
    const k = kk + (<usize>(xx * ksize) << 2);
    const base = packed + <usize>(xx * groups) * 64;
    for (let t = 0; t < groups * 4; t++) {
      const w = t < n ? load<i32>(k + (<usize>t << 2)) : 0;
      const hi = <i16>(w >> SPLIT), lo = <i16>(w & ((1 << SPLIT) - 1));
      // group g = t >> 2; pair (t & 2) >> 1 selects the vector, t & 1 the lane in each pair
      const v = base + <usize>((t >> 2) * 64 + ((t & 2) << 3) + ((t & 1) << 1));
      for (let c = 0; c < 4; c++) {
        const on = c < ch;
        store<i16>(v + <usize>(c << 2), on ? hi : 0);
        store<i16>(v + <usize>(c << 2), on ? lo : 0, 32);
      }
    }
  }
}

// Pixel bytes of 4 taps → pairs (tap a, tap b) per channel: [c0a c0b c1a c1b …] for taps 0,1 in
// the low 8 bytes and taps 2,3 in the high 8. Reads 16 bytes, so 16 readable bytes must follow
// the last source pixel (the absent taps' weights are 0).
// @ts-ignore: decorator
@inline function pairs(p: usize, ch: i32): v128 {
  const v = v128.load(p);
  if (ch == 4) return i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
  return i8x16.shuffle(v, v, 0, 3, 1, 4, 2, 5, 0, 0, 6, 9, 7, 10, 8, 11, 0, 0);
}

function horizontalDot(src: usize, dst: usize, outW: i32, ch: i32, bounds: usize, packed: usize, ksize: i32): void {
  const groups = (ksize + 3) >> 2;
  for (let xx = 0; xx < outW; xx++) {
    const xmin = load<i32>(bounds + (<usize>xx << 3));
    const n = load<i32>(bounds + (<usize>xx << 3), 4);
    let p = src + <usize>(xmin * ch);
    let w = packed + <usize>(xx * groups) * 64;
    let accH = i32x4.splat(0), accL = i32x4.splat(0);
    for (let t = 0; t < n; t += 4) {
      const v = pairs(p, ch);
      const a = i16x8.extend_low_i8x16_u(v), b = i16x8.extend_high_i8x16_u(v);
      accH = i32x4.add(accH, i32x4.add(i32x4.dot_i16x8_s(a, v128.load(w)), i32x4.dot_i16x8_s(b, v128.load(w, 16))));
      accL = i32x4.add(accL, i32x4.add(i32x4.dot_i16x8_s(a, v128.load(w, 32)), i32x4.dot_i16x8_s(b, v128.load(w, 48))));
      p += <usize>(ch << 2);
      w += 64;
    }
    const acc = i32x4.add(i32x4.add(i32x4.shl(accH, SPLIT), accL), i32x4.splat(HALF));
    const o = dst + <usize>(xx * ch);
    const b = clip8x4(acc);
    if (ch == 4) v128.store32_lane(o, b, 0);
    else {
      v128.store16_lane(o, b, 0);
      v128.store8_lane(o, b, 2, 2); // lane 2 → byte o + 2
    }
  }
}

/**
 * Horizontal pass over `rows` rows: dst row r, pixel xx = window sum over src row r.
 * src/dst rows are `srcStride`/`dstStride` bytes apart; dst rows hold outW·ch bytes. With 3–4
 * channels `scratch` must hold packedBytes(outW, ksize) bytes, and 16 readable bytes must follow
 * the last source pixel.
 */
export function resample_h_u8(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, outW: i32, ch: i32,
  bounds: usize, kk: usize, ksize: i32, scratch: usize,
): void {
  if (ch >= 3) packWeights(scratch, outW, ch, bounds, kk, ksize);
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * <usize>srcStride;
    const d = dst + <usize>r * <usize>dstStride;
    if (ch == 1) horizontal1(s, d, outW, bounds, kk, ksize);
    else if (ch == 2) horizontal2(s, d, outW, bounds, kk, ksize);
    else horizontalDot(s, d, outW, ch, bounds, scratch, ksize);
  }
}

/**
 * Vertical pass: dst row yy = Σ over src rows bounds[yy] of row·k, for `rowBytes` bytes per row
 * (channels do not matter: every byte is one sample). 16 samples per step, then 4, then 1.
 */
export function resample_v_u8(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, outH: i32, rowBytes: i32,
  bounds: usize, kk: usize, ksize: i32,
): void {
  for (let yy = 0; yy < outH; yy++) {
    const ymin = load<i32>(bounds + (<usize>yy << 3));
    const n = load<i32>(bounds + (<usize>yy << 3), 4);
    const k = kk + (<usize>(yy * ksize) << 2);
    const s0 = src + <usize>ymin * <usize>srcStride;
    const d = dst + <usize>yy * <usize>dstStride;
    let i = 0;
    for (; i + 16 <= rowBytes; i += 16) {
      let a0 = i32x4.splat(HALF), a1 = a0, a2 = a0, a3 = a0;
      let p = s0 + <usize>i;
      for (let y = 0; y < n; y++) {
        const kv = i32x4.splat(load<i32>(k + (<usize>y << 2)));
        const v = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
        a0 = i32x4.add(a0, i32x4.mul(i32x4.extend_low_i16x8_u(lo), kv));
        a1 = i32x4.add(a1, i32x4.mul(i32x4.extend_high_i16x8_u(lo), kv));
        a2 = i32x4.add(a2, i32x4.mul(i32x4.extend_low_i16x8_u(hi), kv));
        a3 = i32x4.add(a3, i32x4.mul(i32x4.extend_high_i16x8_u(hi), kv));
        p += <usize>srcStride;
      }
      const h0 = i16x8.narrow_i32x4_s(i32x4.shr_s(a0, PREC), i32x4.shr_s(a1, PREC));
      const h1 = i16x8.narrow_i32x4_s(i32x4.shr_s(a2, PREC), i32x4.shr_s(a3, PREC));
      v128.store(d + <usize>i, i8x16.narrow_i16x8_u(h0, h1));
    }
    for (; i + 4 <= rowBytes; i += 4) {
      let acc = i32x4.splat(HALF);
      let p = s0 + <usize>i;
      for (let y = 0; y < n; y++) {
        acc = i32x4.add(acc, i32x4.mul(widen4(p), i32x4.splat(load<i32>(k + (<usize>y << 2)))));
        p += <usize>srcStride;
      }
      v128.store32_lane(d + <usize>i, clip8x4(acc), 0);
    }
    for (; i < rowBytes; i++) {
      let s = HALF;
      let p = s0 + <usize>i;
      for (let y = 0; y < n; y++) {
        s += <i32>load<u8>(p) * load<i32>(k + (<usize>y << 2));
        p += <usize>srcStride;
      }
      store<u8>(d + <usize>i, <u8>clip8(s));
    }
  }
}
