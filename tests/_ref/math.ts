// Double-precision special functions for the references (JavaScript has no erf).

/** erf(x) to ~1e-15: Taylor series near 0, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let sum = 0, term = ax, n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3) {
      sum += term / (2 * n + 1);
      n++;
      term *= -ax * ax / n;
      if (n > 200) break;
    }
    return Math.sign(x) * sum * 2 / Math.sqrt(Math.PI);
  }
  if (ax > 6) return Math.sign(x);
  // erfc x = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz)
  let f = ax, c = ax, d = 0;
  for (let i = 1; i < 300; i++) {
    const a = i / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
