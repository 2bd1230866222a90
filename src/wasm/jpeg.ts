// Typed wrappers for the JPEG kernels (assembly/jpeg_idct.ts, jpeg_upsample.ts, jpeg_color.ts,
// jpeg_entropy.ts). `JpegKernels` calls them on handles the decoder laid out (src/image/jpeg/
// reconstruct.ts), `EntropyArena` owns the entropy decoder's descriptor and tables; the array
// functions below stage plain arrays through scratch memory, for tests and one-off use. Knows
// nothing of JPEG files.

import { EdgeClipError } from "../errors.ts";
import type { I16Buf, I32Buf, U8Buf } from "./buffers.ts";
import { kernelCore, type Kernels, type RawExports } from "./kernels.ts";
import type { Heap } from "./memory.ts";

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
const HUFF_TABLE_BYTES = 3520;
const HUFF_MAXCODE = 1024;
const HUFF_VALOFF = 1096;
const HUFF_SYMBOLS = 1168;
const HUFF_ACFAST = 1472;

/**
 * Scan descriptor of assembly/jpeg_entropy.ts, in i32 words: data, bounds, intervals, restart
 * interval, mode, Ss, Se, Al, components, MCUs per row; at SCAN_DESC_COMP + 8·i per scan
 * component: coefficients, blocks per stored row, h, v, DC table, AC table, block rows, block
 * columns; decoder state from word 48 (zeroed before a scan's first call).
 */
const SCAN_DESC_BYTES = 264;
const SCAN_DESC_COMP = 16;
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

/**
 * A row inside a byte buffer: kernels read or write `buf` from byte `at`. Made once per buffer
 * and moved from row to row (set `at`), so a decoder's per-row loop allocates nothing.
 */
export interface Row {
  readonly buf: U8Buf;
  at: number;
}

/** A Row over `buf` at byte `at`. */
export function rowIn(buf: U8Buf, at = 0): Row {
  return { buf, at };
}

/** Typed calls on buffers the decoder laid out (src/image/jpeg/reconstruct.ts). */
export class JpegKernels {
  readonly #x: RawExports;
  readonly #heap: Heap;
  constructor(k: Kernels) {
    const c = kernelCore(k);
    this.#x = c.x;
    this.#heap = c.heap;
  }
  /**
   * IDCT of `nblocks` consecutive blocks (64 i16 each, natural order) from block `first` of
   * `coef`, with a 64-entry quant table; block b lands at out + 8b, rows `stride` apart.
   * `ws`: IDCT_WORKSPACE_BYTES.
   */
  idct(
    coef: I16Buf,
    first: number,
    quant: I32Buf,
    out: Row,
    stride: number,
    nblocks: number,
    ws: U8Buf,
  ) {
    if (first < 0 || (first + nblocks) * 64 > coef.length || quant.length < 64) bad("idct blocks");
    if (ws.length < IDCT_WORKSPACE_BYTES) bad("idct workspace");
    const dst = nblocks > 0 ? at(out, 7 * stride + 8 * nblocks) : 0;
    this.#x.jpeg_idct_islow(coef.ptr + first * 128, quant.ptr, dst, stride, nblocks, ws.ptr);
  }
  /** h2v1 triangle filter: dw (≥ 3) samples → 2·dw. */
  h2v1Fancy(inp: Row, dw: number, out: Row) {
    this.#x.jpeg_h2v1_fancy(at(inp, dw), dw, at(out, 2 * dw));
  }
  /** h2v2 triangle filter for one output row (far: row above for upper, below for lower). */
  h2v2Fancy(near: Row, far: Row, dw: number, out: Row) {
    this.#x.jpeg_h2v2_fancy(at(near, dw), at(far, dw), dw, at(out, 2 * dw));
  }
  /** h1v2 triangle filter for one output row; bias 1 with the row above, 2 with the row below. */
  h1v2Fancy(near: Row, far: Row, dw: number, bias: number, out: Row) {
    this.#x.jpeg_h1v2_fancy(at(near, dw), at(far, dw), dw, bias, at(out, dw));
  }
  /** Box filter: `outW` samples, each input sample repeated hExpand times. */
  boxRow(inp: Row, outW: number, hExpand: number, out: Row) {
    this.#x.jpeg_box_row(at(inp, Math.ceil(outW / hExpand)), outW, hExpand, at(out, outW));
  }
  /** YCbCr rows → RGB (3n bytes). `tmp`: COLOR_TMP_BYTES. */
  yccRgb(y: Row, cb: Row, cr: Row, out: Row, n: number, tmp: U8Buf) {
    this.#x.jpeg_ycc_rgb(at(y, n), at(cb, n), at(cr, n), at(out, 3 * n), n, tmpOf(tmp));
  }
  /** YCCK rows → Pillow's CMYK (R, G, B, 255 − K). `tmp`: COLOR_TMP_BYTES. */
  ycckCmyk(y: Row, cb: Row, cr: Row, k: Row, out: Row, n: number, tmp: U8Buf) {
    this.#x.jpeg_ycck_cmyk(at(y, n), at(cb, n), at(cr, n), at(k, n), at(out, 4 * n), n, tmpOf(tmp));
  }
  /** Three planar rows → interleaved. */
  interleave3(a: Row, b: Row, c: Row, out: Row, n: number) {
    this.#x.jpeg_interleave3(at(a, n), at(b, n), at(c, n), at(out, 3 * n), n);
  }
  /** Four planar rows → interleaved, each byte inverted. */
  interleave4Inv(a: Row, b: Row, c: Row, d: Row, out: Row, n: number) {
    this.#x.jpeg_interleave4_inv(at(a, n), at(b, n), at(c, n), at(d, n), at(out, 4 * n), n);
  }
  /** Copies n bytes of one row to another (a grey image's samples). */
  copy(src: Row, dst: Row, n: number) {
    const s = at(src, n);
    new Uint8Array(this.#heap.memory.buffer).copyWithin(at(dst, n), s, s + n);
  }
}

/** The address of a row after checking that `n` bytes from it lie inside its buffer. */
function at(r: Row, n: number): number {
  if (!(r.at >= 0 && r.at + n <= r.buf.length)) bad(`row [${r.at}, +${n}) outside ${r.buf.length}`);
  return r.buf.ptr + r.at;
}

function tmpOf(tmp: U8Buf): number {
  if (tmp.length < COLOR_TMP_BYTES) bad("colour conversion scratch");
  return tmp.ptr;
}

// ---- entropy decoding (assembly/jpeg_entropy.ts) -----------------------------------------------

/** A Huffman table as the entropy kernel reads it (src/image/jpeg/huffman.ts builds them). */
export interface HuffTable {
  readonly fast: Uint16Array;
  readonly maxcode: Int32Array;
  readonly valoffset: Int32Array;
  readonly symbols: Uint8Array;
  readonly acFast: Int32Array;
}

/** One component of a scan, as the descriptor records it. */
export interface ScanComponent {
  /** Coefficients of the component's stored block rows (64 i16 per block). */
  readonly coef: I16Buf;
  readonly blocksW: number;
  readonly h: number;
  readonly v: number;
  readonly dc?: HuffTable;
  readonly ac?: HuffTable;
  readonly heightInBlocks: number;
  readonly widthInBlocks: number;
}

/** A scan's descriptor fields (SCAN_MODE, progression, layout). */
export interface ScanSetup {
  readonly mode: number;
  readonly intervals: number;
  readonly restartInterval: number;
  readonly ss: number;
  readonly se: number;
  readonly al: number;
  readonly mcusX: number;
  readonly comps: readonly ScanComponent[];
}

/** Unstuffed scan data written by a fill callback: its length and interval bounds. */
export interface ScanFill {
  readonly length: number;
  readonly bounds: ArrayLike<number>;
}

/**
 * Scratch memory for entropy decoding, allocated once for all the scans of a file: descriptor,
 * 8 Huffman tables (4 DC + 4 AC), the unstuffed data of the longest scan (+ 8 bytes the bit
 * reader may over-read) and the interval bounds.
 */
export class EntropyArena {
  readonly #x: RawExports;
  readonly #heap: Heap;
  readonly #desc: number;
  readonly #tables: number;
  readonly #data: number;
  readonly #dataBytes: number;
  readonly #bounds: number;
  readonly #intervals: number;

  /** Scratch of the caller's scope: `dataBytes` of scan data, up to `intervals` intervals. */
  constructor(k: Kernels, dataBytes: number, intervals: number) {
    const { x, heap } = kernelCore(k);
    this.#x = x;
    this.#heap = heap;
    this.#desc = heap.scratch(SCAN_DESC_BYTES);
    this.#tables = heap.scratch(8 * HUFF_TABLE_BYTES);
    this.#data = heap.scratch(dataBytes + 8);
    this.#dataBytes = dataBytes;
    this.#bounds = heap.scratch(4 * (intervals + 1));
    this.#intervals = intervals;
  }

  /**
   * Lays out one scan: `fill` writes its unstuffed data into the data area (a view valid during
   * the call) and returns the length and bounds; then the tables and the descriptor.
   */
  setup(scan: ScanSetup, fill: (dest: Uint8Array) => ScanFill): void {
    if (scan.intervals > this.#intervals || scan.comps.length > 4) {
      bad("scan larger than its arena");
    }
    const sd = fill(this.#heap.u8(this.#data, this.#dataBytes));
    if (sd.length > this.#dataBytes || sd.bounds.length !== scan.intervals + 1) bad("scan data");
    const buf = this.#heap.memory.buffer;
    new Uint8Array(buf, this.#data + sd.length, 8).fill(0);
    new Int32Array(buf, this.#bounds, scan.intervals + 1).set(sd.bounds);
    const d = new Int32Array(buf, this.#desc, SCAN_DESC_BYTES / 4).fill(0);
    d.set([
      this.#data,
      this.#bounds,
      scan.intervals,
      scan.restartInterval,
      scan.mode,
      scan.ss,
      scan.se,
      scan.al,
      scan.comps.length,
      scan.mcusX,
    ]);
    scan.comps.forEach((c, i) => {
      const dc = this.#tables + i * HUFF_TABLE_BYTES,
        ac = this.#tables + (4 + i) * HUFF_TABLE_BYTES;
      if (c.dc) this.#writeTable(dc, c.dc);
      if (c.ac) this.#writeTable(ac, c.ac);
      d.set(
        [c.coef.ptr, c.blocksW, c.h, c.v, dc, ac, c.heightInBlocks, c.widthInBlocks],
        SCAN_DESC_COMP + 8 * i,
      );
    });
  }

  /**
   * Entropy-decodes iMCU rows [r0, r1) of the scan set up last into its components' coefficient
   * buffers (first stored row: iMCU row `rowBase`). Returns 0 or a key of ENTROPY_ERRORS.
   */
  decodeRows(r0: number, r1: number, rowBase: number): number {
    return this.#x.jpeg_decode_rows(this.#desc, r0, r1, rowBase);
  }

  #writeTable(at: number, t: HuffTable): void {
    const buf = this.#heap.memory.buffer;
    new Uint16Array(buf, at, 512).set(t.fast);
    new Int32Array(buf, at + HUFF_MAXCODE, 18).set(t.maxcode);
    new Int32Array(buf, at + HUFF_VALOFF, 18).set(t.valoffset);
    new Uint8Array(buf, at + HUFF_SYMBOLS, 256).set(t.symbols);
    new Int32Array(buf, at + HUFF_ACFAST, 512).set(t.acFast);
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
  return k.scratch(() => {
    const out = k.buf("u8", 64 * n), ws = k.buf("u8", IDCT_WORKSPACE_BYTES);
    const c = k.bufFrom("i16", coefs);
    new JpegKernels(k).idct(c, 0, k.bufFrom("i32", quant), rowIn(out), 8 * n, n, ws);
    return k.readBuf(out);
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
  return k.scratch(() => {
    const j = new JpegKernels(k);
    const a = rowIn(k.bufFrom("u8", near)), buf = k.buf("u8", outLen + 32), out = rowIn(buf);
    if (f.kind === "h2v1") j.h2v1Fancy(a, dw, out);
    else if (f.kind === "h2v2") j.h2v2Fancy(a, rowIn(k.bufFrom("u8", f.far)), dw, out);
    else if (f.kind === "h1v2") j.h1v2Fancy(a, rowIn(k.bufFrom("u8", f.far)), dw, f.bias, out);
    else j.boxRow(a, f.outW, f.hExpand, out);
    return k.readBuf(k.slice(buf, 0, outLen));
  });
}

/** Which colour conversion `convertRow` runs on its planar rows. */
export type ColorKind = "ycc" | "ycck" | "interleave3" | "interleave4inv";

/** Converts equally long planar rows (3 or 4 of them) into one interleaved row. */
export function convertRow(k: Kernels, kind: ColorKind, rows: readonly Uint8Array[]): Uint8Array {
  const n = rows[0]?.length ?? 0;
  const ch = kind === "ycc" || kind === "interleave3" ? 3 : 4;
  if (rows.length !== ch || rows.some((r) => r.length !== n)) bad(`${kind}: ${ch} rows of n`);
  return k.scratch(() => {
    const j = new JpegKernels(k);
    const p = rows.map((r) => rowIn(k.bufFrom("u8", r)));
    const buf = k.buf("u8", ch * n), out = rowIn(buf), tmp = k.buf("u8", COLOR_TMP_BYTES);
    if (kind === "ycc") j.yccRgb(p[0], p[1], p[2], out, n, tmp);
    else if (kind === "ycck") j.ycckCmyk(p[0], p[1], p[2], p[3], out, n, tmp);
    else if (kind === "interleave3") j.interleave3(p[0], p[1], p[2], out, n);
    else j.interleave4Inv(p[0], p[1], p[2], p[3], out, n);
    return k.readBuf(buf);
  });
}
