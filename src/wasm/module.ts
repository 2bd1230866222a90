// Picks and compiles the kernel module: the relaxed-SIMD build where the host validates it,
// else the SIMD128 build. Compiled once per process; each model instantiates it with its own memory.

import { WASM_BASE64 as RELAXED_B64 } from "./_generated/kernels_relaxed.ts";
import { WASM_BASE64 as SIMD128_B64 } from "./_generated/kernels_simd128.ts";
import { EdgeClipError } from "../errors.ts";

export type KernelVariant = "relaxed" | "simd128";

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const cache = new Map<KernelVariant, WebAssembly.Module>();
let bytesCache: Partial<Record<KernelVariant, Uint8Array>> = {};

/** The module bytes of a variant. */
export function kernelBytes(variant: KernelVariant): Uint8Array {
  const b = bytesCache[variant] ??
    fromBase64(variant === "relaxed" ? RELAXED_B64 : SIMD128_B64);
  bytesCache = { ...bytesCache, [variant]: b };
  return b;
}

/** The best variant this host validates; throws `runtime` when even SIMD128 is missing. */
export function pickVariant(): KernelVariant {
  if (WebAssembly.validate(kernelBytes("relaxed") as BufferSource)) return "relaxed";
  if (WebAssembly.validate(kernelBytes("simd128") as BufferSource)) return "simd128";
  throw new EdgeClipError(
    "runtime",
    "this WebAssembly host lacks SIMD128, which edgeclip's kernels need (Deno ≥ 1.9, Node ≥ 16.4)",
  );
}

/** Compiled module for `variant` (default: pickVariant()). */
export function kernelModule(variant: KernelVariant = pickVariant()): WebAssembly.Module {
  let m = cache.get(variant);
  if (!m) {
    m = new WebAssembly.Module(kernelBytes(variant) as BufferSource);
    cache.set(variant, m);
  }
  return m;
}
