// LayerNorm with affine parameters; eps from the config (CLIP: 1e-5).

import type { Kernels, Mat, Vec } from "../wasm/kernels.ts";
import type { WeightScope } from "./weights.ts";

export class LayerNorm {
  constructor(
    readonly k: Kernels,
    readonly gamma: Vec, // [dim]
    readonly beta: Vec, // [dim]
    readonly dim: number,
    readonly eps: number,
  ) {}

  static async load(scope: WeightScope, dim: number, eps: number): Promise<LayerNorm> {
    const gamma = await scope.vec("weight", dim);
    const beta = await scope.vec("bias", dim);
    return new LayerNorm(scope.store.k, gamma, beta, dim, eps);
  }

  forward(x: Mat, out: Mat): void {
    this.k.layerNorm(x, out, this.gamma, this.beta, this.eps);
  }
}
