// Tokenizer benchmarks: the cost of loading CLIP's vocabulary (vocab.json + merges.txt from
// ../shared/data/clip-bpe) and warm throughput on a mixed corpus.
//   deno bench --allow-read bench/tokenizer_bench.ts
// Tokens/s = TOKENS_PER_PASS (printed once) / the reported time per iteration.

import { ClipTokenizer, MAX_SCAN_CHARS } from "../src/tokenizer/mod.ts";

const dir = decodeURIComponent(new URL("../../shared/data/clip-bpe/", import.meta.url).pathname);
const vocabBytes = Deno.readFileSync(`${dir}vocab.json`);
const mergesBytes = Deno.readFileSync(`${dir}merges.txt`);

// Cold load: the first fromFiles in this process, before any JIT warm-up.
const t0 = performance.now();
const tok = ClipTokenizer.fromFiles(vocabBytes, mergesBytes);
const coldMs = performance.now() - t0;

const CAPTIONS = [
  "A man riding a wave on top of a surfboard.",
  "A kitchen with stainless steel appliances and granite countertops.",
  "Two dogs playing with a frisbee in a grassy park on a sunny afternoon",
  "A red double-decker bus driving down a busy city street in London",
  "A plate of spaghetti with meatballs and a glass of red wine.",
  "Children flying kites on a windy beach at sunset",
  "An old lighthouse on a rocky coast, waves crashing against the rocks",
  "A bowl of fresh fruit: apples, bananas, and oranges on a wooden table.",
];
const PROMPTS = ["cat", "golden retriever", "school bus", "espresso", "tree frog", "umbrella"]
  .flatMap((x) => [
    `a photo of a ${x}.`,
    `a blurry photo of the ${x}.`,
    `a sculpture of a ${x}.`,
    `itap of a ${x}.`,
    `a black and white photo of the ${x}.`,
  ]);
const MULTILINGUAL = [
  "фотография кошки на подоконнике",
  "Une photo d'un chat qui dort sur le canapé, l'été à Montréal",
  "東京タワーの夜景と桜の写真",
  "Ein Foto von einem Hund, der über die Straße läuft — schön!",
  "صورة قطة تجلس على النافذة",
  "😀 a party with 🎉 balloons and 🍰 cake",
  "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows. &amp; caf&eacute; “quoted”",
];
const LONG = [
  "The photograph shows a wide, sunlit plaza surrounded by old stone buildings with ornate " +
  "balconies, a fountain in the middle where children are playing, pigeons scattering as a " +
  "cyclist rides through, cafe tables with striped umbrellas along the edges, and in the " +
  "distance a cathedral tower rises against a clear blue sky with a few thin clouds drifting.",
  Array.from({ length: 40 }, (_, i) => `item${i} costs $${i * 3}.99`).join(", "),
];
const CORPUS = [...CAPTIONS, ...PROMPTS, ...MULTILINGUAL, ...LONG];
const TOKENS_PER_PASS = CORPUS.reduce((n, t) => n + tok.encode(t).length, 0);
console.log(
  `cold first load ${coldMs.toFixed(1)} ms; corpus: ${CORPUS.length} texts, ` +
    `${TOKENS_PER_PASS} tokens per pass`,
);

Deno.bench("load vocab.json + merges.txt (warm)", { group: "load", baseline: true }, () => {
  ClipTokenizer.fromFiles(vocabBytes, mergesBytes);
});

Deno.bench(
  `encode mixed corpus, warm cache (${TOKENS_PER_PASS} tokens)`,
  { group: "encode" },
  () => {
    for (const t of CORPUS) tok.encode(t);
  },
);

const uncached = ClipTokenizer.fromFiles(vocabBytes, mergesBytes, { cacheSize: 0 });
Deno.bench(`encode mixed corpus, no cache (${TOKENS_PER_PASS} tokens)`, { group: "encode" }, () => {
  for (const t of CORPUS) uncached.encode(t);
});

Deno.bench(`tokenize → [${CORPUS.length}, 77] int32`, { group: "tokenize" }, () => {
  tok.tokenize(CORPUS);
});

// Hostile lengths: tokenize reads at most MAX_SCAN_CHARS (32,768) of a text, cut at a line end.
// The worst cases are texts just under the bound that must be read whole (one 32 Ki piece to
// BPE, mojibake for ftfy); 10 MiB texts are refused or cut after a few lines.
const MiB = 2 ** 20;
const flat = (s: string) => JSON.parse(JSON.stringify(s)) as string; // as a parsed request body is
const HOSTILE: [string, string][] = [
  ["10 MiB single word", flat("a".repeat(10 * MiB))],
  ["10 MiB of é", flat("é".repeat(10 * MiB))],
  ["10 MiB of short lines", flat("a photo of a cat\n".repeat((10 * MiB) / 17))],
  ["32 Ki single word", flat("a".repeat(MAX_SCAN_CHARS))],
  ["32 Ki CJK", flat("猫".repeat(MAX_SCAN_CHARS))],
  ["32 Ki mojibake", flat(("Ã©" + "x".repeat(3)).repeat(MAX_SCAN_CHARS / 5))],
  ["32 Ki nested &amp;", flat("&" + "amp;".repeat(MAX_SCAN_CHARS / 4 - 1))],
];
for (const [name, text] of HOSTILE) {
  Deno.bench(`tokenize ${name}`, { group: "hostile" }, () => {
    try {
      tok.tokenize(text);
    } catch { /* refused with input_too_long: the cost is what is measured */ }
  });
}
