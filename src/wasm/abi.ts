// The contract between assembly/ and the TypeScript side: every export with its wasm signature,
// and the constants both sides must agree on. build.ts checks compiled modules against this table.

import { EdgeClipError } from "../errors.ts";

/** The custom section in which build.ts names a module's variant ("relaxed" or "simd128"). */
export const VARIANT_SECTION = "edgeclip.variant";

/** Wasm value types used by the kernels (pointers are i32 in wasm32). */
export type ValType = "i32" | "f32";

/** Export name → [params, results]. */
export const KERNEL_ABI: Record<string, readonly [readonly ValType[], readonly ValType[]]> = {
  heap_base: [[], ["i32"]],
  act_f32: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  packed_f32_bytes: [["i32", "i32"], ["i32"]],
  pack_f32: [["i32", "i32", "i32", "i32", "i32"], []],
  unpack_f32: [["i32", "i32", "i32", "i32", "i32"], []],
  gemm_f32: [
    ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    [],
  ],
  layer_norm_f32: [["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "f32"], []],
  softmax_f32: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  attention_f32: [
    [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32", // q, ldq, k, ldk, v, ldv, o, ldo
      "i32",
      "i32",
      "i32",
      "i32",
      "f32", // sq, sk, heads, hd, scale
      "i32",
      "i32",
      "i32",
      "i32", // causal, shift, keybias, scratch
    ],
    [],
  ],
  attention_f32_scratch_bytes: [["i32", "i32"], ["i32"]],
  binary_f32: [
    ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "f32"],
    [],
  ],
  affine_f32: [["i32", "i32", "i32", "i32", "i32", "i32", "f32", "f32"], []],
  im2col_f32: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  // image preprocessing (assembly/resize_u8.ts, assembly/normalize.ts)
  resample_h_u8: [
    ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    [],
  ],
  resample_v_u8: [["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  normalize_rgb_f32: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  premultiply_u8: [["i32", "i32", "i32"], []],
  unpremultiply_u8: [["i32", "i32", "i32"], []],
  // JPEG decoding (assembly/jpeg_idct.ts, jpeg_upsample.ts, jpeg_color.ts)
  jpeg_idct_islow: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  jpeg_h2v1_fancy: [["i32", "i32", "i32"], []],
  jpeg_h2v2_fancy: [["i32", "i32", "i32", "i32"], []],
  jpeg_h1v2_fancy: [["i32", "i32", "i32", "i32", "i32"], []],
  jpeg_box_row: [["i32", "i32", "i32", "i32"], []],
  jpeg_ycc_rgb: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  jpeg_ycck_cmyk: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  jpeg_interleave3: [["i32", "i32", "i32", "i32", "i32"], []],
  jpeg_interleave4_inv: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  jpeg_decode_rows: [["i32", "i32", "i32", "i32"], ["i32"]],
  // int8 path (assembly/formats.ts, quantize_q8.ts, gemm_q8.ts)
  q8_const: [["i32"], ["i32"]],
  q8_packed_bytes: [["i32", "i32"], ["i32"]],
  q8_act_bytes: [["i32", "i32", "i32"], ["i32"]],
  quantize_pack_q8: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  unpack_q8: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  quantize_act_q8: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  quantize_rows_q8: [["i32", "i32", "i32", "i32", "i32", "i32"], []],
  gather_q8: [["i32", "i32", "i32", "i32", "i32", "i32", "i32"], []],
  gemm_q8: [
    [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
    ],
    [],
  ],
};

/** Exports whose bodies must contain v128 instructions (the build fails otherwise). */
export const SIMD_KERNELS: readonly string[] = [
  "act_f32",
  "gemm_f32",
  "layer_norm_f32",
  "softmax_f32",
  "attention_f32",
  "binary_f32",
  "affine_f32",
  "resample_h_u8",
  "resample_v_u8",
  "normalize_rgb_f32",
  "premultiply_u8",
  "jpeg_idct_islow",
  "jpeg_h2v1_fancy",
  "jpeg_h2v2_fancy",
  "jpeg_h1v2_fancy",
  "jpeg_box_row",
  "jpeg_ycc_rgb",
  "jpeg_ycck_cmyk",
  "jpeg_interleave3",
  "jpeg_interleave4_inv",
  "quantize_pack_q8",
  "quantize_act_q8",
  "quantize_rows_q8",
  "gather_q8",
  "gemm_q8",
];

/** Exports that must use relaxed-SIMD instructions in the relaxed build. */
export const RELAXED_KERNELS: readonly string[] = ["gemm_f32", "attention_f32", "gemm_q8"];

/** Activation codes of assembly/activation.ts. */
export const ACT = {
  none: 0,
  quick_gelu: 1,
  gelu: 2,
  gelu_tanh: 3,
  relu: 4,
  silu: 5,
  tanh: 6,
  sigmoid: 7,
  leaky_relu: 8,
  relu6: 9,
  mish: 10,
  relu2: 11,
  gelu_10: 12,
  laplace: 13,
  gelu_fast: 14,
} as const;
export type ActName = keyof typeof ACT;

/** Binary op codes of assembly/elementwise.ts. */
export const OP = { add: 0, mul: 1 } as const;

/** Output columns per packed f32 weight panel (assembly/gemm_f32.ts GEMM_NR). */
export const GEMM_F32_NR = 8;

/** Activation by name or ABI code. */
export type Act = ActName | number;

/** The ABI code of an activation; a name must be one of ACT's own (never Object.prototype's). */
export function actCode(a: Act | undefined): number {
  if (a === undefined) return 0;
  if (typeof a === "number") return a;
  if (typeof a !== "string" || !Object.hasOwn(ACT, a)) {
    throw new EdgeClipError("runtime", `kernel call: unknown activation ${String(a)}`);
  }
  return ACT[a];
}
