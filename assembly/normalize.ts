// RGB bytes (HWC, strided rows) → normalised CHW f32 planes, with the exact float32 arithmetic of
// the reference pipelines (every step is one IEEE-rounded f32 op, so lanes and the scalar tail
// agree bit for bit):
//   mode 0 (torchvision ToTensor + Normalize):  x = f32(v) / div;            y = (x − mean) / std
//   mode 1 (HF rescale in float64, then f32):   x = f32(f64(v) · factor);    y = (x − mean) / std
// params: f32 mean[3] at 0, f32 std[3] at 12, f32 div at 24, f64 factor at 32.

// @ts-ignore: decorator
@inline function scaleLanes(u: v128, mode: i32, div: v128, factor: v128): v128 {
  if (mode == 0) return f32x4.div(f32x4.convert_i32x4_u(u), div);
  const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.convert_low_i32x4_u(u), factor));
  const hi = f32x4.demote_f64x2_zero(
    f64x2.mul(f64x2.convert_low_i32x4_u(i32x4.shuffle(u, u, 2, 3, 0, 1)), factor),
  );
  return i32x4.shuffle(lo, hi, 0, 1, 4, 5);
}

// 16 bytes of one channel → 16 normalised floats at out.
// @ts-ignore: decorator
@inline function emit16(b: v128, out: usize, mode: i32, div: v128, factor: v128, mean: v128, std: v128): void {
  const lo = i16x8.extend_low_i8x16_u(b), hi = i16x8.extend_high_i8x16_u(b);
  v128.store(out, f32x4.div(f32x4.sub(scaleLanes(i32x4.extend_low_i16x8_u(lo), mode, div, factor), mean), std));
  v128.store(out, f32x4.div(f32x4.sub(scaleLanes(i32x4.extend_high_i16x8_u(lo), mode, div, factor), mean), std), 16);
  v128.store(out, f32x4.div(f32x4.sub(scaleLanes(i32x4.extend_low_i16x8_u(hi), mode, div, factor), mean), std), 32);
  v128.store(out, f32x4.div(f32x4.sub(scaleLanes(i32x4.extend_high_i16x8_u(hi), mode, div, factor), mean), std), 48);
}

// @ts-ignore: decorator
@inline function scalar(v: u8, mode: i32, div: f32, factor: f64, mean: f32, std: f32): f32 {
  const x: f32 = mode == 0 ? <f32>v / div : <f32>(<f64>v * factor);
  return (x - mean) / std;
}

/**
 * src: h rows of w RGB pixels (3 bytes each), rows `srcStride` bytes apart. dst: 3 planes of
 * h·w floats (R, G, B). Sixteen pixels per step: three loads, deinterleaved by byte shuffles.
 */
export function normalize_rgb_f32(src: usize, srcStride: i32, w: i32, h: i32, dst: usize, params: usize, mode: i32): void {
  const div = load<f32>(params, 24), factor = load<f64>(params, 32);
  const divv = f32x4.splat(div), fv = f64x2.splat(factor);
  const m0 = load<f32>(params), m1 = load<f32>(params, 4), m2 = load<f32>(params, 8);
  const s0 = load<f32>(params, 12), s1 = load<f32>(params, 16), s2 = load<f32>(params, 20);
  const mv0 = f32x4.splat(m0), mv1 = f32x4.splat(m1), mv2 = f32x4.splat(m2);
  const sv0 = f32x4.splat(s0), sv1 = f32x4.splat(s1), sv2 = f32x4.splat(s2);
  const plane = <usize>w * <usize>h << 2;
  for (let y = 0; y < h; y++) {
    const row = src + <usize>y * <usize>srcStride;
    const o = dst + (<usize>y * <usize>w << 2);
    let x = 0;
    for (; x + 16 <= w; x += 16) {
      const p = row + <usize>(x * 3);
      const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32);
      // R at bytes 0,3,…,45; G at 1,4,…,46; B at 2,5,…,47 of the 48 loaded bytes.
      const r = i8x16.shuffle(
        i8x16.shuffle(a, b, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 0, 0, 0, 0, 0),
        c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 17, 20, 23, 26, 29,
      );
      const g = i8x16.shuffle(
        i8x16.shuffle(a, b, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 0, 0, 0, 0, 0),
        c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 18, 21, 24, 27, 30,
      );
      const bl = i8x16.shuffle(
        i8x16.shuffle(a, b, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 0, 0, 0, 0, 0, 0),
        c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 19, 22, 25, 28, 31,
      );
      const q = o + (<usize>x << 2);
      emit16(r, q, mode, divv, fv, mv0, sv0);
      emit16(g, q + plane, mode, divv, fv, mv1, sv1);
      emit16(bl, q + 2 * plane, mode, divv, fv, mv2, sv2);
    }
    for (; x < w; x++) {
      const p = row + <usize>(x * 3);
      const q = o + (<usize>x << 2);
      store<f32>(q, scalar(load<u8>(p), mode, div, factor, m0, s0));
      store<f32>(q + plane, scalar(load<u8>(p, 1), mode, div, factor, m1, s1));
      store<f32>(q + 2 * plane, scalar(load<u8>(p, 2), mode, div, factor, m2, s2));
    }
  }
}
