// Numeric comparison with the golden rule |got − want| ≤ atol + rtol·|want|, reporting the worst index;
// and bit-for-bit equality of f32 arrays (sameBits).

export interface CloseReport {
  ok: boolean;
  maxAbs: number;
  worst: number; // index of the largest violation (or of the largest |diff| when ok)
  violations: number;
}

/** Element-wise check; NaN in `got` where `want` is finite is a violation. */
export function compareClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol: number,
  rtol: number,
): CloseReport {
  if (got.length !== want.length) {
    throw new Error(`length mismatch: got ${got.length}, want ${want.length}`);
  }
  let maxAbs = 0, worst = 0, violations = 0, worstExcess = -Infinity;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const bound = atol + rtol * Math.abs(want[i]);
    const bad = !(d <= bound) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (bad) violations++;
    const excess = Number.isNaN(d) ? Infinity : d - bound;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? NaN : d;
  }
  return { ok: violations === 0, maxAbs, worst, violations };
}

/** Throws with the worst index, values and counts when any element is out of tolerance. */
export function assertClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol: number,
  rtol = 0,
  label = "",
): void {
  const r = compareClose(got, want, atol, rtol);
  if (!r.ok) {
    throw new Error(
      `${label} not close: ${r.violations}/${got.length} out of atol=${atol} rtol=${rtol}; ` +
        `max|Δ|=${r.maxAbs.toExponential(3)} at [${r.worst}] got=${got[r.worst]} want=${
          want[r.worst]
        }`,
    );
  }
}

export { cosine } from "../../src/api/vectors.ts";

/** Same f32 bits element by element (+0 and -0 count as equal); throws naming the first difference. */
export function sameBits(got: Float32Array, want: Float32Array, label: string): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i] && !(got[i] === 0 && want[i] === 0)) {
      throw new Error(`${label}: element ${i} is ${got[i]}, reference ${want[i]}`);
    }
  }
}
