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

// 2–4 channels: one pixel's channels share a vector, one tap per step. Reads 4 bytes per pixel,
// so with 2 or 3 channels the caller leaves 2 readable bytes after the last source pixel.
function horizontalN(src: usize, dst: usize, outW: i32, ch: i32, bounds: usize, kk: usize, ksize: i32): void {
  for (let xx = 0; xx < outW; xx++) {
    const xmin = load<i32>(bounds + (<usize>xx << 3));
    const n = load<i32>(bounds + (<usize>xx << 3), 4);
    const k = kk + (<usize>(xx * ksize) << 2);
    let p = src + <usize>(xmin * ch);
    let acc = i32x4.splat(HALF);
    for (let x = 0; x < n; x++) {
      acc = i32x4.add(acc, i32x4.mul(widen4(p), i32x4.splat(load<i32>(k + (<usize>x << 2)))));
      p += <usize>ch;
    }
    const b = clip8x4(acc);
    const o = dst + <usize>(xx * ch);
    if (ch == 4) v128.store32_lane(o, b, 0);
    else if (ch == 3) {
      v128.store16_lane(o, b, 0);
      v128.store8_lane(o, b, 2, 2); // lane 2 → byte o + 2
    } else v128.store16_lane(o, b, 0);
  }
}

/**
 * Horizontal pass over `rows` rows: dst row r, pixel xx = window sum over src row r.
 * src/dst rows are `srcStride`/`dstStride` bytes apart; dst rows hold outW·ch bytes.
 */
export function resample_h_u8(
  src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, outW: i32, ch: i32,
  bounds: usize, kk: usize, ksize: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * <usize>srcStride;
    const d = dst + <usize>r * <usize>dstStride;
    if (ch == 1) horizontal1(s, d, outW, bounds, kk, ksize);
    else horizontalN(s, d, outW, ch, bounds, kk, ksize);
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
