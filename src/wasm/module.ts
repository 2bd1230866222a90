// Picks and compiles the kernel module: the relaxed-SIMD build where the host validates it,
// else the SIMD128 build. Compiled once per process from the embedded bytes, or handed over
// precompiled by a host that forbids compiling at run time (Cloudflare Workers' wasm imports);
// each model instantiates it with its own memory.

import { WASM_BASE64 as RELAXED_B64 } from "./_generated/kernels_relaxed.ts";
import { WASM_BASE64 as SIMD128_B64 } from "./_generated/kernels_simd128.ts";
import { KERNEL_ABI, VARIANT_SECTION } from "./abi.ts";
import { EdgeClipError } from "../errors.ts";

/** The two builds of the kernels: with relaxed SIMD, or SIMD128 only. */
export type KernelVariant = "relaxed" | "simd128";

/**
 * Precompiled kernel modules, as a host that forbids compiling WebAssembly at run time gives
 * them (e.g. `import relaxed from "edgeclip/kernels_relaxed.wasm"` in a Cloudflare Worker).
 */
export interface KernelModules {
  /** The module of `kernels_relaxed.wasm` (used where the host has relaxed SIMD). */
  relaxed?: WebAssembly.Module;
  /** The module of `kernels_simd128.wasm`. */
  simd128?: WebAssembly.Module;
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const cache = new Map<KernelVariant, WebAssembly.Module>();
let bytesCache: Partial<Record<KernelVariant, Uint8Array>> = {};
let provided: KernelModules = {};

/** The module bytes of a variant. */
export function kernelBytes(variant: KernelVariant): Uint8Array {
  const b = bytesCache[variant] ??
    fromBase64(variant === "relaxed" ? RELAXED_B64 : SIMD128_B64);
  bytesCache = { ...bytesCache, [variant]: b };
  return b;
}

const V128_CONST = [0xfd, 0x0c, ...new Array(16).fill(0)];
/** A module of one function `() → v128` with `body`, for feature detection without compiling. */
function probe(body: number[]): Uint8Array {
  const code = [0x00, ...body, 0x0b];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type () → v128
    ...[0x03, 0x02, 0x01, 0x00], // one function of that type
    ...[0x0a, code.length + 2, 0x01, code.length, ...code],
  ]);
}
/** v128.const 0 */
const SIMD128_PROBE = probe(V128_CONST);
/** f32x4.relaxed_madd and i32x4.relaxed_dot_i8x16_i7x16_add_s, as the relaxed kernels use. */
const RELAXED_PROBE = probe([
  ...V128_CONST,
  ...V128_CONST,
  ...V128_CONST,
  ...[0xfd, 0x85, 0x02],
  ...V128_CONST,
  ...V128_CONST,
  ...[0xfd, 0x93, 0x02],
]);

/** What the host's WebAssembly supports, found by validating tiny probe modules. */
export function hostFeatures(): { simd128: boolean; relaxed: boolean } {
  return {
    simd128: WebAssembly.validate(SIMD128_PROBE as BufferSource),
    relaxed: WebAssembly.validate(RELAXED_PROBE as BufferSource),
  };
}

/**
 * The variant to run: a handed-over module (relaxed first), else the best variant this host
 * validates; throws `runtime` when even SIMD128 is missing.
 */
export function pickVariant(): KernelVariant {
  if (provided.relaxed) return "relaxed";
  if (provided.simd128) return "simd128";
  const f = hostFeatures();
  if (f.relaxed) return "relaxed";
  if (f.simd128) return "simd128";
  throw new EdgeClipError(
    "runtime",
    "this WebAssembly host lacks SIMD128, which edgeclip's kernels need (Deno ≥ 1.9, Node ≥ 16.4)",
  );
}

/** The variant named in a module's custom section, or undefined when it has none. */
function variantOf(m: WebAssembly.Module): string | undefined {
  const [section] = WebAssembly.Module.customSections(m, VARIANT_SECTION);
  return section ? new TextDecoder().decode(section) : undefined;
}

/**
 * Hands edgeclip precompiled kernel modules, for hosts that forbid compiling WebAssembly from
 * bytes (Cloudflare Workers). Call it before loading a model; each module must be the file of
 * that name from this version of edgeclip. Where only one is given, that variant runs.
 *
 * @example
 * ```ts ignore
 * // in a Cloudflare Worker (wrangler turns .wasm imports into WebAssembly.Module objects)
 * import relaxed from "edgeclip/kernels_relaxed.wasm";
 * import simd128 from "edgeclip/kernels_simd128.wasm";
 * import { setKernelModules } from "edgeclip";
 * setKernelModules({ relaxed, simd128 });
 * ```
 */
export function setKernelModules(modules: KernelModules): void {
  const next: KernelModules = {};
  for (const variant of ["relaxed", "simd128"] as const) {
    const m = modules[variant];
    if (m === undefined) continue;
    if (!(m instanceof WebAssembly.Module)) {
      throw new EdgeClipError(
        "invalid_input",
        `setKernelModules: ${variant} is not a WebAssembly.Module`,
      );
    }
    const names = new Set(WebAssembly.Module.exports(m).map((e) => e.name));
    const missing = Object.keys(KERNEL_ABI).filter((n) => !names.has(n));
    const got = variantOf(m);
    if (got !== variant || missing.length) {
      throw new EdgeClipError(
        "invalid_input",
        `setKernelModules: ${variant} is not kernels_${variant}.wasm of this edgeclip version (` +
          (got !== variant ? `its variant is ${got ?? "unnamed"}` : `lacks ${missing.join(", ")}`) +
          ")",
        { variant, moduleVariant: got },
      );
    }
    next[variant] = m;
  }
  provided = next;
  cache.clear();
}

/** Compiled module for `variant` (default: pickVariant()). */
export function kernelModule(variant: KernelVariant = pickVariant()): WebAssembly.Module {
  const given = provided[variant];
  if (given) return given;
  let m = cache.get(variant);
  if (!m) {
    try {
      m = new WebAssembly.Module(kernelBytes(variant) as BufferSource);
    } catch (e) {
      throw new EdgeClipError(
        "runtime",
        `cannot compile the ${variant} kernels on this host (${(e as Error).message}); where ` +
          "WebAssembly may not be compiled at run time (Cloudflare Workers), import " +
          "kernels_relaxed.wasm and kernels_simd128.wasm as modules and pass them to " +
          "setKernelModules() before loading a model",
        { variant },
        { cause: e },
      );
    }
    cache.set(variant, m);
  }
  return m;
}
