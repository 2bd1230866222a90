// Reference activations in double precision, one per ABI code name (see src/wasm/abi.ts).

import type { ActName } from "../../src/wasm/abi.ts";
import { erf, sigmoid } from "./math.ts";

const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

export const ACT_REF: Record<ActName, (x: number) => number> = {
  none: (x) => x,
  quick_gelu: (x) => x * sigmoid(1.702 * x),
  gelu,
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(x, 0),
  silu: (x) => x * sigmoid(x),
  tanh: Math.tanh,
  sigmoid,
  leaky_relu: (x) => (x >= 0 ? x : 0.01 * x),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  mish: (x) => x * Math.tanh(x > 20 ? x : Math.log1p(Math.exp(x))),
  relu2: (x) => Math.max(x, 0) ** 2,
  gelu_10: (x) => Math.min(Math.max(gelu(x), -10), 10),
  laplace: (x) => 0.5 * (1 + erf((x - 0.707107) / (0.282095 * Math.SQRT2))),
  gelu_fast: (x) => 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x))),
};
