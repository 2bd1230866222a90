// Row-wise softmax, max-subtracted, in place allowed: y = exp(x − max)/Σ.

import { exp4, hmax4, hsum4 } from "./simd";

// @ts-ignore: decorator
@inline export function softmaxRow(x: usize, y: usize, n: i32): void {
  let mv = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 4 <= n; c += 4) mv = f32x4.max(mv, v128.load(x + (<usize>c << 2)));
  let m = hmax4(mv);
  for (; c < n; c++) m = max<f32>(m, load<f32>(x + (<usize>c << 2)));
  const ms = f32x4.splat(m);
  let sv = f32x4.splat(0);
  c = 0;
  for (; c + 4 <= n; c += 4) {
    const e = exp4(f32x4.sub(v128.load(x + (<usize>c << 2)), ms));
    v128.store(y + (<usize>c << 2), e);
    sv = f32x4.add(sv, e);
  }
  let s = hsum4(sv);
  for (; c < n; c++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(x + (<usize>c << 2)) - m)), 0);
    store<f32>(y + (<usize>c << 2), e);
    s += e;
  }
  const inv = f32x4.splat(<f32>1.0 / s);
  c = 0;
  for (; c + 4 <= n; c += 4) v128.store(y + (<usize>c << 2), f32x4.mul(v128.load(y + (<usize>c << 2)), inv));
  const is = <f32>1.0 / s;
  for (; c < n; c++) store<f32>(y + (<usize>c << 2), load<f32>(y + (<usize>c << 2)) * is);
}

export function softmax_f32(x: usize, ldx: i32, y: usize, ldy: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    softmaxRow(x + (<usize>(r * ldx) << 2), y + (<usize>(r * ldy) << 2), cols);
  }
}
