// Token-embedding tables behind one interface (f32 rows here; a quantized table plugs in the same
// way): gather rows for a list of ids into a [n × hidden] matrix.

import { EdgeClipError } from "../errors.ts";
import type { Kernels, Mat } from "../wasm/kernels.ts";
import type { WeightScope } from "./weights.ts";

export interface Embedding {
  readonly vocab: number;
  readonly dim: number;
  /** out[i] = table[ids[i]]; ids must lie in [0, vocab). */
  gather(ids: ArrayLike<number>, out: Mat): void;
}

export type EmbeddingLoader = (
  scope: WeightScope,
  vocab: number,
  dim: number,
) => Promise<Embedding>;

/** Throws `invalid_input` naming the first id outside the vocabulary. */
export function checkIds(ids: ArrayLike<number>, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new EdgeClipError(
        "invalid_input",
        `token id ${id} at position ${i} is outside the vocabulary [0, ${vocab})`,
        { position: i, id, vocab },
      );
    }
  }
}

export class EmbeddingF32 implements Embedding {
  constructor(
    readonly k: Kernels,
    readonly table: Mat, // [vocab × dim]
    readonly vocab: number,
    readonly dim: number,
  ) {}

  gather(ids: ArrayLike<number>, out: Mat): void {
    checkIds(ids, this.vocab);
    this.k.gatherRows(this.table, ids, out);
  }
}

export const loadEmbeddingF32: EmbeddingLoader = async (scope, vocab, dim) =>
  new EmbeddingF32(scope.store.k, await scope.mat("weight", [vocab, dim]), vocab, dim);
