// Vector math on embeddings: what users compare them with.

/**
 * Cosine similarity of two vectors (equal lengths): the dot product for L2-normalised
 * embeddings, as embedText and embedImage return them.
 *
 * @example
 * ```ts
 * const [a] = await clip.embedText("a photo of a cat");
 * const [b] = await clip.embedImage(await Deno.readFile("cat.jpg"));
 * cosine(a, b); // ~0.3 for a match with a real CLIP
 * ```
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
