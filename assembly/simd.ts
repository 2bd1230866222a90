// SIMD helpers shared by the kernels: fused multiply-add (relaxed when the build allows),
// horizontal sums, and vectorized exp/erf/tanh accurate to a few ulp (f32).

/** a·b + c. The relaxed build fuses (FMA where the host has it); the SIMD128 build rounds twice. */
// @ts-ignore: decorator
@inline export function fma4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline export function hsum4(v: v128): f32 {
  // (v0+v2) + (v1+v3): pairwise, the same order in every kernel so scalar twins can match.
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

// @ts-ignore: decorator
@inline export function hmax4(v: v128): f32 {
  const s = f32x4.max(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

// exp(x) for 4 lanes (Cephes expf): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 polynomial,
// 2^n by building the exponent bits. Relative error ≲ 2 ulp on [-87, 88]; underflows to 0.
// @ts-ignore: decorator
@inline export function exp4(x0: v128): v128 {
  let x = f32x4.min(f32x4.max(x0, f32x4.splat(-87.33654)), f32x4.splat(88.3762626647949));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  // two-constant ln2 split keeps r exact enough
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(r, r);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1.0));
  // 2^n: n in [-126, 127] after the clamp; split in two factors so n = -126..-127 stays normal
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const p1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const p2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  const r2 = f32x4.mul(f32x4.mul(y, p1), p2);
  // below the clamp the true value is subnormal or 0: flush to 0 (softmax masks rely on it)
  return v128.andnot(r2, f32x4.lt(x0, f32x4.splat(-87.33654)));
}

/** 1 / (1 + e^(−x)), exact at the tails (0 and 1). */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(x));
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
}

// erf(x) as a rational function on [-4, 4] (odd degree-13 numerator, even degree-8 denominator,
// the form Eigen and XNNPACK use); beyond ±4 erf is ±1 to f32 precision.
// @ts-ignore: decorator
@inline export function erf4(a: v128): v128 {
  const x = f32x4.min(f32x4.max(a, f32x4.splat(-4.0)), f32x4.splat(4.0));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(-2.72614225801306e-10);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(2.77068142495902e-08));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-2.10102402082508e-06));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-5.69250639462346e-05));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-7.34990630326855e-04));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-2.95459980854025e-03));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(-1.60960333262415e-02));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(-1.45660718464996e-05);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-2.13374055278905e-04));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-1.68282697438203e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-7.37332916720468e-03));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(-1.42647390514189e-02));
  return f32x4.div(p, q);
}

// tanh(x) (Cephes tanhf): odd polynomial for |x| < 0.625 where 1 − 2/(e^2x + 1) would cancel,
// that formula elsewhere; both computed, then blended by lane.
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = exp4(f32x4.add(ax, ax));
  let big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
  big = v128.or(big, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}
