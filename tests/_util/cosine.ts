// Cosine similarity of each row pair of two row-major matrices with `dim` columns.

export function rowCosines(a: ArrayLike<number>, b: ArrayLike<number>, dim: number): number[] {
  return Array.from({ length: a.length / dim }, (_, r) => {
    let d = 0, x = 0, y = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) {
      d += a[i] * b[i];
      x += a[i] ** 2;
      y += b[i] ** 2;
    }
    return d / Math.sqrt(x * y);
  });
}
