// Every kernel test runs on each module variant this host can run.

import { Kernels } from "../../src/wasm/kernels.ts";
import { kernelBytes, type KernelVariant } from "../../src/wasm/module.ts";

export const VARIANTS: KernelVariant[] = (["relaxed", "simd128"] as const).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);

/** Runs fn once per variant with a fresh kernel instance. */
export function eachVariant(fn: (k: Kernels, variant: KernelVariant) => void): void {
  for (const v of VARIANTS) fn(Kernels.create(v), v);
}
