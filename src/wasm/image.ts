// Typed wrappers for the image kernels (assembly/resize_u8.ts, assembly/normalize.ts): copy pixels
// into scratch linear memory, run the passes, copy the result out. Knows nothing of image modes
// or configs; src/image/ decides what to run.

import { EdgeClipError } from "../errors.ts";
import { kernelCore, type Kernels } from "./kernels.ts";

/** Fixed-point windows for one axis (Pillow's `bounds` pairs and 2²²-scaled int32 weights). */
export interface FixedWindows {
  readonly outSize: number;
  readonly ksize: number;
  /** (first input index, tap count) per output. */
  readonly bounds: Int32Array;
  /** outSize·ksize weights. */
  readonly weights: Int32Array;
}

/**
 * What to run on a slab of source rows: a horizontal pass over every slab row (or, without one,
 * columns [colFirst, colFirst + width) as they are), then a vertical pass over the slab rows (or,
 * without one, every slab row is an output row).
 */
export interface U8Passes {
  /** Windows over full source rows, one per output column. */
  readonly horizontal: FixedWindows | null;
  readonly colFirst: number;
  /** Output columns. */
  readonly width: number;
  /** Windows over slab rows, one per output row. */
  readonly vertical: FixedWindows | null;
  /**
   * Resample with premultiplied alpha (the last of 2 or 4 channels), as Pillow does for LA/RGBA:
   * premultiply the source, run the passes, un-premultiply the result.
   */
  readonly alpha?: boolean;
}

/** Source bytes staged in linear memory at a time by the horizontal pass. */
const CHUNK_BYTES = 1 << 20;

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `image kernel call: ${msg}`);
}

function checkWindows(c: FixedWindows, inSize: number, what: string): void {
  if (c.bounds.length !== 2 * c.outSize || c.weights.length !== c.outSize * c.ksize) {
    bad(`${what} window arrays`);
  }
  for (let i = 0; i < c.outSize; i++) {
    const a = c.bounds[2 * i], n = c.bounds[2 * i + 1];
    if (a < 0 || n < 0 || n > c.ksize || a + n > inSize) {
      bad(`${what} window ${i} = [${a}, +${n}) outside ${inSize}`);
    }
  }
}

/**
 * Runs Pillow's 8-bit resample passes on `slab` (rows of w pixels, `ch` interleaved 8-bit
 * channels, 1–4) and returns width × (output rows) × ch bytes, bit-identical to the TS reference.
 */
export function resampleU8(
  k: Kernels,
  slab: Uint8Array,
  w: number,
  ch: number,
  p: U8Passes,
): Uint8Array {
  if (!(ch >= 1 && ch <= 4) || w < 1 || slab.length === 0 || slab.length % (w * ch) !== 0) {
    bad(`source ${slab.length} B, w=${w}, ch=${ch}`);
  }
  if (!p.horizontal && !p.vertical) bad("no pass to run");
  if (p.alpha && ch !== 2 && ch !== 4) bad(`premultiplied alpha needs 2 or 4 channels, not ${ch}`);
  const rows = slab.length / (w * ch), width = p.width;
  const { x, heap } = kernelCore(k);
  const m = heap.mark();
  try {
    const put = (a: Int32Array) => heap.put(a);
    const rowIn = w * ch;
    // cur: the rows the vertical pass reads, `width` pixels each (stride bytes). Source rows go through
    // wasm memory a chunk at a time, so memory grows with the output region, not the image.
    let cur: number;
    const stride = width * ch;
    if (p.horizontal) {
      const c = p.horizontal;
      checkWindows(c, w, "horizontal");
      if (c.outSize !== width) bad(`${c.outSize} horizontal windows for ${width} columns`);
      cur = heap.scratch(stride * rows + 16);
      // 3–4 channels: the kernel packs the weights as i16 halves for dot products (64 B per 4 taps).
      const scratch = ch >= 3 ? heap.scratch(width * Math.ceil(c.ksize / 4) * 64) : 0;
      const bounds = put(c.bounds), weights = put(c.weights);
      const chunk = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / rowIn)));
      // 16 spare bytes: the horizontal kernel reads whole 4-byte words (2 channels) or 16-byte
      // groups of 4 taps (3–4 channels) at the end of a window.
      const buf = heap.scratch(chunk * rowIn + 16);
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const n = Math.min(chunk, rows - r0);
        heap.u8(buf, n * rowIn).set(slab.subarray(r0 * rowIn, (r0 + n) * rowIn));
        if (p.alpha) x.premultiply_u8(buf, w * n, ch);
        x.resample_h_u8(
          buf,
          rowIn,
          cur + r0 * stride,
          stride,
          n,
          width,
          ch,
          bounds,
          weights,
          c.ksize,
          scratch,
        );
      }
    } else {
      if (p.colFirst < 0 || p.colFirst + width > w) {
        bad(`columns [${p.colFirst}, +${width}) of ${w}`);
      }
      // only the columns the output keeps
      cur = heap.scratch(stride * rows);
      const mem = heap.u8(cur, stride * rows);
      for (let r = 0; r < rows; r++) {
        const s = r * rowIn + p.colFirst * ch;
        mem.set(slab.subarray(s, s + stride), r * stride);
      }
      if (p.alpha) x.premultiply_u8(cur, width * rows, ch);
    }
    const rowBytes = width * ch;
    let out: number, outRows: number;
    if (p.vertical) {
      const c = p.vertical;
      checkWindows(c, rows, "vertical");
      outRows = c.outSize;
      out = heap.scratch(rowBytes * outRows);
      x.resample_v_u8(
        cur,
        stride,
        out,
        rowBytes,
        outRows,
        rowBytes,
        put(c.bounds),
        put(c.weights),
        c.ksize,
      );
    } else {
      outRows = rows; // `cur` is already dense rows of `width` pixels
      out = cur;
    }
    if (p.alpha) x.unpremultiply_u8(out, width * outRows, ch);
    return heap.u8(out, rowBytes * outRows).slice();
  } finally {
    heap.reset(m);
  }
}

/** Premultiplies (`undo` false) or un-premultiplies interleaved 2- or 4-channel pixels (a copy). */
export function premultiplyU8(k: Kernels, px: Uint8Array, ch: number, undo = false): Uint8Array {
  if ((ch !== 2 && ch !== 4) || px.length % ch !== 0) bad(`alpha pixels: ${px.length} B, ch=${ch}`);
  const { x, heap } = kernelCore(k);
  const m = heap.mark();
  try {
    const p = heap.put(px);
    (undo ? x.unpremultiply_u8 : x.premultiply_u8)(p, px.length / ch, ch);
    return heap.u8(p, px.length).slice();
  } finally {
    heap.reset(m);
  }
}

/** How 8-bit values become floats before normalisation (see assembly/normalize.ts). */
export type RescaleMode =
  | { readonly kind: "div"; readonly divisor: number } // f32(v) / f32(divisor): torchvision ToTensor
  | { readonly kind: "mul64"; readonly factor: number }; // f32(f64(v) · factor): HF rescale

/** Per-channel normalisation: y = (rescale(v) − mean) / std, all in float32. */
export interface NormalizeParams {
  readonly rescale: RescaleMode;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * RGB bytes (h rows of w pixels, HWC) → 3 planes of h·w floats written into `out` at `offset`
 * (CHW, the layout of `pixel_values`).
 */
export function normalizeRgb(
  k: Kernels,
  rgb: Uint8Array,
  w: number,
  h: number,
  p: NormalizeParams,
  out: Float32Array,
  offset = 0,
): void {
  const n = w * h;
  if (rgb.length !== n * 3) bad(`rgb has ${rgb.length} B, want ${n * 3}`);
  if (offset < 0 || offset + 3 * n > out.length) {
    bad(`output of ${out.length} floats, need ${offset + 3 * n}`);
  }
  const { x, heap } = kernelCore(k);
  const m = heap.mark();
  try {
    const src = heap.put(rgb);
    const params = heap.scratch(40);
    const f = new Float32Array(heap.memory.buffer, params, 7);
    f.set([...p.mean, ...p.std], 0);
    f[6] = p.rescale.kind === "div" ? p.rescale.divisor : 1;
    new Float64Array(heap.memory.buffer, params + 32, 1)[0] = p.rescale.kind === "mul64"
      ? p.rescale.factor
      : 1;
    const dst = heap.scratch(12 * n);
    x.normalize_rgb_f32(src, w * 3, w, h, dst, params, p.rescale.kind === "div" ? 0 : 1);
    out.set(new Float32Array(heap.memory.buffer, dst, 3 * n), offset);
  } finally {
    heap.reset(m);
  }
}
