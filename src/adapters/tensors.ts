// The weights of one saved adapter or fusion folder, keyed as the library saves them, with strict
// consumption: every key must be read by some method (except the library's alias keys), and a
// shape mismatch names the key, the expected and the found shape.

import { EdgeClipError, fmtShape } from "../errors.ts";
import { parseSafetensors, toF32 } from "../io/safetensors.ts";
import { type F32Tensor, readTorchBin } from "../io/torch_bin.ts";

/** Legacy module names renamed on load (adapters loading.py). */
const LEGACY: [RegExp, string][] = [
  [/\.(attention_text_task_adapters|attention_text_lang_adapters)\./g, ".attention_adapters."],
  [/\.(layer_text_task_adapters|layer_text_lang_adapters)\./g, ".output_adapters."],
  [/(^|\.)invertible_lang_adapters\./g, "$1invertible_adapters."],
];

/** Keys the library writes as duplicates of others: accepted and ignored. */
const ALIASES: readonly RegExp[] = [
  /\.prefix_tuning\.pool\.prefix_tunings\./, // every attention layer's reference to the prefix pool
  /\.adapter_norm_before\.(weight|bias)$/, // ln_before LayerNorm, also adapter_down.0
];

/** Reads a weights file: safetensors by its header, anything else as a PyTorch zip. */
export function readWeightFile(bytes: Uint8Array, file: string): Map<string, F32Tensor> {
  if (/\.safetensors$/i.test(file)) {
    let h;
    try {
      h = parseSafetensors(bytes, file);
    } catch (e) {
      if (e instanceof EdgeClipError) {
        throw new EdgeClipError("adapter_format", e.message, { ...e.context }, { cause: e });
      }
      throw e;
    }
    const out = new Map<string, F32Tensor>();
    for (const e of h.entries.values()) {
      if (!["F32", "F16", "BF16", "F64"].includes(e.dtype)) {
        throw new EdgeClipError(
          "adapter_format",
          `${file}: ${e.name} is ${e.dtype}, not a float tensor`,
          {
            key: e.name,
          },
        );
      }
      const data = new Float32Array(e.shape.reduce((a, d) => a * d, 1));
      toF32(bytes.subarray(e.begin, e.end), e.dtype, data, e.name);
      out.set(e.name, { shape: e.shape, data });
    }
    return out;
  }
  return readTorchBin(bytes, file);
}

export class AdapterTensors {
  readonly #t = new Map<string, F32Tensor>();
  readonly #used = new Set<string>();
  readonly file: string;

  /** Strips a leading `clip.` (CLIPAdapterModel files) and applies the legacy renames. */
  constructor(raw: Map<string, F32Tensor>, file: string) {
    this.file = file;
    for (const [k0, v] of raw) {
      let k = k0.startsWith("clip.") ? k0.slice(5) : k0;
      for (const [re, to] of LEGACY) k = k.replace(re, to);
      if (this.#t.has(k)) {
        throw new EdgeClipError(
          "adapter_format",
          `${file}: key ${k} appears twice (with and without clip.)`,
          {
            key: k,
          },
        );
      }
      this.#t.set(k, v);
    }
  }

  has(key: string): boolean {
    return this.#t.has(key);
  }

  /** Keys starting with `prefix` (not yet consumed or not). */
  keys(prefix = ""): string[] {
    return [...this.#t.keys()].filter((k) => k.startsWith(prefix));
  }

  /** The tensor `key`, which must exist with `shape`. */
  take(key: string, shape: readonly number[]): Float32Array {
    const t = this.#t.get(key);
    if (!t) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `${this.file}: missing weight ${key} (expected shape ${
          fmtShape(shape)
        }); the adapter was ` +
          `saved for another model or configuration`,
        { key, expected: shape, found: null },
      );
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `${this.file}: ${key} has shape ${fmtShape(t.shape)}, expected ${
          fmtShape(shape)
        } for this model`,
        { key, expected: shape, found: t.shape },
      );
    }
    this.#used.add(key);
    return t.data;
  }

  /** Like take, or undefined when the key is absent. */
  optional(key: string, shape: readonly number[]): Float32Array | undefined {
    return this.#t.has(key) ? this.take(key, shape) : undefined;
  }

  /** Fails on any key no method read (except the library's alias keys). */
  finish(): void {
    const extra = [...this.#t.keys()].filter((k) =>
      !this.#used.has(k) && !ALIASES.some((r) => r.test(k))
    );
    if (extra.length) {
      throw new EdgeClipError(
        "adapter_mismatch",
        `${this.file}: ${extra.length} unexpected weight(s), e.g. ${
          extra.slice(0, 3).join(", ")
        }; ` +
          `the adapter does not match this model (other layer count or configuration)`,
        { key: extra[0], expected: null, found: extra.length },
      );
    }
  }
}
