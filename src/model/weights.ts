// Strict weight loading by construction (candle's VarBuilder `pp`, nanoGPT's asserts): a module
// asks for `scope.pp("self_attn").pp("q_proj")` and a shape; the store checks the shape, copies
// the tensor into linear memory as f32 (memory of the store's owner: the model), and records the
// key. finish() fails on any key left over.

import { EdgeClipError, fmtShape } from "../errors.ts";
import { type Dtype, DTYPE_BYTES, type TensorEntry, toF32 } from "../io/safetensors.ts";
import type { WeightFile } from "../io/weight_file.ts";
import type { Buf, Kernels, Mat, Owner, Vec } from "../wasm/kernels.ts";
import { numel } from "../tensor.ts";
import { isIgnoredKey } from "./names.ts";

/** `clip.` when every key of a file carries it (CLIPAdapterModel checkpoints), else "". */
export function keyPrefixOf(entries: ReadonlyMap<string, unknown>): string {
  const keys = [...entries.keys()];
  return keys.length > 0 && keys.every((n) => n.startsWith("clip.")) ? "clip." : "";
}

/** A float tensor of any float dtype, read into a JS array as f32 (small tensors, merging). */
export async function readF32(file: WeightFile, e: TensorEntry): Promise<Float32Array> {
  const raw = new Uint8Array(e.end - e.begin);
  await file.read(e, raw);
  const out = new Float32Array(numel(e.shape));
  toF32(raw, e.dtype, out, e.name);
  return out;
}

export class WeightStore {
  readonly file: WeightFile;
  readonly k: Kernels;
  /** Where the weights live: freed as a whole when a load fails (or the model is dropped). */
  readonly owner: Owner;
  /** Prefix stripped from every file key (`clip.` in CLIPAdapterModel checkpoints). */
  readonly keyPrefix: string;
  readonly #consumed = new Set<string>();
  readonly #reshapes = new Map<string, { stored: readonly number[]; as: readonly number[] }>();

  constructor(file: WeightFile, k: Kernels, owner: Owner = k.owner()) {
    this.file = file;
    this.k = k;
    this.owner = owner;
    this.keyPrefix = keyPrefixOf(file.header.entries);
  }

  root(): WeightScope {
    return new WeightScope(this, "");
  }

  has(key: string): boolean {
    return this.file.header.entries.has(this.keyPrefix + key);
  }

  /**
   * Declares that `key` is stored with shape `stored` but read as `as` (same elements, row-major):
   * a conv kernel [H, C, P, P] read as the matrix [H, C·P·P].
   */
  reshape(key: string, stored: readonly number[], as: readonly number[]): void {
    this.#reshapes.set(key, { stored, as });
  }

  /** The entry for `key`, checked against `shape` (null = any); marks it consumed. */
  entry(key: string, shape: readonly number[] | null): TensorEntry {
    const r = this.#reshapes.get(key);
    if (r && shape && sameShape(shape, r.as)) {
      return { ...this.entry(key, r.stored), shape: r.as };
    }
    const e = this.file.header.entries.get(this.keyPrefix + key);
    if (!e) {
      throw new EdgeClipError(
        "model_weights",
        `${this.file.label}: missing weight ${key}${
          shape ? ` (expected shape ${fmtShape(shape)})` : ""
        }`,
        { key, expected: shape },
      );
    }
    if (shape && !sameShape(e.shape, shape)) {
      throw new EdgeClipError(
        "model_weights",
        `${this.file.label}: weight ${key} has shape ${fmtShape(e.shape)}, the config expects ${
          fmtShape(shape)
        }`,
        { key, expected: shape, actual: e.shape },
      );
    }
    this.#consumed.add(e.name);
    return e;
  }

  /** Reads a 1-D float tensor [n] into the owner's memory as f32. */
  async vec(key: string, n: number): Promise<Vec> {
    const e = this.entry(key, [n]);
    const v = this.owner.vec(n);
    await this.readF32Into(e, v);
    return v;
  }

  /** Reads a float tensor [rows, cols] (or [cols]: one row) into the owner's memory as f32. */
  async mat(key: string, shape: readonly [number, number] | readonly [number]): Promise<Mat> {
    const e = this.entry(key, shape);
    const m = shape.length === 1 ? this.owner.mat(1, shape[0]) : this.owner.mat(shape[0], shape[1]);
    await this.readF32Into(e, m);
    return m;
  }

  /** Reads a float tensor into a JS array (small tensors: logit_scale, class tokens…). */
  f32Array(key: string, shape: readonly number[]): Promise<Float32Array> {
    return readF32(this.file, { ...this.entry(key, shape), shape });
  }

  /**
   * Reads tensor `e` as f32 values into `dst` (as many as it holds), straight from the file for
   * F32, through a JS buffer for F16/BF16/F64 (converted on the way in).
   */
  async readF32Into(e: TensorEntry, dst: Vec | Mat): Promise<void> {
    if (!["F32", "F16", "BF16", "F64"].includes(e.dtype)) {
      throw new EdgeClipError(
        "model_format",
        `${this.file.label}: weight ${e.name} is ${e.dtype}, expected a float tensor`,
        { key: e.name, dtype: e.dtype },
      );
    }
    if (e.dtype === "F32") {
      await this.k.withBytes(dst, (bytes) => this.file.read(e, bytes));
      return;
    }
    // the raw bytes pass through JS memory, which is given back (linear memory never shrinks)
    const raw = new Uint8Array(e.end - e.begin);
    await this.file.read(e, raw);
    this.k.withView(dst, (f) => toF32(raw, e.dtype, f, e.name));
  }

  /**
   * Reads rows [r0, r0 + dst.rows) of 2-D float tensor `e` (`dst.cols` wide) into `dst`, in its
   * own dtype then widened, so big tables pass through memory a slice at a time.
   */
  async readRowsF32(e: TensorEntry, r0: number, dst: Mat): Promise<void> {
    const row = dst.cols * DTYPE_BYTES[e.dtype];
    const part = { ...e, begin: e.begin + r0 * row, end: e.begin + (r0 + dst.rows) * row };
    await this.readF32Into(part, dst);
  }

  /** Copies tensor `key` into `dst` byte for byte after checking its dtype and shape. */
  async readRaw(key: string, dtype: Dtype, shape: readonly number[], dst: Buf): Promise<void> {
    const e = this.entry(key, shape);
    if (e.dtype !== dtype) {
      throw new EdgeClipError(
        "model_format",
        `${this.file.label}: ${e.name} is ${e.dtype}, expected ${dtype} (read as stored)`,
        { key: e.name, dtype: e.dtype },
      );
    }
    await this.k.withBytes(dst, (bytes) => this.file.read(e, bytes));
  }

  /** Throws `model_weights` naming every tensor in the file that no module asked for. */
  finish(extraIgnored: readonly RegExp[] = []): void {
    const ignored = (key: string) => isIgnoredKey(key) || extraIgnored.some((r) => r.test(key));
    const unused = [...this.file.header.entries.keys()].filter((name) =>
      !this.#consumed.has(name) && !ignored(name.slice(this.keyPrefix.length))
    );
    if (unused.length) {
      const shown = unused.slice(0, 8).map((n) =>
        `${n} ${fmtShape(this.file.header.entries.get(n)!.shape)}`
      );
      throw new EdgeClipError(
        "model_weights",
        `${this.file.label}: ${unused.length} unexpected weight(s) the config does not use: ${
          shown.join(", ")
        }${unused.length > 8 ? ", …" : ""} (is config.json from the same checkpoint?)`,
        { unexpected: unused },
      );
    }
  }
}

/** A key prefix within a store: `scope.pp("encoder").pp("layers").pp(3)`. */
export class WeightScope {
  constructor(readonly store: WeightStore, readonly prefix: string) {}

  /** The scope of a sub-module: `pp("self_attn", "q_proj")` = `pp("self_attn").pp("q_proj")`. */
  pp(...segments: (string | number)[]): WeightScope {
    const path = segments.join(".");
    return new WeightScope(this.store, this.prefix ? `${this.prefix}.${path}` : path);
  }

  key(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  has(name: string): boolean {
    return this.store.has(this.key(name));
  }

  vec(name: string, n: number): Promise<Vec> {
    return this.store.vec(this.key(name), n);
  }

  mat(name: string, shape: readonly [number, number] | readonly [number]): Promise<Mat> {
    return this.store.mat(this.key(name), shape);
  }

  f32Array(name: string, shape: readonly number[]): Promise<Float32Array> {
    return this.store.f32Array(this.key(name), shape);
  }

  readRaw(name: string, dtype: Dtype, shape: readonly number[], dst: Buf): Promise<void> {
    return this.store.readRaw(this.key(name), dtype, shape, dst);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
