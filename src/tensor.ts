// The public tensor: a typed array with a row-major shape. No math lives here.

/** `{ data, shape }`, row-major; `data.length` is the product of `shape`. */
export interface Tensor<D extends Float32Array | Int32Array = Float32Array | Int32Array> {
  /** The values, row-major. */
  readonly data: D;
  /** The size of each dimension, outermost first. */
  readonly shape: number[];
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a tensor, checking that the data length matches the shape. */
export function tensor<D extends Float32Array | Int32Array>(data: D, shape: number[]): Tensor<D> {
  if (data.length !== numel(shape)) {
    throw new RangeError(
      `tensor data has ${data.length} values, shape [${shape}] needs ${numel(shape)}`,
    );
  }
  return { data, shape };
}
