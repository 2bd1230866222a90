// Row-wise layer norm: y = (x − mean)/√(var + eps)·γ + β, two passes in f32 as torch does
// (biased variance). gamma/beta may be 0 (no affine part).

import { hsum4 } from "./simd";

export function layer_norm_f32(
  x: usize, ldx: i32, y: usize, ldy: i32, rows: i32, cols: i32,
  gamma: usize, beta: usize, eps: f32,
): void {
  const inv = <f32>1.0 / <f32>cols;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * ldx) << 2);
    const yr = y + (<usize>(r * ldy) << 2);
    let s = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) s = f32x4.add(s, v128.load(xr + (<usize>c << 2)));
    let sum = hsum4(s);
    for (; c < cols; c++) sum += load<f32>(xr + (<usize>c << 2));
    const mean = sum * inv;
    const mv = f32x4.splat(mean);
    let q = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= cols; c += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>c << 2)), mv);
      q = f32x4.add(q, f32x4.mul(d, d));
    }
    let sq = hsum4(q);
    for (; c < cols; c++) {
      const d = load<f32>(xr + (<usize>c << 2)) - mean;
      sq += d * d;
    }
    const rstd = <f32>1.0 / Mathf.sqrt(sq * inv + eps);
    const rv = f32x4.splat(rstd);
    c = 0;
    for (; c + 4 <= cols; c += 4) {
      let v = f32x4.mul(f32x4.sub(v128.load(xr + (<usize>c << 2)), mv), rv);
      if (gamma) v = f32x4.mul(v, v128.load(gamma + (<usize>c << 2)));
      if (beta) v = f32x4.add(v, v128.load(beta + (<usize>c << 2)));
      v128.store(yr + (<usize>c << 2), v);
    }
    for (; c < cols; c++) {
      let v = (load<f32>(xr + (<usize>c << 2)) - mean) * rstd;
      if (gamma) v *= load<f32>(gamma + (<usize>c << 2));
      if (beta) v += load<f32>(beta + (<usize>c << 2));
      store<f32>(yr + (<usize>c << 2), v);
    }
  }
}
