// The random case of the int8 and 4-bit GEMM property tests: m around the 4-row blocks, k and n
// from the caller's edge grid, every activation format, bias / residual / row padding or not.

import { ACT_FORMATS } from "../../src/wasm/formats.ts";
import type { Prng } from "../_util/prng.ts";

export function gemmCase(r: Prng, grid: { k: readonly number[]; n: readonly number[] }) {
  return {
    m: r.pick([1, 2, 3, 4, 5, 7, 8, 9, 13, 50]),
    k: r.pick([...grid.k]),
    n: r.pick([...grid.n]),
    fmt: r.pick(Object.values(ACT_FORMATS)),
    bias: r.next() < 0.7,
    residual: r.next() < 0.5,
    pad: r.int(0, 3),
  };
}
