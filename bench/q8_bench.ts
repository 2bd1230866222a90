// int8 kernel benchmarks on CLIP ViT-B/32 shapes: gemm_q8 (activation quantization included) per
// activation format and module build, next to gemm_f32 on the same shapes.
//   deno bench --allow-read --allow-env bench/q8_bench.ts
// GOP/s = 2·m·k·n / time; the shape list is printed once.

import { Kernels } from "../src/wasm/kernels.ts";
import { kernelBytes, type KernelVariant } from "../src/wasm/module.ts";
import { QA } from "../src/wasm/formats.ts";

/** [name, m, k, n]: image tokens (50 per image), a 7-token prompt, 16 prompts packed (~420). */
const SHAPES: [string, number, number, number][] = [
  ["img qkv 50×768×768", 50, 768, 768],
  ["img fc1 50×768×3072", 50, 768, 3072],
  ["img fc2 50×3072×768", 50, 3072, 768],
  ["img×8 fc1 400×768×3072", 400, 768, 3072],
  ["txt fc1 7×512×2048", 7, 512, 2048],
  ["txt fc2 7×2048×512", 7, 2048, 512],
  ["txt×16 fc1 420×512×2048", 420, 512, 2048],
];

const variants = (["relaxed", "simd128"] as KernelVariant[]).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);

for (const variant of variants) {
  const kr = Kernels.create(variant);
  const o = kr.owner(); // the operands stay allocated while the benches run
  for (const [name, m, k, n] of SHAPES) {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const a = o.matFrom(new Float32Array(m * k).map(rnd), m, k);
    const src = o.matFrom(new Float32Array(n * k).map(() => rnd() * 0.1), n, k);
    const q = o.packedQ8(n, k);
    kr.q8.quantizePack(src, q);
    const packed = kr.packF32(src, o.packedF32(n, k));
    const bias = o.vecFrom(new Float32Array(n));
    const out = o.mat(m, n);
    const gop = (2 * m * k * n) / 1e9;
    for (const fmt of ["u8", "u7"] as const) {
      Deno.bench({
        name: `gemm_q8 ${fmt} [${variant}] ${name} (${gop.toFixed(3)} GOP)`,
        group: name,
        fn: () => kr.q8.gemm(a, q, out, { bias, fmt: QA[fmt] }),
      });
    }
    Deno.bench({
      name: `gemm_f32 [${variant}] ${name}`,
      group: name,
      fn: () => kr.gemmF32(a, packed, out, { bias }),
    });
  }
}
