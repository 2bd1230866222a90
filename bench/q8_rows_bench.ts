// gemm_q8 alone (activations quantized once, outside the timing) for short row counts: text
// prompts are m = 5..12 rows, and the last 4-row block of m = 4q + r rows runs a kernel copy for
// its r rows (assembly/gemm_q8.ts). Also the activation quantization alone, per format.
//   deno bench --allow-read --allow-env bench/q8_rows_bench.ts
// Each group is one layer shape in one module build; time per call.

import { Kernels } from "../src/wasm/kernels.ts";
import { kernelBytes, type KernelVariant } from "../src/wasm/module.ts";
import {
  allocQ8,
  gemmQ8Quantized,
  QA,
  quantizeActForGemm,
  quantizePackQ8,
} from "../src/wasm/q8.ts";

/** [k, n]: CLIP text fc1 and fc2. */
const SHAPES: [number, number][] = [[512, 2048], [2048, 512]];
const ROWS = [4, 5, 6, 7, 8, 9, 10, 12];

const variants = (["relaxed", "simd128"] as KernelVariant[]).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);

for (const variant of variants) {
  const kr = Kernels.create(variant);
  for (const [k, n] of SHAPES) {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const q = allocQ8(kr, n, k);
    quantizePackQ8(kr, kr.mem.put(new Float32Array(n * k).map(() => rnd() * 0.1)), q);
    const bias = kr.mem.put(new Float32Array(n));
    const mMax = ROWS[ROWS.length - 1];
    const x = kr.matFrom(new Float32Array(mMax * k).map(rnd), mMax, k);
    const out = kr.mat(mMax, n);
    // long-lived: the quantized activations of every row count and format stay allocated
    for (const fmt of ["u12", "u7"] as const) {
      for (const m of ROWS) {
        const a = kr.view(x, 0, m);
        const qa = quantizeActForGemm(kr, a, QA[fmt]);
        Deno.bench({
          name: `gemm_q8 ${fmt} [${variant}] m = ${m}`,
          group: `${variant} ${fmt} ${k}→${n}`,
          fn: () => gemmQ8Quantized(kr, qa, q, kr.view(out, 0, m), { bias }),
        });
      }
      Deno.bench({
        name: `quantize ${fmt} [${variant}] m = ${mMax}`,
        group: `${variant} ${fmt} ${k}→${n}`,
        fn: () => {
          kr.mem.scratch(() => quantizeActForGemm(kr, x, QA[fmt]));
        },
      });
    }
  }
}
