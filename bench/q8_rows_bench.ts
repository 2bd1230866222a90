// gemm_q8 alone (activations quantized once, outside the timing) for short row counts: text
// prompts are m = 5..12 rows, and the last 4-row block of m = 4q + r rows runs a kernel copy for
// its r rows (assembly/gemm_q8.ts). Also the activation quantization alone, per format.
//   deno bench --allow-read --allow-env bench/q8_rows_bench.ts
// Each group is one layer shape in one module build; time per call.

import { Kernels } from "../src/wasm/kernels.ts";
import { kernelBytes, type KernelVariant } from "../src/wasm/module.ts";
import { QA } from "../src/wasm/formats.ts";
import { rawOf } from "../tests/kernels/_raw.ts";

/** [k, n]: CLIP text fc1 and fc2. */
const SHAPES: [number, number][] = [[512, 2048], [2048, 512]];
const ROWS = [4, 5, 6, 7, 8, 9, 10, 12];

const variants = (["relaxed", "simd128"] as KernelVariant[]).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);

for (const variant of variants) {
  const kr = Kernels.create(variant);
  // the quantized activations of every row count and format stay allocated while the benches
  // run: a scratch scope left open for the instance's life (bench only)
  rawOf(kr).openScope();
  for (const [k, n] of SHAPES) {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const q = kr.packedQ8(n, k);
    kr.q8.quantizePack(kr.matFrom(new Float32Array(n * k).map(() => rnd() * 0.1), n, k), q);
    const bias = kr.vecFrom(new Float32Array(n));
    const mMax = ROWS[ROWS.length - 1];
    const x = kr.matFrom(new Float32Array(mMax * k).map(rnd), mMax, k);
    const out = kr.mat(mMax, n);
    for (const fmt of ["u12", "u7"] as const) {
      for (const m of ROWS) {
        const a = kr.view(x, 0, m);
        const qa = kr.q8.quantizeAct(a, QA[fmt]);
        Deno.bench({
          name: `gemm_q8 ${fmt} [${variant}] m = ${m}`,
          group: `${variant} ${fmt} ${k}→${n}`,
          fn: () => kr.q8.gemmQuantized(qa, q, kr.view(out, 0, m), { bias }),
        });
      }
      Deno.bench({
        name: `quantize ${fmt} [${variant}] m = ${mMax}`,
        group: `${variant} ${fmt} ${k}→${n}`,
        fn: () => {
          kr.scratch(() => kr.q8.quantizeAct(x, QA[fmt]));
        },
      });
    }
  }
}
