// JPEG inverse DCT: libjpeg-turbo 2.1's accurate integer IDCT (jidctint.c jpeg_idct_islow) with
// the same constants, descaling and post-IDCT range limit, four columns (then rows) per i32x4.
// Bit-exact with src/image/jpeg/ref/idct_islow.ts whenever intermediates fit in 32 bits, which
// holds for any coefficients that 8-bit samples produce (|coef·q| up to ~2^16).

// FIX(x) = round(x · 2^13)
const F_0_298: i32 = 2446;
const F_0_390: i32 = 3196;
const F_0_541: i32 = 4433;
const F_0_765: i32 = 6270;
const F_0_899: i32 = 7373;
const F_1_175: i32 = 9633;
const F_1_501: i32 = 12299;
const F_1_847: i32 = 15137;
const F_1_961: i32 = 16069;
const F_2_053: i32 = 16819;
const F_2_562: i32 = 20995;
const F_3_072: i32 = 25172;

// @ts-ignore: decorator
@inline function mulc(v: v128, c: i32): v128 {
  return i32x4.mul(v, i32x4.splat(c));
}

// @ts-ignore: decorator
@inline function descale(v: v128, n: i32): v128 {
  return i32x4.shr_s(i32x4.add(v, i32x4.splat(1 << (n - 1))), n);
}

// libjpeg's range_limit[x & 1023] centred on 128: [-128,127] → x+128, [128,511] → 255,
// [512,895] → 0 (indices wrap mod 1024). On i16 lanes: a pass-2 output is an i32 descaled by
// 18 bits, so it always fits.
// @ts-ignore: decorator
@inline function rangeLimit(v: v128): v128 {
  const t = v128.and(i16x8.add(v, i16x8.splat(128)), i16x8.splat(1023));
  return v128.and(i16x8.min_u(t, i16x8.splat(255)), i16x8.lt_s(t, i16x8.splat(640)));
}

// 4×4 transpose of i32 lanes.
// @ts-ignore: decorator
@inline function tr0(a: v128, b: v128): v128 { return i32x4.shuffle(a, b, 0, 4, 1, 5); }
// @ts-ignore: decorator
@inline function tr1(a: v128, b: v128): v128 { return i32x4.shuffle(a, b, 2, 6, 3, 7); }
// @ts-ignore: decorator
@inline function lo64(a: v128, b: v128): v128 { return i32x4.shuffle(a, b, 0, 1, 4, 5); }
// @ts-ignore: decorator
@inline function hi64(a: v128, b: v128): v128 { return i32x4.shuffle(a, b, 2, 3, 6, 7); }

// One 1-D pass over 8 vectors x0..x7 (element k of each lane's 8-point signal), writing the
// 8 outputs descaled by `shift` to `ws` (8 consecutive v128) — jidctint.c's even/odd butterfly.
// @ts-ignore: decorator
@inline function pass(
  x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, x6: v128, x7: v128,
  ws: usize, shift: i32,
): void {
  // even part
  const z1e = mulc(i32x4.add(x2, x6), F_0_541);
  const tmp2e = i32x4.add(z1e, mulc(x6, -F_1_847));
  const tmp3e = i32x4.add(z1e, mulc(x2, F_0_765));
  const tmp0e = i32x4.shl(i32x4.add(x0, x4), 13);
  const tmp1e = i32x4.shl(i32x4.sub(x0, x4), 13);
  const tmp10 = i32x4.add(tmp0e, tmp3e), tmp13 = i32x4.sub(tmp0e, tmp3e);
  const tmp11 = i32x4.add(tmp1e, tmp2e), tmp12 = i32x4.sub(tmp1e, tmp2e);
  // odd part (x7, x5, x3, x1 are jidctint.c's tmp0..tmp3)
  let z1 = i32x4.add(x7, x1), z2 = i32x4.add(x5, x3);
  let z3 = i32x4.add(x7, x3), z4 = i32x4.add(x5, x1);
  const z5 = mulc(i32x4.add(z3, z4), F_1_175);
  let t0 = mulc(x7, F_0_298), t1 = mulc(x5, F_2_053);
  let t2 = mulc(x3, F_3_072), t3 = mulc(x1, F_1_501);
  z1 = mulc(z1, -F_0_899);
  z2 = mulc(z2, -F_2_562);
  z3 = i32x4.add(mulc(z3, -F_1_961), z5);
  z4 = i32x4.add(mulc(z4, -F_0_390), z5);
  t0 = i32x4.add(t0, i32x4.add(z1, z3));
  t1 = i32x4.add(t1, i32x4.add(z2, z4));
  t2 = i32x4.add(t2, i32x4.add(z2, z3));
  t3 = i32x4.add(t3, i32x4.add(z1, z4));
  v128.store(ws, descale(i32x4.add(tmp10, t3), shift));
  v128.store(ws, descale(i32x4.add(tmp11, t2), shift), 16);
  v128.store(ws, descale(i32x4.add(tmp12, t1), shift), 32);
  v128.store(ws, descale(i32x4.add(tmp13, t0), shift), 48);
  v128.store(ws, descale(i32x4.sub(tmp13, t0), shift), 64);
  v128.store(ws, descale(i32x4.sub(tmp12, t1), shift), 80);
  v128.store(ws, descale(i32x4.sub(tmp11, t2), shift), 96);
  v128.store(ws, descale(i32x4.sub(tmp10, t3), shift), 112);
}

// `pass` with x4..x7 = 0 (the same arithmetic with those terms dropped): for blocks whose upper
// coefficients are all zero.
// @ts-ignore: decorator
@inline function pass4(x0: v128, x1: v128, x2: v128, x3: v128, ws: usize, shift: i32): void {
  const z1e = mulc(x2, F_0_541);
  const tmp3e = i32x4.add(z1e, mulc(x2, F_0_765));
  const tmp0e = i32x4.shl(x0, 13);
  const tmp10 = i32x4.add(tmp0e, tmp3e), tmp13 = i32x4.sub(tmp0e, tmp3e);
  const tmp11 = i32x4.add(tmp0e, z1e), tmp12 = i32x4.sub(tmp0e, z1e);
  const z5 = mulc(i32x4.add(x3, x1), F_1_175);
  const z1 = mulc(x1, -F_0_899), z2 = mulc(x3, -F_2_562);
  const z3 = i32x4.add(mulc(x3, -F_1_961), z5), z4 = i32x4.add(mulc(x1, -F_0_390), z5);
  const t0 = i32x4.add(z1, z3), t1 = i32x4.add(z2, z4);
  const t2 = i32x4.add(mulc(x3, F_3_072), i32x4.add(z2, z3));
  const t3 = i32x4.add(mulc(x1, F_1_501), i32x4.add(z1, z4));
  v128.store(ws, descale(i32x4.add(tmp10, t3), shift));
  v128.store(ws, descale(i32x4.add(tmp11, t2), shift), 16);
  v128.store(ws, descale(i32x4.add(tmp12, t1), shift), 32);
  v128.store(ws, descale(i32x4.add(tmp13, t0), shift), 48);
  v128.store(ws, descale(i32x4.sub(tmp13, t0), shift), 64);
  v128.store(ws, descale(i32x4.sub(tmp12, t1), shift), 80);
  v128.store(ws, descale(i32x4.sub(tmp11, t2), shift), 96);
  v128.store(ws, descale(i32x4.sub(tmp10, t3), shift), 112);
}

// Dequantised row k, columns 4h..4h+3, as i32x4.
// @ts-ignore: decorator
@inline function dq(coef: usize, quant: usize, k: i32, h: i32): v128 {
  const o = <usize>(8 * k + 4 * h);
  return i32x4.mul(v128.load16x4_s(coef + (o << 1)), v128.load(quant + (o << 2)));
}

/**
 * Dequantises and inverse-transforms `nblocks` consecutive blocks (64 i16 coefficients each,
 * natural order) with `quant` (64 i32 multipliers, natural order), writing block b's 8×8 samples
 * at out + 8·b with row stride `stride`. `ws` is 512 bytes of scratch (16-byte aligned).
 */
export function jpeg_idct_islow(
  coef: usize, quant: usize, out: usize, stride: i32, nblocks: i32, ws: usize,
): void {
  const acMask = i16x8.replace_lane(i16x8.splat(-1), 0, 0);
  const hiMask = i64x2.replace_lane(i64x2.splat(-1), 0, 0); // lanes 4-7 of a row
  for (let b = 0; b < nblocks; b++, coef += 128, out += 8) {
    // A block with no AC terms is flat: both passes reduce to the DC term (as in jidctint.c's
    // zero-column and zero-row shortcuts, which give the same values as the full passes).
    let any = v128.and(v128.load(coef), acMask);
    for (let k = 1; k < 8; k++) any = v128.or(any, v128.load(coef + (<usize>k << 4)));
    if (!v128.any_true(any)) {
      const dc = (<i32>load<i16>(coef) * load<i32>(quant)) << 2; // a C int: wraps
      const t = <i32>(((<i64>dc + 16) >> 5) + 128) & 1023;
      const px = <u8>(t < 256 ? t : t < 640 ? 255 : 0);
      const row = i8x16.splat(px);
      for (let r = 0; r < 8; r++) v128.store64_lane(out + <usize>(r * stride), row, 0);
      continue;
    }
    // Columns 4-7 all zero (most blocks of photos): their pass-1 outputs are zero, so pass 1
    // runs on columns 0-3 only and pass 2 drops x4..x7. If rows 4-7 are zero too, pass 1 drops
    // them as well.
    let right = v128.and(v128.load(coef), hiMask);
    for (let k = 1; k < 8; k++) right = v128.or(right, v128.and(v128.load(coef + (<usize>k << 4)), hiMask));
    const narrow = !v128.any_true(right);
    // pass 1: columns, four at a time; ws holds rows 0..7 of columns 0-3, then of columns 4-7
    if (narrow) {
      let low = v128.load(coef, 64);
      for (let k = 5; k < 8; k++) low = v128.or(low, v128.load(coef + (<usize>k << 4)));
      if (!v128.any_true(low)) {
        pass4(dq(coef, quant, 0, 0), dq(coef, quant, 1, 0), dq(coef, quant, 2, 0), dq(coef, quant, 3, 0), ws, 11);
      } else {
        pass(
          dq(coef, quant, 0, 0), dq(coef, quant, 1, 0), dq(coef, quant, 2, 0), dq(coef, quant, 3, 0),
          dq(coef, quant, 4, 0), dq(coef, quant, 5, 0), dq(coef, quant, 6, 0), dq(coef, quant, 7, 0),
          ws, 11,
        );
      }
    } else {
      for (let h = 0; h < 2; h++) {
        pass(
          dq(coef, quant, 0, h), dq(coef, quant, 1, h), dq(coef, quant, 2, h), dq(coef, quant, 3, h),
          dq(coef, quant, 4, h), dq(coef, quant, 5, h), dq(coef, quant, 6, h), dq(coef, quant, 7, h),
          ws + (<usize>h << 7), 11,
        );
      }
    }
    // pass 2: rows, four at a time (transpose the workspace so lanes are rows)
    for (let g = 0; g < 2; g++) {
      const r0 = ws + (<usize>g << 6); // rows 4g..4g+3 of each half
      const a0 = v128.load(r0), a1 = v128.load(r0, 16), a2 = v128.load(r0, 32), a3 = v128.load(r0, 48);
      const p0 = tr0(a0, a1), p1 = tr1(a0, a1), p2 = tr0(a2, a3), p3 = tr1(a2, a3);
      const o = ws + 256;
      if (narrow) {
        pass4(lo64(p0, p2), hi64(p0, p2), lo64(p1, p3), hi64(p1, p3), o, 18);
      } else {
        const b0 = v128.load(r0, 128), b1 = v128.load(r0, 144), b2 = v128.load(r0, 160), b3 = v128.load(r0, 176);
        const q0 = tr0(b0, b1), q1 = tr1(b0, b1), q2 = tr0(b2, b3), q3 = tr1(b2, b3);
        pass(
          lo64(p0, p2), hi64(p0, p2), lo64(p1, p3), hi64(p1, p3),
          lo64(q0, q2), hi64(q0, q2), lo64(q1, q3), hi64(q1, q3),
          o, 18,
        );
      }
      // o[k] holds output column k for rows 4g..4g+3: transpose back, narrow, limit, store
      const c0 = v128.load(o), c1 = v128.load(o, 16), c2 = v128.load(o, 32), c3 = v128.load(o, 48);
      const c4 = v128.load(o, 64), c5 = v128.load(o, 80), c6 = v128.load(o, 96), c7 = v128.load(o, 112);
      const s0 = tr0(c0, c1), s1 = tr1(c0, c1), s2 = tr0(c2, c3), s3 = tr1(c2, c3);
      const u0 = tr0(c4, c5), u1 = tr1(c4, c5), u2 = tr0(c6, c7), u3 = tr1(c6, c7);
      const row01 = i8x16.narrow_i16x8_u(
        rangeLimit(i16x8.narrow_i32x4_s(lo64(s0, s2), lo64(u0, u2))),
        rangeLimit(i16x8.narrow_i32x4_s(hi64(s0, s2), hi64(u0, u2))),
      );
      const row23 = i8x16.narrow_i16x8_u(
        rangeLimit(i16x8.narrow_i32x4_s(lo64(s1, s3), lo64(u1, u3))),
        rangeLimit(i16x8.narrow_i32x4_s(hi64(s1, s3), hi64(u1, u3))),
      );
      const dst = out + <usize>(4 * g * stride);
      v128.store64_lane(dst, row01, 0);
      v128.store64_lane(dst + <usize>stride, row01, 1);
      v128.store64_lane(dst + <usize>(2 * stride), row23, 0);
      v128.store64_lane(dst + <usize>(3 * stride), row23, 1);
    }
  }
}
