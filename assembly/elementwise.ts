// Small element-wise kernels over strided row blocks. A row stride of 0 for `b` broadcasts one
// row to every row (bias-like vectors, per-channel scales).

import { fma4 } from "./simd";

export const OP_ADD: i32 = 0; // c = a + α·b
export const OP_MUL: i32 = 1; // c = a·b·α

export function binary_f32(
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  rows: i32, cols: i32, op: i32, alpha: f32,
): void {
  const av = f32x4.splat(alpha);
  for (let r = 0; r < rows; r++) {
    const ar = a + (<usize>(r * lda) << 2);
    const br = b + (<usize>(r * ldb) << 2);
    const cr = c + (<usize>(r * ldc) << 2);
    let i = 0;
    if (op == OP_ADD) {
      if (alpha == 1) {
        for (; i + 4 <= cols; i += 4) v128.store(cr + (<usize>i << 2), f32x4.add(v128.load(ar + (<usize>i << 2)), v128.load(br + (<usize>i << 2))));
        for (; i < cols; i++) store<f32>(cr + (<usize>i << 2), load<f32>(ar + (<usize>i << 2)) + load<f32>(br + (<usize>i << 2)));
      } else {
        for (; i + 4 <= cols; i += 4) v128.store(cr + (<usize>i << 2), f32x4.add(v128.load(ar + (<usize>i << 2)), f32x4.mul(av, v128.load(br + (<usize>i << 2)))));
        for (; i < cols; i++) store<f32>(cr + (<usize>i << 2), load<f32>(ar + (<usize>i << 2)) + alpha * load<f32>(br + (<usize>i << 2)));
      }
    } else {
      for (; i + 4 <= cols; i += 4) v128.store(cr + (<usize>i << 2), f32x4.mul(f32x4.mul(v128.load(ar + (<usize>i << 2)), v128.load(br + (<usize>i << 2))), av));
      for (; i < cols; i++) store<f32>(cr + (<usize>i << 2), load<f32>(ar + (<usize>i << 2)) * load<f32>(br + (<usize>i << 2)) * alpha);
    }
  }
}

/** y = α·x + β over a strided block (in place allowed). */
export function affine_f32(x: usize, ldx: i32, y: usize, ldy: i32, rows: i32, cols: i32, alpha: f32, beta: f32): void {
  const av = f32x4.splat(alpha), bv = f32x4.splat(beta);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * ldx) << 2);
    const yr = y + (<usize>(r * ldy) << 2);
    let i = 0;
    for (; i + 4 <= cols; i += 4) v128.store(yr + (<usize>i << 2), fma4(v128.load(xr + (<usize>i << 2)), av, bv));
    for (; i < cols; i++) store<f32>(yr + (<usize>i << 2), load<f32>(xr + (<usize>i << 2)) * alpha + beta);
  }
}

/**
 * Patch extraction for a stride-p, kernel-p convolution (ViT patch embedding as a GEMM):
 * img [ch × h × w] → out [(h/p)·(w/p) × ch·p·p], each row in the conv weight's (c, y, x) order.
 */
export function im2col_f32(img: usize, ch: i32, h: i32, w: i32, p: i32, out: usize): void {
  const gh = h / p, gw = w / p;
  const rowLen = ch * p * p;
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let dst = out + (<usize>((gy * gw + gx) * rowLen) << 2);
      for (let c = 0; c < ch; c++) {
        for (let y = 0; y < p; y++) {
          const src = img + (<usize>((c * h + gy * p + y) * w + gx * p) << 2);
          memory.copy(dst, src, <usize>p << 2);
          dst += <usize>p << 2;
        }
      }
    }
  }
}
