// Typed wrappers for the JPEG kernels (assembly/jpeg_idct.ts, jpeg_upsample.ts, jpeg_color.ts).
// `JpegKernels` calls them on pointers the decoder laid out in linear memory (src/image/jpeg/
// reconstruct.ts); the array functions below stage plain arrays through scratch memory, for
// tests and one-off use. Knows nothing of JPEG files.

import { EdgeClipError } from "../errors.ts";
import type { Kernels } from "./kernels.ts";

function bad(msg: string): never {
  throw new EdgeClipError("runtime", `jpeg kernel call: ${msg}`);
}

/** Scratch each IDCT call needs (bytes). */
export const IDCT_WORKSPACE_BYTES = 512;
/** Scratch each colour conversion call needs (bytes). */
export const COLOR_TMP_BYTES = 64;

/**
 * A Huffman table as assembly/jpeg_entropy.ts reads it: fast[512] u16 at 0, maxcode[18] i32 at
 * HUFF_MAXCODE, valoffset[18] i32 at HUFF_VALOFF, symbols[256] u8 at HUFF_SYMBOLS, acFast[512]
 * i32 at HUFF_ACFAST (see src/image/jpeg/huffman.ts).
 */
export const HUFF_TABLE_BYTES = 3520;
export const HUFF_MAXCODE = 1024;
export const HUFF_VALOFF = 1096;
export const HUFF_SYMBOLS = 1168;
export const HUFF_ACFAST = 1472;

/**
 * Scan descriptor of assembly/jpeg_entropy.ts, in i32 words: data, bounds, intervals, restart
 * interval, mode, Ss, Se, Al, components, MCUs per row; at SCAN_DESC_COMP + 8·i per scan
 * component: coefficients, blocks per stored row, h, v, DC table, AC table, block rows, block
 * columns; decoder state from SCAN_DESC_STATE (zeroed before a scan's first call).
 */
export const SCAN_DESC_BYTES = 264;
export const SCAN_DESC_COMP = 16;
export const SCAN_DESC_STATE = 48;
/** Scan modes of the descriptor. */
export const SCAN_MODE = {
  sequential: 0,
  dcFirst: 1,
  dcRefine: 2,
  acFirst: 3,
  acRefine: 4,
} as const;
/** Error codes of jpeg_decode_rows. */
export const ENTROPY_ERRORS: Record<number, string> = {
  1: "corrupt data (invalid Huffman code)",
  2: "truncated or corrupt scan data",
  3: "corrupt data (bad refinement code)",
  4: "missing restart marker",
  5: "corrupt data (DC coefficient overflow)",
};

/** Pointer-level calls; every pointer is a byte offset in `k.mem`. */
export class JpegKernels {
  readonly #x: Kernels["x"];
  constructor(k: Kernels) {
    this.#x = k.x;
  }
  /**
   * IDCT of `nblocks` consecutive blocks (64 i16, natural order) with a 64-entry i32 quant table;
   * block b lands at out + 8b, rows `stride` apart. `ws`: IDCT_WORKSPACE_BYTES, 16-aligned.
   */
  idct(coef: number, quant: number, out: number, stride: number, nblocks: number, ws: number) {
    this.#x.jpeg_idct_islow(coef, quant, out, stride, nblocks, ws);
  }
  /**
   * Entropy-decodes iMCU rows [r0, r1) of the scan at `desc` (SCAN_DESC_* layout) into its
   * components' coefficient arrays (first stored row: iMCU row `rowBase`). Returns 0 or a key of
   * ENTROPY_ERRORS.
   */
  decodeRows(desc: number, r0: number, r1: number, rowBase: number): number {
    return this.#x.jpeg_decode_rows(desc, r0, r1, rowBase);
  }
  /** h2v1 triangle filter: dw (≥ 3) samples → 2·dw. */
  h2v1Fancy(inp: number, dw: number, out: number) {
    this.#x.jpeg_h2v1_fancy(inp, dw, out);
  }
  /** h2v2 triangle filter for one output row (far: row above for upper, below for lower). */
  h2v2Fancy(near: number, far: number, dw: number, out: number) {
    this.#x.jpeg_h2v2_fancy(near, far, dw, out);
  }
  /** h1v2 triangle filter for one output row; bias 1 with the row above, 2 with the row below. */
  h1v2Fancy(near: number, far: number, dw: number, bias: number, out: number) {
    this.#x.jpeg_h1v2_fancy(near, far, dw, bias, out);
  }
  /** Box filter: `outW` samples, each input sample repeated hExpand times. */
  boxRow(inp: number, outW: number, hExpand: number, out: number) {
    this.#x.jpeg_box_row(inp, outW, hExpand, out);
  }
  /** YCbCr rows → RGB (3n bytes). `tmp`: COLOR_TMP_BYTES. */
  yccRgb(y: number, cb: number, cr: number, out: number, n: number, tmp: number) {
    this.#x.jpeg_ycc_rgb(y, cb, cr, out, n, tmp);
  }
  /** YCCK rows → Pillow's CMYK (R, G, B, 255 − K). `tmp`: COLOR_TMP_BYTES. */
  ycckCmyk(y: number, cb: number, cr: number, k: number, out: number, n: number, tmp: number) {
    this.#x.jpeg_ycck_cmyk(y, cb, cr, k, out, n, tmp);
  }
  /** Three planar rows → interleaved. */
  interleave3(a: number, b: number, c: number, out: number, n: number) {
    this.#x.jpeg_interleave3(a, b, c, out, n);
  }
  /** Four planar rows → interleaved, each byte inverted. */
  interleave4Inv(a: number, b: number, c: number, d: number, out: number, n: number) {
    this.#x.jpeg_interleave4_inv(a, b, c, d, out, n);
  }
}

// ---- array helpers (stage through scratch memory) ----------------------------------------------

/**
 * IDCT of blocks given as arrays: `coefs` (64·n i16), `quant` (64 i32) → n blocks side by side,
 * an (8·n)×8 sample image, row-major.
 */
export function idctBlocks(k: Kernels, coefs: Int16Array, quant: Int32Array): Uint8Array {
  if (coefs.length % 64 !== 0 || quant.length !== 64) bad("idct: 64·n coefficients, 64 quant");
  const n = coefs.length / 64;
  return k.mem.scratch(() => {
    const c = k.mem.put(new Uint8Array(coefs.buffer, coefs.byteOffset, coefs.byteLength));
    const q = k.mem.put(quant);
    const out = k.mem.alloc(64 * n), ws = k.mem.alloc(IDCT_WORKSPACE_BYTES);
    new JpegKernels(k).idct(c, q, out, 8 * n, n, ws);
    return k.mem.u8(out, 64 * n).slice();
  });
}

/** Which upsampling filter `upsampleRow` runs. */
export type UpsampleKind =
  | { readonly kind: "h2v1" }
  | { readonly kind: "h2v2"; readonly far: Uint8Array }
  | { readonly kind: "h1v2"; readonly far: Uint8Array; readonly bias: 1 | 2 }
  | { readonly kind: "box"; readonly outW: number; readonly hExpand: number };

/** One upsampled row from `near` (and `far` for the vertical filters). */
export function upsampleRow(k: Kernels, near: Uint8Array, f: UpsampleKind): Uint8Array {
  const dw = near.length;
  const outLen = f.kind === "box" ? f.outW : f.kind === "h1v2" ? dw : 2 * dw;
  if (f.kind !== "box" && f.kind !== "h1v2" && dw < 3) bad("triangle filters need dw ≥ 3");
  if ((f.kind === "h2v2" || f.kind === "h1v2") && f.far.length !== dw) bad("far row length");
  if (f.kind === "box" && (f.hExpand < 1 || Math.ceil(f.outW / f.hExpand) > dw)) bad("box size");
  return k.mem.scratch(() => {
    const j = new JpegKernels(k);
    const a = k.mem.put(near), out = k.mem.alloc(outLen + 32);
    if (f.kind === "h2v1") j.h2v1Fancy(a, dw, out);
    else if (f.kind === "h2v2") j.h2v2Fancy(a, k.mem.put(f.far), dw, out);
    else if (f.kind === "h1v2") j.h1v2Fancy(a, k.mem.put(f.far), dw, f.bias, out);
    else j.boxRow(a, f.outW, f.hExpand, out);
    return k.mem.u8(out, outLen).slice();
  });
}

/** Which colour conversion `convertRow` runs on its planar rows. */
export type ColorKind = "ycc" | "ycck" | "interleave3" | "interleave4inv";

/** Converts equally long planar rows (3 or 4 of them) into one interleaved row. */
export function convertRow(k: Kernels, kind: ColorKind, rows: readonly Uint8Array[]): Uint8Array {
  const n = rows[0]?.length ?? 0;
  const ch = kind === "ycc" || kind === "interleave3" ? 3 : 4;
  if (rows.length !== ch || rows.some((r) => r.length !== n)) bad(`${kind}: ${ch} rows of n`);
  return k.mem.scratch(() => {
    const j = new JpegKernels(k);
    const p = rows.map((r) => k.mem.put(r));
    const out = k.mem.alloc(ch * n), tmp = k.mem.alloc(COLOR_TMP_BYTES);
    if (kind === "ycc") j.yccRgb(p[0], p[1], p[2], out, n, tmp);
    else if (kind === "ycck") j.ycckCmyk(p[0], p[1], p[2], p[3], out, n, tmp);
    else if (kind === "interleave3") j.interleave3(p[0], p[1], p[2], out, n);
    else j.interleave4Inv(p[0], p[1], p[2], p[3], out, n);
    return k.mem.u8(out, ch * n).slice();
  });
}
