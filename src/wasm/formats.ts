// The int8 formats as one table (ggml's type_traits): each packed weight layout the int8 GEMM
// reads, with the activation formats it pairs with, and the activation formats themselves.
// Mirrors assembly/formats.ts; tests/kernels/formats_test.ts checks the two agree (q8_const).
// A new weight format is one more WEIGHT_FORMATS row (the 4-bit grouped one is the second).

export type ActFormatName = "u8" | "u7" | "u12";

/** How activations are quantized at run time (per row, asymmetric: x ≈ s·(q − z)). */
export interface ActFormat {
  readonly name: ActFormatName;
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
export const ACT_FORMATS = Object.freeze({
  u8: Object.freeze(
    {
      name: "u8",
      id: 0,
      qmax: 255,
      bytes: 2,
      dot: "i32x4.dot_i16x8_s",
      maxK: 32768,
    } as const,
  ),
  u7: Object.freeze(
    {
      name: "u7",
      id: 1,
      qmax: 127,
      bytes: 1,
      dot: "i16x8.relaxed_dot_i8x16_i7x16_s + i32x4.dot_i16x8_s(·, ones)",
      maxK: 32768,
    } as const,
  ),
  u12: Object.freeze(
    {
      name: "u12",
      id: 2,
      qmax: 4095,
      bytes: 2,
      dot: "i32x4.dot_i16x8_s",
      maxK: 4096,
    } as const,
  ),
}) satisfies Readonly<Record<ActFormatName, ActFormat>>;

/** ABI code of an activation format (what the kernels and LinearQ8.fmt carry). */
export type QaCode = typeof ACT_FORMATS[ActFormatName]["id"];

/** The ABI codes by name, read from ACT_FORMATS. */
export const QA: Readonly<Record<ActFormatName, QaCode>> = Object.freeze({
  u8: ACT_FORMATS.u8.id,
  u7: ACT_FORMATS.u7.id,
  u12: ACT_FORMATS.u12.id,
});

const BY_ID: readonly ActFormat[] = Object.values(ACT_FORMATS).sort((a, b) => a.id - b.id);

/** The activation format with ABI code `id`, or undefined (a lookup, for per-call use). */
export function actFormatOf(id: number): ActFormat | undefined {
  const f = BY_ID[id];
  return f?.id === id ? f : undefined;
}

/** A packed weight layout (assembly/formats.ts documents the byte order). */
export interface WeightFormat {
  /** Name written to a package's `__metadata__` (`edgeclip.q8_layout`). */
  readonly name: string;
  /** Version of the byte layout; bump on any change. */
  readonly layout: number;
  /** Bits per stored weight. */
  readonly bits: number;
  /** Output columns per panel. */
  readonly nr: number;
  /** K values per group (every 16 bytes: 4 columns × 4 k). */
  readonly kg: number;
  /** K is zero-padded to a multiple of kstep. */
  readonly kstep: number;
  /** Weights sharing one scale along K; 0: one scale per output channel (the whole row). */
  readonly group: number;
  /** Weights are symmetric: q in [-wmax, wmax], scale = amax / wmax. */
  readonly wmax: number;
  /** Largest K the GEMM accepts: int32 sums of qmax·wmax per product cannot overflow below it. */
  readonly maxK: number;
  /** The activation formats the GEMM pairs with this layout. */
  readonly acts: readonly ActFormatName[];
  /** Largest per-group integer multiplier (grouped formats: w = scale·m·q, m in [1, mmax]). */
  readonly mmax?: number;
}

/** The weight formats, by name. */
export const WEIGHT_FORMATS = Object.freeze({
  q8_c4x12: Object.freeze({
    name: "q8_c4x12",
    layout: 2,
    bits: 8,
    nr: 12,
    kg: 4,
    kstep: 8,
    group: 0,
    wmax: 127,
    maxK: 32768,
    acts: Object.freeze(["u8", "u7", "u12"] as const),
  }),
  // 4-bit: w = d·m·q per channel d, per group of 32 along K a multiplier m in [1, 15], q in
  // [-8, 7] (so m·q is an int8 and gemm_q4 shares gemm_q8's sums and epilogue); chosen on the
  // anchor ViT-B/32 with bench/anchor/int4_sim.ts (bench/results/int4_2026-12-07.md)
  q4_c4x12g32: Object.freeze({
    name: "q4_c4x12g32",
    layout: 1,
    bits: 4,
    nr: 12,
    kg: 4,
    kstep: 8,
    group: 32,
    wmax: 8,
    mmax: 15,
    // the relaxed route sums 16·m·q·x: 16·120·127·k < 2^31
    maxK: 8192,
    acts: Object.freeze(["u8", "u7", "u12"] as const),
  }),
}) satisfies Readonly<Record<string, WeightFormat>>;

/** The int8 per-channel layout gemm_q8 reads. */
export const Q8_WEIGHTS: WeightFormat = WEIGHT_FORMATS.q8_c4x12;

/** The 4-bit grouped layout gemm_q4 reads. */
export const Q4_WEIGHTS: WeightFormat = WEIGHT_FORMATS.q4_c4x12g32;

/** Rows per packed activation block. */
export const Q8_MR = 4;

/** K padded to the layout's multiple. */
export function padK(k: number, f: WeightFormat = Q8_WEIGHTS): number {
  return Math.ceil(k / f.kstep) * f.kstep;
}

/**
 * Shape of a packed [n × k] weight as stored in a package: int8 [panels, kp/kg, nr, kg]; grouped
 * 4-bit [panels, bytes per panel] (per group: 48 bytes of multipliers, then 48 per 8 k).
 */
export function packedShape(n: number, k: number, f: WeightFormat = Q8_WEIGHTS): number[] {
  const panels = Math.ceil(n / f.nr), kp = padK(k, f);
  if (f.group === 0) return [panels, kp / f.kg, f.nr, (f.kg * f.bits) / 8];
  const groups = Math.ceil(kp / f.group);
  return [panels, f.nr * 4 * (groups + kp / f.kstep)];
}

/** Bytes of a packed [n × k] weight. */
export function packedBytes(n: number, k: number, f: WeightFormat = Q8_WEIGHTS): number {
  return packedShape(n, k, f).reduce((a, d) => a * d, 1);
}

/** Entries of the per-channel scale and sum arrays (n rounded up to whole panels). */
export function paddedN(n: number, f: WeightFormat = Q8_WEIGHTS): number {
  return Math.ceil(n / f.nr) * f.nr;
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
  Q4_WEIGHTS.layout,
  Q4_WEIGHTS.group,
  Q4_WEIGHTS.mmax!,
];
