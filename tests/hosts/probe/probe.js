// The host probe, run unchanged by Node and in a browser page: loads a model with the installed
// edgeclip package, embeds texts, encoded images and raw pixels, and says when (ms since the
// process or page started) the first embedding was ready.

/**
 * @param {typeof import("edgeclip")} edgeclip the package's module
 * @param {{ model: unknown, texts: string[], images: unknown[], pixels: unknown }} inputs
 */
export async function probe(edgeclip, inputs) {
  const clip = await edgeclip.loadClip(inputs.model);
  const text = await clip.embedText(inputs.texts);
  const firstMs = performance.now();
  const images = await clip.embedImage(inputs.images);
  const [pixels] = await clip.embedImage(inputs.pixels);
  clip.dispose();
  const plain = (v) => Array.from(v);
  return { firstMs, text: text.map(plain), images: images.map(plain), pixels: plain(pixels) };
}
