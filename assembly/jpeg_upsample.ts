// JPEG chroma upsampling, one output row per call: libjpeg-turbo 2.1's triangle filters
// (jdsample.c h2v1/h2v2/h1v2_fancy_upsample, with their alternating rounding biases) and the
// replicating box filter (int_upsample / h2v1_upsample). Bit-exact with
// src/image/jpeg/ref/upsample.ts; SIMD over 8–16 input samples, scalar at the row ends.

// Interleaves the 16 bytes of `e` (even outputs) and `o` (odd outputs) into 32 at `out`.
// @ts-ignore: decorator
@inline function storeZip(out: usize, e: v128, o: v128): void {
  v128.store(out, i8x16.shuffle(e, o, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
  v128.store(out, i8x16.shuffle(e, o, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), 16);
}

/** h2v1 fancy: `dw` (≥ 3) input samples → 2·dw output samples. */
export function jpeg_h2v1_fancy(inp: usize, dw: i32, out: usize): void {
  const first = <i32>load<u8>(inp);
  store<u8>(out, <u8>first);
  store<u8>(out, <u8>((first * 3 + <i32>load<u8>(inp, 1) + 2) >> 2), 1);
  let i = 1;
  const one = i16x8.splat(1), two = i16x8.splat(2), three = i16x8.splat(3);
  for (; i + 16 <= dw - 1; i += 16) {
    const p = inp + <usize>i;
    const cur = v128.load(p), prev = v128.load(p - 1), next = v128.load(p + 1);
    const cl = i16x8.mul(i16x8.extend_low_i8x16_u(cur), three);
    const ch = i16x8.mul(i16x8.extend_high_i8x16_u(cur), three);
    const el = i16x8.shr_u(i16x8.add(i16x8.add(cl, i16x8.extend_low_i8x16_u(prev)), one), 2);
    const eh = i16x8.shr_u(i16x8.add(i16x8.add(ch, i16x8.extend_high_i8x16_u(prev)), one), 2);
    const ol = i16x8.shr_u(i16x8.add(i16x8.add(cl, i16x8.extend_low_i8x16_u(next)), two), 2);
    const oh = i16x8.shr_u(i16x8.add(i16x8.add(ch, i16x8.extend_high_i8x16_u(next)), two), 2);
    storeZip(out + <usize>(2 * i), i8x16.narrow_i16x8_u(el, eh), i8x16.narrow_i16x8_u(ol, oh));
  }
  for (; i < dw - 1; i++) {
    const v = <i32>load<u8>(inp + <usize>i) * 3;
    store<u8>(out + <usize>(2 * i), <u8>((v + <i32>load<u8>(inp + <usize>i - 1) + 1) >> 2));
    store<u8>(out + <usize>(2 * i), <u8>((v + <i32>load<u8>(inp + <usize>i + 1) + 2) >> 2), 1);
  }
  const last = <i32>load<u8>(inp + <usize>(dw - 1));
  store<u8>(out + <usize>(2 * dw - 2), <u8>((last * 3 + <i32>load<u8>(inp + <usize>(dw - 2)) + 1) >> 2));
  store<u8>(out + <usize>(2 * dw - 1), <u8>last);
}

// 3·near + far for 8 samples at p, q.
// @ts-ignore: decorator
@inline function colsum8(near: usize, far: usize): v128 {
  return i16x8.add(i16x8.mul(v128.load8x8_u(near), i16x8.splat(3)), v128.load8x8_u(far));
}

// @ts-ignore: decorator
@inline function colsum(near: usize, far: usize, i: i32): i32 {
  return <i32>load<u8>(near + <usize>i) * 3 + <i32>load<u8>(far + <usize>i);
}

/**
 * h2v2 fancy, one output row: `near` is the input row it lies in, `far` the row above (upper
 * output row of the pair) or below (lower). `dw` (≥ 3) samples → 2·dw.
 */
export function jpeg_h2v2_fancy(near: usize, far: usize, dw: i32, out: usize): void {
  const c0 = colsum(near, far, 0), c1 = colsum(near, far, 1);
  store<u8>(out, <u8>((c0 * 4 + 8) >> 4));
  store<u8>(out, <u8>((c0 * 3 + c1 + 7) >> 4), 1);
  let i = 1;
  const seven = i16x8.splat(7), eight = i16x8.splat(8), three = i16x8.splat(3);
  for (; i + 8 <= dw - 1; i += 8) {
    const n = near + <usize>i, f = far + <usize>i;
    const cur = i16x8.mul(colsum8(n, f), three);
    const e = i16x8.shr_u(i16x8.add(i16x8.add(cur, colsum8(n - 1, f - 1)), eight), 4);
    const o = i16x8.shr_u(i16x8.add(i16x8.add(cur, colsum8(n + 1, f + 1)), seven), 4);
    const eb = i8x16.narrow_i16x8_u(e, e), ob = i8x16.narrow_i16x8_u(o, o);
    v128.store(out + <usize>(2 * i), i8x16.shuffle(eb, ob, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
  }
  for (; i < dw - 1; i++) {
    const c = colsum(near, far, i) * 3;
    store<u8>(out + <usize>(2 * i), <u8>((c + colsum(near, far, i - 1) + 8) >> 4));
    store<u8>(out + <usize>(2 * i), <u8>((c + colsum(near, far, i + 1) + 7) >> 4), 1);
  }
  const cl = colsum(near, far, dw - 1);
  store<u8>(out + <usize>(2 * dw - 2), <u8>((cl * 3 + colsum(near, far, dw - 2) + 8) >> 4));
  store<u8>(out + <usize>(2 * dw - 1), <u8>((cl * 4 + 7) >> 4));
}

/** h1v2 fancy, one output row: (3·near + far + bias) >> 2, bias 1 (row above) or 2 (below). */
export function jpeg_h1v2_fancy(near: usize, far: usize, dw: i32, bias: i32, out: usize): void {
  let i = 0;
  const b = i16x8.splat(<i16>bias), three = i16x8.splat(3);
  for (; i + 16 <= dw; i += 16) {
    const n = v128.load(near + <usize>i), f = v128.load(far + <usize>i);
    const lo = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(n), three), i16x8.extend_low_i8x16_u(f));
    const hi = i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(n), three), i16x8.extend_high_i8x16_u(f));
    v128.store(out + <usize>i, i8x16.narrow_i16x8_u(
      i16x8.shr_u(i16x8.add(lo, b), 2), i16x8.shr_u(i16x8.add(hi, b), 2),
    ));
  }
  for (; i < dw; i++) store<u8>(out + <usize>i, <u8>((colsum(near, far, i) + bias) >> 2));
}

/** Box filter across a row: `outW` samples, each input sample repeated `hExpand` times. */
export function jpeg_box_row(inp: usize, outW: i32, hExpand: i32, out: usize): void {
  if (hExpand == 1) {
    memory.copy(out, inp, <usize>outW);
    return;
  }
  let x = 0;
  if (hExpand == 2) {
    for (; x + 32 <= outW; x += 32) {
      const v = v128.load(inp + <usize>(x >> 1));
      storeZip(out + <usize>x, v, v);
    }
  }
  for (; x < outW; x++) store<u8>(out + <usize>x, load<u8>(inp + <usize>(x / hExpand)));
}
