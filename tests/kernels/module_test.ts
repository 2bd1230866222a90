// Choosing and obtaining the kernel module: probe-based feature detection agrees with validating
// the real modules, the .wasm files equal the embedded bytes, and precompiled modules handed over
// with setKernelModules are used as given (and refused when they are not edgeclip's of that name).

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  hostFeatures,
  kernelBytes,
  kernelModule,
  pickVariant,
  setKernelModules,
} from "../../src/wasm/module.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { EdgeClipError } from "../../src/errors.ts";

const GEN = new URL("../../src/wasm/_generated/", import.meta.url);
const wasmFile = (v: string) => Deno.readFile(new URL(`kernels_${v}.wasm`, GEN));

Deno.test("kernel module: the probes agree with validating the real modules", () => {
  const f = hostFeatures();
  strictEqual(f.relaxed, WebAssembly.validate(kernelBytes("relaxed") as BufferSource));
  strictEqual(f.simd128, WebAssembly.validate(kernelBytes("simd128") as BufferSource));
  strictEqual(pickVariant(), f.relaxed ? "relaxed" : "simd128");
});

Deno.test("kernel module: the .wasm files hold the embedded bytes", async () => {
  for (const v of ["relaxed", "simd128"] as const) {
    deepStrictEqual(await wasmFile(v), kernelBytes(v));
  }
});

function refused(modules: Parameters<typeof setKernelModules>[0], pattern: RegExp): void {
  throws(() => setKernelModules(modules), (e) => {
    ok(e instanceof EdgeClipError && e.code === "invalid_input", String(e));
    ok(pattern.test(e.message), e.message);
    return true;
  });
}

Deno.test("kernel module: setKernelModules hands over precompiled modules", async () => {
  const simd128 = new WebAssembly.Module(await wasmFile("simd128") as BufferSource);
  const relaxed = new WebAssembly.Module(await wasmFile("relaxed") as BufferSource);
  try {
    setKernelModules({ simd128 });
    strictEqual(pickVariant(), "simd128");
    strictEqual(kernelModule(), simd128);
    const k = Kernels.create();
    strictEqual(k.variant, "simd128");
    setKernelModules({ relaxed, simd128 });
    strictEqual(pickVariant(), "relaxed");
    strictEqual(kernelModule(), relaxed);
    strictEqual(kernelModule("simd128"), simd128);

    refused({ relaxed: simd128 }, /not kernels_relaxed\.wasm .*its variant is simd128/);
    refused(
      { simd128: kernelBytes("simd128") as unknown as WebAssembly.Module },
      /not a WebAssembly/,
    );
    const other = new WebAssembly.Module(
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) as BufferSource,
    );
    refused({ simd128: other }, /its variant is unnamed/);
    // a refused call leaves the last good modules in place
    strictEqual(kernelModule(), relaxed);
  } finally {
    setKernelModules({});
  }
  strictEqual(pickVariant(), hostFeatures().relaxed ? "relaxed" : "simd128");
  ok(kernelModule() !== relaxed);
});
