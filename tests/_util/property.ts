// forAll: run a property over seeded random cases; a failure names the case and its seed.

import { Prng } from "./prng.ts";

/** Seeds are fixed per run unless EDGECLIP_SEED is set, so CI is reproducible. */
function baseSeed(): number {
  const s = Deno.env.get("EDGECLIP_SEED");
  return s ? Number(s) : 0x5eed;
}

/**
 * Runs `prop` on `runs` cases drawn by `gen`. On failure rethrows with the case description
 * (`describe(case)`) and the seed, so `EDGECLIP_SEED=<seed>` reproduces it.
 */
export function forAll<C>(
  name: string,
  runs: number,
  gen: (rng: Prng) => C,
  prop: (c: C, rng: Prng) => void,
  describe: (c: C) => string = (c) => JSON.stringify(c),
): void {
  const base = baseSeed();
  for (let i = 0; i < runs; i++) {
    const seed = (base + i * 7919) >>> 0;
    const rng = new Prng(seed);
    const c = gen(rng);
    try {
      prop(c, rng);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`${name}(${describe(c)}) seed=${seed}: ${msg}`, { cause: e });
    }
  }
}
