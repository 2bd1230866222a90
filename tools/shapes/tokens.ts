// Tokenizes the training captions with edgeclip's own tokenizer (OpenAI clip.tokenize, id-exact),
// so the Python trainer sees exactly the ids the runtime will feed the model.
// Usage: deno run --allow-read --allow-write tools/shapes/tokens.ts BPE_DIR CAPTIONS.txt OUT.json
// (BPE_DIR holds vocab.json + merges.txt; CAPTIONS.txt one caption a line; OUT.json maps caption
// → [49406, ids…, 49407], unpadded.)

import { ClipTokenizer } from "../../src/tokenizer/mod.ts";

if (import.meta.main) {
  const [dir, captionsFile, out] = Deno.args;
  if (!out) {
    console.error("usage: tokens.ts BPE_DIR CAPTIONS.txt OUT.json");
    Deno.exit(2);
  }
  const tok = ClipTokenizer.fromFiles(
    await Deno.readFile(`${dir}/vocab.json`),
    await Deno.readFile(`${dir}/merges.txt`),
  );
  const captions = (await Deno.readTextFile(captionsFile)).split("\n").filter((l) => l !== "");
  const enc = tok.encodeBatch(captions, { truncate: false });
  const ids = Object.fromEntries(captions.map((c, i) => [c, Array.from(enc.ids[i])]));
  await Deno.writeTextFile(out, JSON.stringify(ids));
}
