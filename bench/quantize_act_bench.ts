// quantize_act_q8 alone, side by side with a baseline build of the kernels (e.g. the previous
// commit's src/wasm/_generated/), on the shapes the model meets; both module variants, all formats.
//   mkdir -p /tmp/qa_base && for v in relaxed simd128; do
//     git show HEAD~1:src/wasm/_generated/kernels_$v.ts > /tmp/qa_base/kernels_$v.ts; done
//   deno run --allow-read --allow-env bench/quantize_act_bench.ts /tmp/qa_base [more dirs…]
// Without a baseline directory only the current build is timed. The builds' calls alternate in
// rounds so CPU noise hits all alike; the report is the median time per call over the rounds for
// each build (baselines first, current last) and the median over rounds of first / current.
// Every build's output is checked byte for byte against the current one first.

import { kernelBytes, type KernelVariant } from "../src/wasm/module.ts";
import { ACT_FORMATS } from "../src/wasm/formats.ts";

/** [m, k]: image tokens (50) × width / mlp, text tokens (7) × width / mlp, a 420-row batch. */
const SHAPES: [number, number][] = [[50, 768], [50, 3072], [7, 512], [7, 2048], [420, 512]];
const ROUNDS = 21;

type Fn = (...a: number[]) => number;

interface Inst {
  x: Record<string, Fn>;
  mem: WebAssembly.Memory;
  base: number;
}

function instantiate(bytes: Uint8Array): Inst {
  const mem = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
    env: { memory: mem },
  });
  const x = inst.exports as unknown as Record<string, Fn>;
  return { x, mem, base: (x.heap_base() + 63) & ~63 };
}

function fromBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** Lays out x, dst and the row parameters in an instance; returns the call. */
function setup(inst: Inst, x: Float32Array, m: number, k: number, fmt: number) {
  const dstBytes = Math.ceil(m / 4) * 4 * (Math.ceil(k / 8) * 8) * 2;
  const xp = inst.base, dst = xp + x.byteLength + 64, rows = dst + dstBytes + 64;
  const need = rows + m * 8 + 64;
  if (need > inst.mem.buffer.byteLength) {
    inst.mem.grow(Math.ceil((need - inst.mem.buffer.byteLength) / 65536));
  }
  new Float32Array(inst.mem.buffer, xp, x.length).set(x);
  const run = () => inst.x.quantize_act_q8(xp, k, m, k, fmt, dst, rows);
  const out = () =>
    new Uint8Array(inst.mem.buffer.slice(dst, dst + dstBytes)).join() + "|" +
    new Uint8Array(inst.mem.buffer.slice(rows, rows + Math.ceil(m / 4) * 32)).join();
  return { run, out };
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s[s.length >> 1];
}

/** Per runner, the median µs per call; and the median per-round ratio first / last. */
function timeSideBySide(runs: (() => void)[], elems: number): { t: number[]; ratio: number } {
  const reps = Math.max(3, Math.round(2e6 / elems)); // ~2 ms per round at 1 ns/element
  for (const r of runs) for (let i = 0; i < reps; i++) r(); // warm up (tier-up)
  const t: number[][] = runs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    runs.forEach((r, j) => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) r();
      t[j].push((performance.now() - t0) * 1000 / reps);
    });
  }
  const last = t[t.length - 1];
  return { t: t.map(median), ratio: median(t[0].map((v, i) => v / last[i])) };
}

const baseDirs = Deno.args;
const variants = (["relaxed", "simd128"] as KernelVariant[]).filter((v) =>
  WebAssembly.validate(kernelBytes(v) as BufferSource)
);
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.4;

console.log(
  `median µs per call over ${ROUNDS} rounds: ${[...baseDirs, "current"].join(", ")}` +
    (baseDirs.length ? `; ×: median per-round ${baseDirs[0]} / current` : ""),
);
for (const variant of variants) {
  const cur = instantiate(kernelBytes(variant));
  const olds: Inst[] = [];
  for (const dir of baseDirs) {
    const mod = await import(`file://${await Deno.realPath(dir)}/kernels_${variant}.ts`);
    olds.push(instantiate(fromBase64(mod.WASM_BASE64)));
  }
  for (const [m, k] of SHAPES) {
    const x = new Float32Array(m * k).map(() => rnd() * 3);
    for (const [name, fmt] of Object.entries(ACT_FORMATS)) {
      const a = setup(cur, x, m, k, fmt.id);
      a.run();
      const runs = olds.map((old, i) => {
        const b = setup(old, x, m, k, fmt.id);
        b.run();
        if (a.out() !== b.out()) {
          throw new Error(`${variant} ${m}×${k} ${name}: ${baseDirs[i]} output differs`);
        }
        return b.run;
      });
      runs.push(a.run);
      const { t, ratio } = timeSideBySide(runs, m * k);
      const cols = t.map((v) => v.toFixed(1).padStart(7)).join(" ");
      const ns = (t[t.length - 1] * 1000 / (m * k)).toFixed(2);
      console.log(
        `${variant.padEnd(8)} ${`${m}×${k}`.padEnd(9)} ${name.padEnd(4)} ${cols}` +
          `${olds.length ? `  ×${ratio.toFixed(2)}` : ""}  (${ns} ns/el)`,
      );
    }
  }
}
