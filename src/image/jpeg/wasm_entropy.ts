// Entropy decoding on the wasm kernel (assembly/jpeg_entropy.ts): lays out a scan's Huffman
// tables, descriptor and unstuffed data in linear memory and runs it an iMCU-row range at a
// time, like the TypeScript ScanDecoder (entropy.ts), which it must match coefficient for
// coefficient.

import { EdgeClipError } from "../../errors.ts";
import {
  ENTROPY_ERRORS,
  HUFF_ACFAST,
  HUFF_MAXCODE,
  HUFF_SYMBOLS,
  HUFF_TABLE_BYTES,
  HUFF_VALOFF,
  type JpegKernels,
  SCAN_DESC_BYTES,
  SCAN_DESC_COMP,
  SCAN_MODE,
} from "../../wasm/jpeg.ts";
import type { WasmMemory } from "../../wasm/memory.ts";
import type { HuffmanTable } from "./huffman.ts";
import type { Frame } from "./layout.ts";
import { mcuCount, type Scan } from "./markers.ts";
import { unstuffScan } from "./scan_data.ts";

/** Linear memory one decoder needs, allocated once for all the scans of a file. */
export interface EntropyArena {
  readonly desc: number;
  /** Room for 8 tables (4 DC + 4 AC). */
  readonly tables: number;
  /** Unstuffed data of the longest scan, plus 8 bytes the bit reader may over-read. */
  readonly data: number;
  readonly bounds: number;
}

/** Allocates an arena fit for every scan of `scans` (bytes of the file they come from). */
export function allocEntropyArena(
  mem: WasmMemory,
  frame: Frame,
  scans: readonly Scan[],
): EntropyArena {
  let dataBytes = 0, intervals = 1;
  for (const s of scans) {
    dataBytes = Math.max(dataBytes, s.end - s.start);
    intervals = Math.max(intervals, intervalsOf(frame, s));
  }
  return {
    desc: mem.alloc(SCAN_DESC_BYTES),
    tables: mem.alloc(8 * HUFF_TABLE_BYTES),
    data: mem.alloc(dataBytes + 8),
    bounds: mem.alloc(4 * (intervals + 1)),
  };
}

/** Restart intervals of a scan (1 without restart markers). */
export function intervalsOf(frame: Frame, s: Scan): number {
  return s.restartInterval ? Math.ceil(mcuCount(frame, s) / s.restartInterval) : 1;
}

function writeTable(mem: WasmMemory, at: number, t: HuffmanTable): void {
  new Uint16Array(mem.memory.buffer, at, 512).set(t.fast);
  new Int32Array(mem.memory.buffer, at + HUFF_MAXCODE, 18).set(t.maxcode);
  new Int32Array(mem.memory.buffer, at + HUFF_VALOFF, 18).set(t.valoffset);
  mem.u8(at + HUFF_SYMBOLS, 256).set(t.symbols);
  new Int32Array(mem.memory.buffer, at + HUFF_ACFAST, 512).set(t.acFast);
}

/** Decodes one scan into coefficient arrays at `coefPtr` (per frame component). */
export class WasmScanDecoder {
  readonly #j: JpegKernels;
  readonly #desc: number;

  /** Sets up the arena for `scan` (tables, data, descriptor); memory must not grow afterwards. */
  constructor(
    j: JpegKernels,
    mem: WasmMemory,
    arena: EntropyArena,
    bytes: Uint8Array,
    frame: Frame,
    scan: Scan,
    coefPtr: readonly number[],
  ) {
    this.#j = j;
    this.#desc = arena.desc;
    const intervals = intervalsOf(frame, scan);
    const sd = unstuffScan(
      bytes,
      scan.start,
      scan.end,
      mem.u8(arena.data, scan.end - scan.start),
      intervals,
    );
    mem.u8(arena.data + sd.length, 8).fill(0);
    new Int32Array(mem.memory.buffer, arena.bounds, intervals + 1).set(sd.bounds);
    const d = new Int32Array(mem.memory.buffer, arena.desc, SCAN_DESC_BYTES / 4).fill(0);
    const mode = !frame.progressive
      ? SCAN_MODE.sequential
      : scan.ss === 0
      ? (scan.ah === 0 ? SCAN_MODE.dcFirst : SCAN_MODE.dcRefine)
      : (scan.ah === 0 ? SCAN_MODE.acFirst : SCAN_MODE.acRefine);
    d.set([
      arena.data,
      arena.bounds,
      intervals,
      scan.restartInterval,
      mode,
      scan.ss,
      scan.se,
      scan.al,
      scan.comps.length,
      frame.mcusX,
    ]);
    scan.comps.forEach((ci, i) => {
      const c = frame.components[ci];
      const dc = arena.tables + i * HUFF_TABLE_BYTES,
        ac = arena.tables + (4 + i) * HUFF_TABLE_BYTES;
      if (scan.dc[i]) writeTable(mem, dc, scan.dc[i]!);
      if (scan.ac[i]) writeTable(mem, ac, scan.ac[i]!);
      d.set(
        [coefPtr[ci], c.blocksW, c.h, c.v, dc, ac, c.heightInBlocks, c.widthInBlocks],
        SCAN_DESC_COMP + 8 * i,
      );
    });
  }

  /** Decodes iMCU rows [r0, r1); the coefficient arrays start at iMCU row `rowBase`. */
  decodeRows(r0: number, r1: number, rowBase: number): void {
    const err = this.#j.decodeRows(this.#desc, r0, r1, rowBase);
    if (err) {
      throw new EdgeClipError(
        "image_decode",
        `JPEG: ${ENTROPY_ERRORS[err] ?? `entropy error ${err}`}`,
      );
    }
  }
}
