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

// The products split so each constant fits 16 bits (exact integer identities, as libjpeg-turbo's
// SIMD code does): 91881 = 2^16 + 26345, 116130 = 2^17 − 14942, −46802 = −2^16 + 18734. Then
// R = Y + Cr' + ⌊(26345·Cr' + 2^15) / 2^16⌋, B = Y + 2Cb' + ⌊(−14942·Cb' + 2^15) / 2^16⌋,
// G = Y − Cr' + ⌊(−22554·Cb' + 18734·Cr' + 2^15) / 2^16⌋. The R and B terms equal
// q15mulr(Cr', 13172) = ⌊(13172·Cr' + 2^14) / 2^15⌋ and q15mulr(Cb', −7471) for every Cr', Cb' in
// −128..127 (checked exhaustively; tests/image/jpeg/color_test.ts covers all 2^24 inputs); the G
// term is a dot product of (Cb', Cr') pairs.
const K_G = i32x4.splat((18734 << 16) | (-22554 & 0xffff)); // (Cb', Cr') · (−22554, 18734)

// One of the three terms for 8 pixels: dot products of the pair vectors, rounded, back to i16.
// @ts-ignore: decorator
@inline function term8(p0: v128, p1: v128, k: v128): v128 {
  const half = i32x4.splat(HALF);
  return i16x8.narrow_i32x4_s(
    i32x4.shr_s(i32x4.add(i32x4.dot_i16x8_s(p0, k), half), 16),
    i32x4.shr_s(i32x4.add(i32x4.dot_i16x8_s(p1, k), half), 16),
  );
}

// Converts 16 pixels into 16 R, 16 G and 16 B bytes at `tmp` (48 bytes).
// @ts-ignore: decorator
@inline function ycc16(py: usize, pcb: usize, pcr: usize, tmp: usize): void {
  const vy = v128.load(py), vcb = v128.load(pcb), vcr = v128.load(pcr);
  const c128 = i16x8.splat(128);
  // (Cb', Cr') pairs as i16: pixels 0-3, 4-7, 8-11, 12-15
  const lo = i8x16.shuffle(vcb, vcr, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const hi = i8x16.shuffle(vcb, vcr, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const p0 = i16x8.sub(i16x8.extend_low_i8x16_u(lo), c128), p1 = i16x8.sub(i16x8.extend_high_i8x16_u(lo), c128);
  const p2 = i16x8.sub(i16x8.extend_low_i8x16_u(hi), c128), p3 = i16x8.sub(i16x8.extend_high_i8x16_u(hi), c128);
  const yl = i16x8.extend_low_i8x16_u(vy), yh = i16x8.extend_high_i8x16_u(vy);
  const cbl = i16x8.sub(i16x8.extend_low_i8x16_u(vcb), c128), cbh = i16x8.sub(i16x8.extend_high_i8x16_u(vcb), c128);
  const crl = i16x8.sub(i16x8.extend_low_i8x16_u(vcr), c128), crh = i16x8.sub(i16x8.extend_high_i8x16_u(vcr), c128);
  const kr = i16x8.splat(13172), kb = i16x8.splat(-7471);
  const rl = i16x8.add(i16x8.add(yl, crl), i16x8.q15mulr_sat_s(crl, kr));
  const rh = i16x8.add(i16x8.add(yh, crh), i16x8.q15mulr_sat_s(crh, kr));
  const gl = i16x8.add(i16x8.sub(yl, crl), term8(p0, p1, K_G));
  const gh = i16x8.add(i16x8.sub(yh, crh), term8(p2, p3, K_G));
  const bl = i16x8.add(i16x8.add(yl, i16x8.shl(cbl, 1)), i16x8.q15mulr_sat_s(cbl, kb));
  const bh = i16x8.add(i16x8.add(yh, i16x8.shl(cbh, 1)), i16x8.q15mulr_sat_s(cbh, kb));
  // saturating narrow = libjpeg's clamp to 0..255
  v128.store(tmp, i8x16.narrow_i16x8_u(rl, rh));
  v128.store(tmp, i8x16.narrow_i16x8_u(gl, gh), 16);
  v128.store(tmp, i8x16.narrow_i16x8_u(bl, bh), 32);
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
