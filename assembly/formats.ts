// int8 formats: the packed weight layout of gemm_q8 and the activation formats it pairs with.
// Constants only (kernels live in quantize_q8.ts / gemm_q8.ts); mirrored by src/wasm/formats.ts
// and checked against it through q8_const (tests/kernels/formats_test.ts).
//
// Weights (layout version 2, "c4x12"): per-output-channel symmetric int8 (scale = amax/127, q in
// [-127, 127]). An [n × k] weight is stored as ceil(n/12) panels of 12 output columns; K is padded
// with zeros to a multiple of 8 (kp). Panel p holds kp/4 groups of 48 bytes; byte j·4 + t of
// group g is W[12p + j][4g + t]. Columns past n are zero. Every 16 bytes = 4 columns × 4 k: a
// relaxed int8 dot reads 16 bytes, the SIMD128 path widens 8 bytes (2 columns) at a time. (12
// columns measured ~5% faster than 8 for the relaxed 4-row kernel: 12 accumulators fit V8's 16 xmm.)
//
// Activations: per-row asymmetric, x ≈ s·(q − z) with 0 ≤ z ≤ qmax, packed in blocks of 4 rows:
// block b holds kp/4 groups of 4 rows × 4 k (row i, k t at (g·4 + i)·4 + t, in elements).
//   QA_U8: q in [0, 255], stored as i16 (dot_i16x8_s operand, the SIMD128 route)
//   QA_U7: q in [0, 127], stored as u8 (second operand of the relaxed i8×i7 dot; the SIMD128
//          build widens it and gets the same integers)
//   QA_U12: q in [0, 4095], stored as i16: the QA_U8 kernel unchanged (dot_i16x8_s takes any i16),
//          16× finer steps at no cost; |Σ (q − z)·w| ≤ 4095·127·k fits int32 for k ≤ 4129

// 4-bit weights (layout version 1, "q4_c4x12g32", gemm_q4.ts): per output channel a scale d
// (f32) and per group of Q4_GROUP values along K an integer multiplier m in [1, Q4_MMAX]; each
// weight is w ≈ d·m·s with s in [-8, 7], so every m·s is an int8 in [-120, 105] and the int32
// sums (and the epilogue, Σ m·s per channel as the "sum") are gemm_q8's. Panel p (12 columns)
// holds, per group of K (kp = padK(k); the last group may be shorter), 48 bytes of multipliers
// (3 × 8 i16: quarter j has m of columns 4j..4j+3, each twice: the second operand of the pair
// sum), then one 48-byte step per 8 k: quarter j's 16 bytes, byte 4l + t, hold s of column
// 4j + l at k0 + t (low nibble) and k0 + 4 + t (high nibble), 4-bit two's complement. A nibble
// masked in place (high) or shifted up (low) is the int8 16·s: the relaxed kernel feeds it to
// the same i8×i7 dot as int8 and divides the sums by 16 at the end (exact).

export const Q8_LAYOUT: i32 = 2;
export const Q8_NR: i32 = 12; // output columns per weight panel
export const Q8_KG: i32 = 4; // k values per group
export const Q8_KSTEP: i32 = 8; // K is padded to a multiple of this (kernels step two groups)
export const Q8_MR: i32 = 4; // rows per activation block
export const Q8_WMAX: i32 = 127; // weight levels: q in [-127, 127]
export const Q4_LAYOUT: i32 = 1;
export const Q4_GROUP: i32 = 32; // K values sharing a multiplier (a multiple of 8)
export const Q4_MMAX: i32 = 15; // group multipliers in [1, 15]
export const QA_U8: i32 = 0;
export const QA_U7: i32 = 1;
export const QA_U12: i32 = 2;

/** K rounded up to the padded length kp. */
// @ts-ignore: decorator
@inline export function padK(k: i32): i32 {
  return (k + Q8_KSTEP - 1) & ~(Q8_KSTEP - 1);
}

/** Largest activation level of a format (255 or 127). */
// @ts-ignore: decorator
@inline export function actMax(fmt: i32): i32 {
  return fmt == QA_U7 ? 127 : fmt == QA_U12 ? 4095 : 255;
}

/** Bytes per activation element of a format. */
// @ts-ignore: decorator
@inline export function actBytes(fmt: i32): i32 {
  return fmt == QA_U7 ? 1 : 2;
}

/** Bytes of a packed [n × k] weight. */
export function q8_packed_bytes(n: i32, k: i32): i32 {
  return ((n + Q8_NR - 1) / Q8_NR) * padK(k) * Q8_NR;
}

/** Groups along K of a 4-bit weight with k inputs. */
// @ts-ignore: decorator
@inline export function q4Groups(k: i32): i32 {
  return (padK(k) + Q4_GROUP - 1) / Q4_GROUP;
}

/** Bytes of one 12-column panel of a 4-bit weight with k inputs. */
// @ts-ignore: decorator
@inline export function q4PanelBytes(k: i32): i32 {
  return 48 * (q4Groups(k) + (padK(k) >> 3));
}

/** Bytes of a packed 4-bit [n × k] weight. */
export function q4_packed_bytes(n: i32, k: i32): i32 {
  return ((n + Q8_NR - 1) / Q8_NR) * q4PanelBytes(k);
}

/** Bytes of m packed activation rows of length k in format fmt. */
export function q8_act_bytes(m: i32, k: i32, fmt: i32): i32 {
  return ((m + Q8_MR - 1) / Q8_MR) * Q8_MR * padK(k) * actBytes(fmt);
}

/** The constants by index, for the parity test with src/wasm/formats.ts. */
export function q8_const(id: i32): i32 {
  switch (id) {
    case 0: return Q8_LAYOUT;
    case 1: return Q8_NR;
    case 2: return Q8_KG;
    case 3: return Q8_KSTEP;
    case 4: return Q8_MR;
    case 5: return Q8_WMAX;
    case 6: return QA_U8;
    case 7: return QA_U7;
    case 8: return actMax(QA_U8);
    case 9: return actMax(QA_U7);
    case 10: return actBytes(QA_U8);
    case 11: return actBytes(QA_U7);
    case 12: return QA_U12;
    case 13: return actMax(QA_U12);
    case 14: return actBytes(QA_U12);
    case 15: return Q4_LAYOUT;
    case 16: return Q4_GROUP;
    case 17: return Q4_MMAX;
  }
  return -1;
}
