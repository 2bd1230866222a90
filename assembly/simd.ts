// SIMD helpers shared by the kernels: fused multiply-add (relaxed when the build allows),
// horizontal sums, and vectorized exp/erf/tanh accurate to a few ulp (f32).
//
// Constants come from a table in memory (`kc`): V8 rebuilds every v128.const with several
// instructions at each use and does not hoist them out of loops, while a broadcast load is one
// instruction. For exp4 and the activations built on it this is ~1.6× faster.

// The table: one f32 per entry, read with v128.load32_splat. Entries are named by index below.
const KT = memory.data<f32>([
  -87.33654, 88.3762626647949, 12582912.0, 1.44269504088896341, // exp: clamp, shifter, log2 e
  0.693359375, -2.12194440e-4, // exp: ln 2 in two parts
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, // exp: polynomial
  4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1.0, 2.0, 0.5, -0.0, 4.0, -4.0, // common
  -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, // erf: numerator
  -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02,
  -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, // erf: denominator
  -7.37332916720468e-03, -1.42647390514189e-02,
  -5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, // tanh: odd polynomial
  1.33314422036e-1, -3.33332819422e-1, 0.625,
]);
export const K_EXP_LO = 0, K_EXP_HI = 1, K_SHIFTER = 2, K_LOG2E = 3, K_LN2_HI = 4, K_LN2_LO = 5;
const K_EXP_P = 6; // 6 coefficients
export const K_ONE = 12, K_TWO = 13, K_HALF = 14, K_NEG_ZERO = 15, K_FOUR = 16, K_MINUS_FOUR = 17;
const K_ERF_P = 18; // 7 coefficients
const K_ERF_Q = 25; // 5 coefficients
const K_TANH_P = 30; // 5 coefficients
const K_TANH_SMALL = 35;

/** Constant `i` of the table in all four lanes (one load; `i` must be a constant). */
// @ts-ignore: decorator
@inline export function kc(i: i32): v128 {
  return v128.load32_splat(KT + (<usize>i << 2));
}

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
  // pmax/pmin are one instruction each (max/min need a NaN and ±0 fix-up sequence); a NaN in x0
  // stays NaN through both because it is their first operand
  const x = f32x4.pmin(f32x4.pmax(x0, kc(K_EXP_LO)), kc(K_EXP_HI));
  // n = nearest(x·log2 e) with the 1.5·2^23 shifter: the sum rounds to an integer (ties to even,
  // as f32x4.nearest does) whose bits, less the shifter's, are n: no float → int conversion
  const t = f32x4.add(f32x4.mul(x, kc(K_LOG2E)), kc(K_SHIFTER));
  const fx = f32x4.sub(t, kc(K_SHIFTER));
  const n = i32x4.sub(t, kc(K_SHIFTER));
  // two-constant ln2 split keeps r exact enough
  let r = f32x4.sub(x, f32x4.mul(fx, kc(K_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fx, kc(K_LN2_LO)));
  const z = f32x4.mul(r, r);
  let y = kc(K_EXP_P);
  y = f32x4.add(f32x4.mul(y, r), kc(K_EXP_P + 1));
  y = f32x4.add(f32x4.mul(y, r), kc(K_EXP_P + 2));
  y = f32x4.add(f32x4.mul(y, r), kc(K_EXP_P + 3));
  y = f32x4.add(f32x4.mul(y, r), kc(K_EXP_P + 4));
  y = f32x4.add(f32x4.mul(y, r), kc(K_EXP_P + 5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), kc(K_ONE));
  // 2^n: n in [-126, 128] after the clamp; split in two factors so n = -126..-127 stays normal.
  // (n + 127) << 23 is (n << 23) + the bits of 1.0.
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const p1 = i32x4.add(i32x4.shl(n1, 23), kc(K_ONE));
  const p2 = i32x4.add(i32x4.shl(n2, 23), kc(K_ONE));
  const r2 = f32x4.mul(f32x4.mul(y, p1), p2);
  // below the clamp the true value is subnormal or 0: flush to 0 (softmax masks rely on it)
  return v128.andnot(r2, f32x4.lt(x0, kc(K_EXP_LO)));
}

/** 1 / (1 + e^(−x)), exact at the tails (0 and 1). */
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(x));
  return f32x4.div(kc(K_ONE), f32x4.add(kc(K_ONE), e));
}

// erf(x) as a rational function on [-4, 4] (odd degree-13 numerator, even degree-8 denominator,
// the form Eigen and XNNPACK use); beyond ±4 erf is ±1 to f32 precision.
// @ts-ignore: decorator
@inline export function erf4(a: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(a, kc(K_MINUS_FOUR)), kc(K_FOUR)); // NaN stays NaN
  const x2 = f32x4.mul(x, x);
  let p = kc(K_ERF_P);
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 1));
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 2));
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 3));
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 4));
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 5));
  p = f32x4.add(f32x4.mul(p, x2), kc(K_ERF_P + 6));
  p = f32x4.mul(p, x);
  let q = kc(K_ERF_Q);
  q = f32x4.add(f32x4.mul(q, x2), kc(K_ERF_Q + 1));
  q = f32x4.add(f32x4.mul(q, x2), kc(K_ERF_Q + 2));
  q = f32x4.add(f32x4.mul(q, x2), kc(K_ERF_Q + 3));
  q = f32x4.add(f32x4.mul(q, x2), kc(K_ERF_Q + 4));
  return f32x4.div(p, q);
}

// tanh(x) (Cephes tanhf): odd polynomial for |x| < 0.625 where 1 − 2/(e^2x + 1) would cancel,
// that formula elsewhere; both computed, then blended by lane.
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = kc(K_TANH_P);
  p = f32x4.add(f32x4.mul(p, z), kc(K_TANH_P + 1));
  p = f32x4.add(f32x4.mul(p, z), kc(K_TANH_P + 2));
  p = f32x4.add(f32x4.mul(p, z), kc(K_TANH_P + 3));
  p = f32x4.add(f32x4.mul(p, z), kc(K_TANH_P + 4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = exp4(f32x4.add(ax, ax));
  let big = f32x4.sub(kc(K_ONE), f32x4.div(kc(K_TWO), f32x4.add(e, kc(K_ONE))));
  big = v128.or(big, v128.and(x, kc(K_NEG_ZERO))); // copy the sign of x
  return v128.bitselect(small, big, f32x4.lt(ax, kc(K_TANH_SMALL)));
}
