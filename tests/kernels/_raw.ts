// Pointer-level access to a kernel instance, for tests of the module's ABI itself (byte layouts
// of packed activations, raw calls with hand-made operands). src/ never does this outside
// src/wasm/; these tests check what src/wasm/ builds on.

import { kernelCore, type Kernels } from "../../src/wasm/kernels.ts";

export function rawOf(k: Kernels) {
  const { x, heap } = kernelCore(k);
  const buf = () => heap.memory.buffer;
  return {
    /** The module's exports. */
    x,
    /** Opens a scratch scope that is never closed (benches keeping operands alive). */
    openScope: () => heap.mark(),
    /** Scratch bytes in the caller's scope; returns the pointer. */
    alloc: (bytes: number) => heap.scratch(bytes),
    /** Scratch copy of a typed array's bytes; returns the pointer. */
    put: (a: ArrayBufferView) => heap.put(a),
    u8: (p: number, n: number) => new Uint8Array(buf(), p, n),
    i16: (p: number, n: number) => new Int16Array(buf(), p, n),
    i32: (p: number, n: number) => new Int32Array(buf(), p, n),
    f32: (p: number, n: number) => new Float32Array(buf(), p, n),
  };
}
