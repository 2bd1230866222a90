// The ABI: every export the TypeScript side calls (checked by build.ts against src/wasm/abi.ts).
// No logic here.

export function heap_base(): usize {
  return __heap_base;
}

export { act_f32 } from "./activation";
export { packed_f32_bytes, pack_f32, unpack_f32, gemm_f32 } from "./gemm_f32";
export { layer_norm_f32 } from "./norm";
export { softmax_f32 } from "./softmax";
export { attention_f32, attention_f32_scratch_bytes } from "./attention_f32";
export { binary_f32, affine_f32, im2col_f32 } from "./elementwise";
export { resample_h_u8, resample_v_u8 } from "./resize_u8";
export { normalize_rgb_f32 } from "./normalize";
export { premultiply_u8, unpremultiply_u8 } from "./alpha_u8";
export { q8_const, q8_packed_bytes, q8_act_bytes, q4_packed_bytes } from "./formats";
export { quantize_pack_q8, unpack_q8, quantize_act_q8, quantize_rows_q8, gather_q8 } from "./quantize_q8";
export { gemm_q8 } from "./gemm_q8";
export { quantize_pack_q4, unpack_q4 } from "./quantize_q4";
export { gemm_q4 } from "./gemm_q4";
export { jpeg_idct_islow } from "./jpeg_idct";
export { jpeg_h2v1_fancy, jpeg_h2v2_fancy, jpeg_h1v2_fancy, jpeg_box_row } from "./jpeg_upsample";
export { jpeg_ycc_rgb, jpeg_ycck_cmyk, jpeg_interleave3, jpeg_interleave4_inv } from "./jpeg_color";
export { jpeg_decode_rows } from "./jpeg_entropy";
