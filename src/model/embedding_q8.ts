// int8 token-embedding table: symmetric int8 per row (one scale per token), dequantized rows are
// gathered on lookup. 4× smaller than f32 (CLIP: 25 MB instead of 101 MB). Quantized at load
// here; the package reader (package/read.ts) copies a packaged table as stored.

import type { Buf, Kernels, Mat, Vec } from "../wasm/kernels.ts";
import { checkIds, type Embedding, type EmbeddingLoader } from "./embedding.ts";

export class EmbeddingQ8 implements Embedding {
  constructor(
    readonly k: Kernels,
    readonly table: Buf<"i8">, // [vocab × dim]
    readonly scales: Vec, // [vocab]
    readonly vocab: number,
    readonly dim: number,
  ) {}

  gather(ids: ArrayLike<number>, out: Mat): void {
    checkIds(ids, this.vocab);
    this.k.q8.gather(this.table, this.scales, ids, out);
  }
}

/** Rows quantized per slice, so an f32 table never sits in memory whole. */
const SLICE_ROWS = 2048;

/** Quantizes an f32 `<scope>.weight` [vocab × dim] at load. */
export const quantizingEmbeddingLoader: EmbeddingLoader = async (scope, vocab, dim) => {
  const store = scope.store, { k, owner } = store;
  const e = store.entry(scope.key("weight"), [vocab, dim]);
  const table = owner.buf("i8", vocab * dim);
  const scales = owner.vec(vocab);
  const tmp = k.owner(); // not scratch: the reads await
  try {
    const buf = tmp.mat(Math.min(SLICE_ROWS, vocab), dim);
    for (let r0 = 0; r0 < vocab; r0 += SLICE_ROWS) {
      const rows = k.view(buf, 0, Math.min(SLICE_ROWS, vocab - r0));
      await store.readRowsF32(e, r0, rows);
      k.q8.quantizeRows(rows, table, scales, r0);
    }
  } finally {
    tmp.free();
  }
  return new EmbeddingQ8(k, table, scales, vocab, dim);
};
