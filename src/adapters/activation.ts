// Non-linearity names of adapter configs → kernel activations. The library maps None to identity,
// "leakyrelu" to leaky ReLU (slope 0.01), and everything else through transformers'
// get_activation(lower(name)) (adapters methods/modeling.py Activation_Function_Class).

import { EdgeClipError } from "../errors.ts";
import type { ActName } from "../wasm/abi.ts";

const NAMES: Record<string, ActName> = {
  linear: "none",
  relu: "relu",
  leakyrelu: "leaky_relu",
  leaky_relu: "leaky_relu",
  gelu: "gelu", // exact erf GELU
  gelu_python: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_accurate: "gelu_tanh", // same tanh formula (√(2/π) computed from π)
  gelu_fast: "gelu_fast",
  gelu_10: "gelu_10",
  quick_gelu: "quick_gelu",
  swish: "silu",
  silu: "silu",
  tanh: "tanh",
  sigmoid: "sigmoid",
  mish: "mish",
  relu6: "relu6",
  relu2: "relu2",
  laplace: "laplace",
};

/** The kernel activation of a config's non_linearity (null = identity). */
export function adapterActivation(name: string | null, field = "non_linearity"): ActName {
  if (name === null) return "none";
  const key = name.toLowerCase();
  const act = Object.hasOwn(NAMES, key) ? NAMES[key] : undefined; // own entries only
  if (!act) {
    throw new EdgeClipError(
      "adapter_unsupported",
      `${field} ${JSON.stringify(name)} is not an activation this runtime knows ` +
        `(known: ${Object.keys(NAMES).join(", ")})`,
      { field, found: name },
    );
  }
  return act;
}
