// Element-wise activations by code, so the GEMM epilogue and the stand-alone kernel share one
// definition. The codes are part of the ABI (mirrored in src/wasm/abi.ts).

import { erf4, exp4, K_HALF, K_ONE, kc, sigmoid4, tanh4 } from "./simd";

export const ACT_NONE: i32 = 0;
export const ACT_QUICK_GELU: i32 = 1; // x·σ(1.702x), CLIP's default
export const ACT_GELU: i32 = 2; // exact: ½x(1 + erf(x/√2))
export const ACT_GELU_TANH: i32 = 3; // gelu_new / gelu_pytorch_tanh
export const ACT_RELU: i32 = 4;
export const ACT_SILU: i32 = 5; // swish
export const ACT_TANH: i32 = 6;
export const ACT_SIGMOID: i32 = 7;
export const ACT_LEAKY_RELU: i32 = 8; // slope 0.01 (torch default)
export const ACT_RELU6: i32 = 9;
export const ACT_MISH: i32 = 10; // x·tanh(softplus x)
export const ACT_RELU2: i32 = 11; // relu(x)²
export const ACT_GELU_10: i32 = 12; // gelu clipped to [-10, 10]
export const ACT_LAPLACE: i32 = 13; // ½(1 + erf((x − μ)/(σ√2))), μ = 0.707107, σ = 0.282095
export const ACT_GELU_FAST: i32 = 14; // ½x(1 + tanh(0.7978845608·x·(1 + 0.044715x²)))

// Constants as broadcast loads (see simd.ts: a v128.const costs several instructions per use).
const AT = memory.data<f32>([
  1.702, 0.7071067811865476, 0.7978845608028654, 0.044715, 0.01, 6.0, 10.0, -10.0,
  0.707107, <f32>(0.282095 * 1.4142135623730951), 0.7978845608, 20.0,
]);
const A_QUICK = 0, A_SQRT1_2 = 1, A_SQRT_2_PI = 2, A_GELU_C = 3, A_LEAKY = 4, A_SIX = 5;
const A_TEN = 6, A_MINUS_TEN = 7, A_LAPLACE_MU = 8, A_LAPLACE_S = 9, A_SQRT_2_PI_F = 10;
const A_SOFTPLUS_MAX = 11;

// @ts-ignore: decorator
@inline function ac(i: i32): v128 {
  return v128.load32_splat(AT + (<usize>i << 2));
}

// softplus as torch computes it: x for x > 20, else log1p(exp(x)); log1p by scalar Mathf
// @ts-ignore: decorator
@inline function softplus4(x: v128): v128 {
  const e = exp4(x);
  const l = f32x4(
    Mathf.log1p(f32x4.extract_lane(e, 0)),
    Mathf.log1p(f32x4.extract_lane(e, 1)),
    Mathf.log1p(f32x4.extract_lane(e, 2)),
    Mathf.log1p(f32x4.extract_lane(e, 3)),
  );
  return v128.bitselect(x, l, f32x4.gt(x, ac(A_SOFTPLUS_MAX)));
}

/** Applies activation `kind` to 4 lanes. Not inlined: the switch would bloat every caller. */
export function act4(v: v128, kind: i32): v128 {
  switch (kind) {
    case ACT_QUICK_GELU:
      return f32x4.mul(v, sigmoid4(f32x4.mul(v, ac(A_QUICK))));
    case ACT_GELU:
      return f32x4.mul(
        f32x4.mul(v, kc(K_HALF)),
        f32x4.add(kc(K_ONE), erf4(f32x4.mul(v, ac(A_SQRT1_2)))),
      );
    case ACT_GELU_TANH: {
      const c = f32x4.mul(v, f32x4.mul(v, v));
      const inner = f32x4.mul(
        ac(A_SQRT_2_PI),
        f32x4.add(v, f32x4.mul(ac(A_GELU_C), c)),
      );
      return f32x4.mul(f32x4.mul(kc(K_HALF), v), f32x4.add(kc(K_ONE), tanh4(inner)));
    }
    case ACT_RELU:
      return f32x4.max(v, f32x4.splat(0.0));
    case ACT_SILU:
      return f32x4.mul(v, sigmoid4(v));
    case ACT_TANH:
      return tanh4(v);
    case ACT_SIGMOID:
      return sigmoid4(v);
    case ACT_LEAKY_RELU:
      return v128.bitselect(v, f32x4.mul(v, ac(A_LEAKY)), f32x4.ge(v, f32x4.splat(0.0)));
    case ACT_RELU6:
      return f32x4.min(f32x4.max(v, f32x4.splat(0.0)), ac(A_SIX));
    case ACT_MISH:
      return f32x4.mul(v, tanh4(softplus4(v)));
    case ACT_RELU2: {
      const r = f32x4.max(v, f32x4.splat(0.0));
      return f32x4.mul(r, r);
    }
    case ACT_GELU_10: {
      const g = f32x4.mul(
        f32x4.mul(v, kc(K_HALF)),
        f32x4.add(kc(K_ONE), erf4(f32x4.mul(v, ac(A_SQRT1_2)))),
      );
      return f32x4.min(f32x4.max(g, ac(A_MINUS_TEN)), ac(A_TEN));
    }
    case ACT_LAPLACE: {
      const z = f32x4.div(
        f32x4.sub(v, ac(A_LAPLACE_MU)),
        ac(A_LAPLACE_S),
      );
      return f32x4.mul(kc(K_HALF), f32x4.add(kc(K_ONE), erf4(z)));
    }
    case ACT_GELU_FAST: {
      const inner = f32x4.mul(
        f32x4.mul(v, ac(A_SQRT_2_PI_F)),
        f32x4.add(kc(K_ONE), f32x4.mul(ac(A_GELU_C), f32x4.mul(v, v))),
      );
      return f32x4.mul(f32x4.mul(kc(K_HALF), v), f32x4.add(kc(K_ONE), tanh4(inner)));
    }
    default:
      return v;
  }
}

/** Scalar form: one lane through act4, so tails match the vector body bit for bit. */
// @ts-ignore: decorator
@inline export function act1(x: f32, kind: i32): f32 {
  return f32x4.extract_lane(act4(f32x4.splat(x), kind), 0);
}

/**
 * y = act(x) over a rows×cols block with row strides (in elements); in place when x == y.
 */
export function act_f32(x: usize, ldx: i32, y: usize, ldy: i32, rows: i32, cols: i32, kind: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * ldx) << 2);
    const yr = y + (<usize>(r * ldy) << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      v128.store(yr + (<usize>c << 2), act4(v128.load(xr + (<usize>c << 2)), kind));
    }
    for (; c < cols; c++) store<f32>(yr + (<usize>c << 2), act1(load<f32>(xr + (<usize>c << 2)), kind));
  }
}
