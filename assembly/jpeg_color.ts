// JPEG colour conversion, one row per call: libjpeg-turbo 2.1's YCbCr→RGB (jdcolor.c, 16-bit
// fixed point: R = Y + ⌊(FIX(1.402)·Cr' + ½) / 2^16⌋, B likewise with FIX(1.772),
// G = Y + ⌊(−FIX(0.34414)·Cb' − FIX(0.71414)·Cr' + ½) / 2^16⌋, Cb' = Cb − 128), clamped to 0..255,
// and the layouts Pillow 9.4 stores (CMYK JPEGs inverted, see src/image/jpeg/ref/color.ts).
// Bit-exact with that reference; 16 pixels per SIMD step, scalar for the rest of a row.

const CR_R: i32 = 91881;
const CB_B: i32 = 116130;
const CB_G: i32 = -22554;
const CR_G: i32 = -46802;
const HALF: i32 = 32768;

// R, G, B of 4 pixels (i32 lanes; y, cb, cr with cb, cr already minus 128).
// @ts-ignore: decorator
@inline function r4(y: v128, cr: v128): v128 {
  return i32x4.add(y, i32x4.shr_s(i32x4.add(i32x4.mul(cr, i32x4.splat(CR_R)), i32x4.splat(HALF)), 16));
}
// @ts-ignore: decorator
@inline function g4(y: v128, cb: v128, cr: v128): v128 {
  const t = i32x4.add(i32x4.mul(cb, i32x4.splat(CB_G)), i32x4.mul(cr, i32x4.splat(CR_G)));
  return i32x4.add(y, i32x4.shr_s(i32x4.add(t, i32x4.splat(HALF)), 16));
}
// @ts-ignore: decorator
@inline function b4(y: v128, cb: v128): v128 {
  return i32x4.add(y, i32x4.shr_s(i32x4.add(i32x4.mul(cb, i32x4.splat(CB_B)), i32x4.splat(HALF)), 16));
}

// Lanes q·4..q·4+3 of 16 bytes, widened to i32 (minus `bias`).
// @ts-ignore: decorator
@inline function quarter(v: v128, q: i32, bias: i32): v128 {
  const h = q < 2 ? i16x8.extend_low_i8x16_u(v) : i16x8.extend_high_i8x16_u(v);
  const w = (q & 1) == 0 ? i32x4.extend_low_i16x8_u(h) : i32x4.extend_high_i16x8_u(h);
  return i32x4.sub(w, i32x4.splat(bias));
}

// Saturating pack of four i32x4 into 16 bytes (the 0..255 clamp).
// @ts-ignore: decorator
@inline function pack(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

// Converts 16 pixels; returns R, G, B in the three out-params via memory at `tmp` (48 bytes).
// @ts-ignore: decorator
@inline function ycc16(py: usize, pcb: usize, pcr: usize, tmp: usize): void {
  const vy = v128.load(py), vcb = v128.load(pcb), vcr = v128.load(pcr);
  const y0 = quarter(vy, 0, 0), y1 = quarter(vy, 1, 0), y2 = quarter(vy, 2, 0), y3 = quarter(vy, 3, 0);
  const b0 = quarter(vcb, 0, 128), b1 = quarter(vcb, 1, 128), b2 = quarter(vcb, 2, 128), b3 = quarter(vcb, 3, 128);
  const c0 = quarter(vcr, 0, 128), c1 = quarter(vcr, 1, 128), c2 = quarter(vcr, 2, 128), c3 = quarter(vcr, 3, 128);
  v128.store(tmp, pack(r4(y0, c0), r4(y1, c1), r4(y2, c2), r4(y3, c3)));
  v128.store(tmp, pack(g4(y0, b0, c0), g4(y1, b1, c1), g4(y2, b2, c2), g4(y3, b3, c3)), 16);
  v128.store(tmp, pack(b4(y0, b0), b4(y1, b1), b4(y2, b2), b4(y3, b3)), 32);
}

// Interleaves 16 R, G, B bytes into 48 bytes RGBRGB….
// @ts-ignore: decorator
@inline function store3(out: usize, r: v128, g: v128, b: v128): void {
  const t0 = i8x16.shuffle(r, g, 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
  v128.store(out, i8x16.shuffle(t0, b, 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15));
  const t1 = i8x16.shuffle(r, g, 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
  v128.store(out, i8x16.shuffle(t1, b, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15), 16);
  const t2 = i8x16.shuffle(r, g, 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
  v128.store(out, i8x16.shuffle(t2, b, 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31), 32);
}

// Interleaves 16 bytes of a, b, c, d into 64 bytes abcdabcd….
// @ts-ignore: decorator
@inline function store4(out: usize, a: v128, b: v128, c: v128, d: v128): void {
  const ab0 = i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const ab1 = i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const cd0 = i8x16.shuffle(c, d, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const cd1 = i8x16.shuffle(c, d, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(out, i16x8.shuffle(ab0, cd0, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(out, i16x8.shuffle(ab0, cd0, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  v128.store(out, i16x8.shuffle(ab1, cd1, 0, 8, 1, 9, 2, 10, 3, 11), 32);
  v128.store(out, i16x8.shuffle(ab1, cd1, 4, 12, 5, 13, 6, 14, 7, 15), 48);
}

// @ts-ignore: decorator
@inline function clamp255(v: i32): u8 {
  return <u8>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Scalar conversion of pixel i into R, G, B at out (3 bytes).
// @ts-ignore: decorator
@inline function ycc1(y: usize, cb: usize, cr: usize, i: i32, out: usize): void {
  const Y = <i32>load<u8>(y + <usize>i), b = <i32>load<u8>(cb + <usize>i) - 128;
  const r = <i32>load<u8>(cr + <usize>i) - 128;
  store<u8>(out, clamp255(Y + ((CR_R * r + HALF) >> 16)));
  store<u8>(out, clamp255(Y + ((CB_G * b + CR_G * r + HALF) >> 16)), 1);
  store<u8>(out, clamp255(Y + ((CB_B * b + HALF) >> 16)), 2);
}

/** YCbCr → interleaved RGB for n pixels (`tmp`: 48 bytes of scratch). */
export function jpeg_ycc_rgb(y: usize, cb: usize, cr: usize, out: usize, n: i32, tmp: usize): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i;
    ycc16(y + o, cb + o, cr + o, tmp);
    store3(out + o * 3, v128.load(tmp), v128.load(tmp, 16), v128.load(tmp, 32));
  }
  for (; i < n; i++) ycc1(y, cb, cr, i, out + <usize>(3 * i));
}

/** YCCK → Pillow's CMYK (R, G, B, 255 − K) for n pixels (`tmp`: 48 bytes of scratch). */
export function jpeg_ycck_cmyk(
  y: usize, cb: usize, cr: usize, k: usize, out: usize, n: i32, tmp: usize,
): void {
  let i = 0;
  const ones = i8x16.splat(-1);
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i;
    ycc16(y + o, cb + o, cr + o, tmp);
    store4(out + o * 4, v128.load(tmp), v128.load(tmp, 16), v128.load(tmp, 32),
      v128.xor(v128.load(k + o), ones));
  }
  for (; i < n; i++) {
    ycc1(y, cb, cr, i, out + <usize>(4 * i));
    store<u8>(out + <usize>(4 * i), 255 - load<u8>(k + <usize>i), 3);
  }
}

/** Interleaves three planar rows (RGB JPEGs: no conversion). */
export function jpeg_interleave3(a: usize, b: usize, c: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i;
    store3(out + o * 3, v128.load(a + o), v128.load(b + o), v128.load(c + o));
  }
  for (; i < n; i++) {
    const o = out + <usize>(3 * i);
    store<u8>(o, load<u8>(a + <usize>i));
    store<u8>(o, load<u8>(b + <usize>i), 1);
    store<u8>(o, load<u8>(c + <usize>i), 2);
  }
}

/** Interleaves four planar rows, inverting each byte (Adobe CMYK as Pillow holds it). */
export function jpeg_interleave4_inv(a: usize, b: usize, c: usize, d: usize, out: usize, n: i32): void {
  let i = 0;
  const ones = i8x16.splat(-1);
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i;
    store4(out + o * 4, v128.xor(v128.load(a + o), ones), v128.xor(v128.load(b + o), ones),
      v128.xor(v128.load(c + o), ones), v128.xor(v128.load(d + o), ones));
  }
  for (; i < n; i++) {
    const o = out + <usize>(4 * i);
    store<u8>(o, 255 - load<u8>(a + <usize>i));
    store<u8>(o, 255 - load<u8>(b + <usize>i), 1);
    store<u8>(o, 255 - load<u8>(c + <usize>i), 2);
    store<u8>(o, 255 - load<u8>(d + <usize>i), 3);
  }
}
