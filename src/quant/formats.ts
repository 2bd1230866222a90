// The int8 formats as a table (ggml's type_traits): the packed weight layout gemm_q8 reads and the
// activation formats it pairs with. Mirrors assembly/formats.ts; tests/quant/formats_test.ts
// checks the two agree (through the module's q8_const export).

/** Packed int8 weight layout (assembly/formats.ts documents the byte order). */
export const Q8_WEIGHTS = Object.freeze({
  /** Name written to a package's `__metadata__` (`edgeclip.q8_layout`). */
  name: "q8_c4x12",
  /** Version of the byte layout; bump on any change. */
  layout: 2,
  /** Output columns per panel. */
  nr: 12,
  /** K values per group (every 16 bytes: 4 columns × 4 k). */
  kg: 4,
  /** K is zero-padded to a multiple of kstep. */
  kstep: 8,
  /** Weights are symmetric: q in [-wmax, wmax], scale = amax / wmax. */
  wmax: 127,
});

/** Rows per packed activation block. */
export const Q8_MR = 4;

/** How activations are quantized at run time (per row, asymmetric: x ≈ s·(q − z)). */
export interface ActFormat {
  readonly name: "u8" | "u7" | "u12";
  /** ABI code (assembly/formats.ts QA_*). */
  readonly id: number;
  /** q in [0, qmax]. */
  readonly qmax: number;
  /** Bytes per stored value (u8 is widened to i16 for dot_i16x8_s). */
  readonly bytes: number;
  /** The instruction the relaxed build uses; the SIMD128 build always uses dot_i16x8_s. */
  readonly dot: string;
  /** Largest K whose exact sum fits int32: K·127·qmax < 2^31. */
  readonly maxK: number;
}

/** The activation formats, by name. */
export const ACT_FORMATS: Readonly<Record<"u8" | "u7" | "u12", ActFormat>> = Object.freeze({
  u8: Object.freeze({
    name: "u8",
    id: 0,
    qmax: 255,
    bytes: 2,
    dot: "i32x4.dot_i16x8_s",
    maxK: 32768,
  }),
  u7: Object.freeze({
    name: "u7",
    id: 1,
    qmax: 127,
    bytes: 1,
    dot: "i16x8.relaxed_dot_i8x16_i7x16_s + i32x4.dot_i16x8_s(·, ones)",
    maxK: 32768,
  }),
  u12: Object.freeze({
    name: "u12",
    id: 2,
    qmax: 4095,
    bytes: 2,
    dot: "i32x4.dot_i16x8_s",
    maxK: 4096,
  }),
});

export type ActFormatName = keyof typeof ACT_FORMATS;

/** K padded to the layout's multiple. */
export function padK(k: number): number {
  return Math.ceil(k / Q8_WEIGHTS.kstep) * Q8_WEIGHTS.kstep;
}

/** Shape of a packed [n × k] weight as stored in a package: [panels, kp/4, 12, 4] (int8). */
export function packedShape(n: number, k: number): number[] {
  const { nr, kg } = Q8_WEIGHTS;
  return [Math.ceil(n / nr), padK(k) / kg, nr, kg];
}

/** Bytes of a packed [n × k] weight. */
export function packedBytes(n: number, k: number): number {
  return packedShape(n, k).reduce((a, d) => a * d, 1);
}

/** Entries of the per-channel scale and sum arrays (n rounded up to whole panels). */
export function paddedN(n: number): number {
  return Math.ceil(n / Q8_WEIGHTS.nr) * Q8_WEIGHTS.nr;
}

/** Bytes of m packed activation rows of length k. */
export function actBytes(m: number, k: number, fmt: ActFormat): number {
  return Math.ceil(m / Q8_MR) * Q8_MR * padK(k) * fmt.bytes;
}

/**
 * The constants in the order of assembly/formats.ts q8_const(id), for the parity test.
 */
export const Q8_CONSTS: readonly number[] = [
  Q8_WEIGHTS.layout,
  Q8_WEIGHTS.nr,
  Q8_WEIGHTS.kg,
  Q8_WEIGHTS.kstep,
  Q8_MR,
  Q8_WEIGHTS.wmax,
  ACT_FORMATS.u8.id,
  ACT_FORMATS.u7.id,
  ACT_FORMATS.u8.qmax,
  ACT_FORMATS.u7.qmax,
  ACT_FORMATS.u8.bytes,
  ACT_FORMATS.u7.bytes,
  ACT_FORMATS.u12.id,
  ACT_FORMATS.u12.qmax,
  ACT_FORMATS.u12.bytes,
];

/** Largest K gemm_q8 accepts: int32 sums of 255·127 per product cannot overflow below it. */
export const Q8_MAX_K = 32768;
