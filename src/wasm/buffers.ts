// Typed handles to linear memory (vectors, matrices, byte/int buffers, packed weights) and the
// two ways to get them: scratch (Kernels: released when the call's scratch scope ends) and owned
// (Owner: long-lived, given back all at once by free()). Code outside src/wasm/ holds only these
// handles; pointers, views and raw exports stay in src/wasm/ (tests/architecture_test.ts).

import { EdgeClipError } from "../errors.ts";
import { GEMM_F32_NR } from "./abi.ts";
import { packedBytes, paddedN, Q4_WEIGHTS, Q8_WEIGHTS, type WeightFormat } from "./formats.ts";
import type { Heap } from "./memory.ts";
import type { Kernels } from "./kernels.ts";

/** Element types of buffers. */
export interface ArrayOf {
  f32: Float32Array;
  i32: Int32Array;
  i16: Int16Array;
  i8: Int8Array;
  u8: Uint8Array;
}
export type DType = keyof ArrayOf;

const CTOR = {
  f32: Float32Array,
  i32: Int32Array,
  i16: Int16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;
const BYTES: Record<DType, number> = { f32: 4, i32: 4, i16: 2, i8: 1, u8: 1 };

/** `length` consecutive elements of `dtype` in linear memory. */
export interface Buf<D extends DType = DType> {
  readonly ptr: number;
  readonly length: number;
  readonly dtype: D;
}
/** A 1-D f32 tensor (LayerNorm γ/β, biases, masks, images). */
export type Vec = Buf<"f32">;
export type I32Buf = Buf<"i32">;
export type I16Buf = Buf<"i16">;
export type I8Buf = Buf<"i8">;
export type U8Buf = Buf<"u8">;

/** A row-major f32 matrix in linear memory: `rows × cols`, row stride `ld` elements. */
export interface Mat {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly ld: number;
}

/** An [n × k] weight packed for gemm_f32 (panels of GEMM_F32_NR output columns). */
export interface PackedF32 {
  readonly ptr: number;
  readonly n: number;
  readonly k: number;
}

/** An [n × k] weight packed for gemm_q8 (formats.ts), with per-channel scales and Σq. */
export interface PackedQ8 {
  readonly n: number;
  readonly k: number;
  /** The packed int8 values (packedShape(n, k)). */
  readonly data: I8Buf;
  /** paddedN(n) f32 scales (whole panels). */
  readonly scales: Vec;
  /** As many int32 sums of each channel's int8 values. */
  readonly sums: I32Buf;
}

/** An [n × k] weight packed for gemm_q4 (formats.ts): channel scales d and Σ m·q per channel. */
export interface PackedQ4 extends PackedQ8 {
  /** data: the packed multipliers and nibbles (packedShape(n, k, Q4_WEIGHTS)). */
  readonly bits: 4;
}

/** Bytes per element of a dtype. */
export function elementBytes(dtype: DType): number {
  return BYTES[dtype];
}

export function bytesOf(b: Buf): number {
  return b.length * BYTES[b.dtype];
}

/** A view of `b` (src/wasm/ only; valid until memory grows). */
export function viewOf<D extends DType>(memory: WebAssembly.Memory, b: Buf<D>): ArrayOf[D] {
  return new CTOR[b.dtype](memory.buffer as ArrayBuffer, b.ptr, b.length) as ArrayOf[D];
}

/** Allocation of typed handles; subclasses decide where the bytes come from. */
export abstract class Allocator {
  readonly #memory: WebAssembly.Memory;

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
  }

  /** `bytes` bytes of memory (64-byte aligned, not zeroed). */
  protected abstract take(bytes: number): number;

  /** `n` uninitialised elements. */
  buf<D extends DType>(dtype: D, n: number): Buf<D> {
    if (!(n >= 0 && Number.isInteger(n))) bad(`buffer of ${n} elements`);
    return { ptr: this.take(n * BYTES[dtype]), length: n, dtype };
  }

  /** `n` zeroed elements. */
  zeros<D extends DType>(dtype: D, n: number): Buf<D> {
    const b = this.buf(dtype, n);
    viewOf(this.#memory, b).fill(0);
    return b;
  }

  /** A buffer holding a copy of `data`. */
  bufFrom<D extends DType>(dtype: D, data: ArrayLike<number>): Buf<D> {
    const b = this.buf(dtype, data.length);
    viewOf(this.#memory, b).set(data);
    return b;
  }

  vec(n: number): Vec {
    return this.buf("f32", n);
  }

  vecFrom(data: ArrayLike<number>): Vec {
    return this.bufFrom("f32", data);
  }

  /** An uninitialised rows × cols matrix. */
  mat(rows: number, cols: number): Mat {
    if (!(rows >= 0 && cols >= 0)) bad(`matrix ${rows}×${cols}`);
    return { ptr: this.take(rows * cols * 4), rows, cols, ld: cols };
  }

  /** A matrix holding `data` (row-major, rows × cols). */
  matFrom(data: ArrayLike<number>, rows: number, cols: number): Mat {
    if (data.length !== rows * cols) bad(`data has ${data.length} values, want ${rows}×${cols}`);
    const m = this.mat(rows, cols);
    new Float32Array(this.#memory.buffer, m.ptr, data.length).set(data);
    return m;
  }

  /** Room for an [n × k] weight packed for gemm_f32 (Kernels.packF32 fills it). */
  packedF32(n: number, k: number): PackedF32 {
    return { ptr: this.take(Math.ceil(n / GEMM_F32_NR) * k * GEMM_F32_NR * 4), n, k };
  }

  /** Room for an [n × k] weight packed for gemm_q8 (Kernels.q8 fills it). */
  packedQ8(n: number, k: number): PackedQ8 {
    return this.#packed(n, k, Q8_WEIGHTS, "int8");
  }

  /** Room for an [n × k] weight packed for gemm_q4 (Kernels.q8 fills it). */
  packedQ4(n: number, k: number): PackedQ4 {
    return { bits: 4, ...this.#packed(n, k, Q4_WEIGHTS, "int4") };
  }

  #packed(n: number, k: number, f: WeightFormat, what: string): PackedQ8 {
    if (n < 1 || k < 1 || k > f.maxK) bad(`${what} weight [${n}×${k}] (k must be 1..${f.maxK})`);
    const np = paddedN(n, f), bytes = packedBytes(n, k, f);
    const data = { ptr: this.take(bytes), length: bytes, dtype: "i8" } as I8Buf;
    return { n, k, data, scales: this.vec(np), sums: this.buf("i32", np) };
  }
}

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `memory: ${msg}`);
}

/** A cap on what one owner may hold: past `bytes`, allocation throws `error(wanted)` instead. */
export interface OwnerLimit {
  readonly bytes: number;
  /** The error to throw; `wanted` is what the owner would hold with the refused block. */
  error(wanted: number): Error;
}

/**
 * A group of long-lived allocations with one owner (a model, an adapter, a fusion, or a load's
 * temporary buffers), given back together by free(): a load that fails part-way frees its owner
 * and leaves nothing behind. Taking from an owner never touches scratch scopes, so it is safe
 * inside one, and across awaits. With a limit, a block that would pass it is refused before the
 * memory grows (an adapter budget bounds the memory, not only the bookkeeping).
 */
export class Owner extends Allocator {
  readonly kernels: Kernels;
  readonly #heap: Heap;
  readonly #limit: OwnerLimit | undefined;
  #blocks: number[] = [];
  #held = 0;
  #freed = false;

  constructor(kernels: Kernels, heap: Heap, limit?: OwnerLimit) {
    super(heap.memory);
    this.kernels = kernels;
    this.#heap = heap;
    this.#limit = limit;
  }

  protected take(bytes: number): number {
    if (this.#freed) bad("allocation from an owner that was freed");
    const size = this.#heap.blockSize(bytes);
    if (this.#limit && this.#held + size > this.#limit.bytes) {
      throw this.#limit.error(this.#held + size);
    }
    const p = this.#heap.alloc(bytes);
    this.#blocks.push(p);
    this.#held += size;
    return p;
  }

  /** Bytes held (block sizes). */
  get bytes(): number {
    return this.#held;
  }

  get freed(): boolean {
    return this.#freed;
  }

  /** Gives every block back; the owner takes nothing afterwards, and its handles are dead. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    const blocks = this.#blocks;
    this.#blocks = [];
    this.#held = 0;
    for (const p of blocks) this.#heap.free(p);
  }
}
