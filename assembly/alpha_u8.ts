// Premultiplied alpha as Pillow converts RGBA↔RGBa and LA↔La (libImaging/Convert.c), in place on
// interleaved 8-bit pixels whose last channel (of 2 or 4) is alpha.
//   premultiply:   c' = MULDIV255(c, a) = (t + (t >> 8)) >> 8 with t = c·a + 128
//   unpremultiply: c' = a ∈ {0, 255} ? c : min(255, ⌊255·c / a⌋)

// Per-lane alpha broadcast for 16 bytes of pixels, and the lanes that hold alpha itself.
// @ts-ignore: decorator
@inline function alphaOf(v: v128, ch: i32): v128 {
  if (ch == 4) return i8x16.shuffle(v, v, 3, 3, 3, 3, 7, 7, 7, 7, 11, 11, 11, 11, 15, 15, 15, 15);
  return i8x16.shuffle(v, v, 1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15);
}

// c·a + 128 ≤ 65153 and t + (t >> 8) ≤ 65407 fit u16 lanes, so i16 arithmetic with logical
// shifts is exact.
// @ts-ignore: decorator
@inline function mulDiv255x8(c: v128, a: v128): v128 {
  const t = i16x8.add(i16x8.mul(c, a), i16x8.splat(128));
  return i16x8.shr_u(i16x8.add(t, i16x8.shr_u(t, 8)), 8);
}

// @ts-ignore: decorator
@inline function mulDiv255(c: i32, a: i32): i32 {
  const t = c * a + 128;
  return (t + (t >> 8)) >> 8;
}

/** Premultiplies `npix` pixels of `ch` (2 or 4) channels at p, in place. */
export function premultiply_u8(p: usize, npix: i32, ch: i32): void {
  const bytes = npix * ch;
  const isAlpha = ch == 4 ? i32x4.splat(0xff000000) : i16x8.splat(<i16>0xff00);
  let i = 0;
  for (; i + 16 <= bytes; i += 16) {
    const v = v128.load(p + <usize>i);
    const a = alphaOf(v, ch);
    const lo = mulDiv255x8(i16x8.extend_low_i8x16_u(v), i16x8.extend_low_i8x16_u(a));
    const hi = mulDiv255x8(i16x8.extend_high_i8x16_u(v), i16x8.extend_high_i8x16_u(a));
    v128.store(p + <usize>i, v128.bitselect(v, i8x16.narrow_i16x8_u(lo, hi), isAlpha));
  }
  for (; i < bytes; i += ch) {
    const a = <i32>load<u8>(p + <usize>(i + ch - 1));
    for (let c = 0; c < ch - 1; c++) {
      store<u8>(p + <usize>(i + c), <u8>mulDiv255(<i32>load<u8>(p + <usize>(i + c)), a));
    }
  }
}

/** Undoes premultiplication of `npix` pixels of `ch` (2 or 4) channels at p, in place. */
export function unpremultiply_u8(p: usize, npix: i32, ch: i32): void {
  const bytes = npix * ch;
  for (let i = 0; i < bytes; i += ch) {
    const a = <i32>load<u8>(p + <usize>(i + ch - 1));
    if (a == 0 || a == 255) continue;
    for (let c = 0; c < ch - 1; c++) {
      const q = (255 * <i32>load<u8>(p + <usize>(i + c))) / a;
      store<u8>(p + <usize>(i + c), <u8>(q > 255 ? 255 : q));
    }
  }
}
