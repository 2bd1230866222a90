// Entropy decoding on the wasm kernel (assembly/jpeg_entropy.ts): lays out a scan's Huffman
// tables, descriptor and unstuffed data in an EntropyArena and runs it an iMCU-row range at a
// time, like the TypeScript ScanDecoder (entropy.ts), which it must match coefficient for
// coefficient.

import { EdgeClipError } from "../../errors.ts";
import { ENTROPY_ERRORS, EntropyArena, SCAN_MODE } from "../../wasm/jpeg.ts";
import type { I16Buf, Kernels } from "../../wasm/kernels.ts";
import type { Frame } from "./layout.ts";
import { mcuCount, type Scan } from "./markers.ts";
import { unstuffScan } from "./scan_data.ts";

/** Allocates (scratch) an arena fit for every scan of `scans`. */
export function allocEntropyArena(k: Kernels, frame: Frame, scans: readonly Scan[]): EntropyArena {
  let dataBytes = 0, intervals = 1;
  for (const s of scans) {
    dataBytes = Math.max(dataBytes, s.end - s.start);
    intervals = Math.max(intervals, intervalsOf(frame, s));
  }
  return new EntropyArena(k, dataBytes, intervals);
}

/** Restart intervals of a scan (1 without restart markers). */
export function intervalsOf(frame: Frame, s: Scan): number {
  return s.restartInterval ? Math.ceil(mcuCount(frame, s) / s.restartInterval) : 1;
}

/** Decodes one scan into the coefficient buffers `coefs` (per frame component). */
export class WasmScanDecoder {
  readonly #arena: EntropyArena;

  /** Sets up the arena for `scan` (tables, data, descriptor). */
  constructor(
    arena: EntropyArena,
    bytes: Uint8Array,
    frame: Frame,
    scan: Scan,
    coefs: readonly I16Buf[],
  ) {
    this.#arena = arena;
    const intervals = intervalsOf(frame, scan);
    const mode = !frame.progressive
      ? SCAN_MODE.sequential
      : scan.ss === 0
      ? (scan.ah === 0 ? SCAN_MODE.dcFirst : SCAN_MODE.dcRefine)
      : (scan.ah === 0 ? SCAN_MODE.acFirst : SCAN_MODE.acRefine);
    arena.setup(
      {
        mode,
        intervals,
        restartInterval: scan.restartInterval,
        ss: scan.ss,
        se: scan.se,
        al: scan.al,
        mcusX: frame.mcusX,
        comps: scan.comps.map((ci, i) => {
          const c = frame.components[ci];
          return {
            coef: coefs[ci],
            blocksW: c.blocksW,
            h: c.h,
            v: c.v,
            dc: scan.dc[i] ?? undefined,
            ac: scan.ac[i] ?? undefined,
            heightInBlocks: c.heightInBlocks,
            widthInBlocks: c.widthInBlocks,
          };
        }),
      },
      (dest) =>
        unstuffScan(
          bytes,
          scan.start,
          scan.end,
          dest.subarray(0, scan.end - scan.start),
          intervals,
        ),
    );
  }

  /** Decodes iMCU rows [r0, r1); the coefficient buffers start at iMCU row `rowBase`. */
  decodeRows(r0: number, r1: number, rowBase: number): void {
    const err = this.#arena.decodeRows(r0, r1, rowBase);
    if (err) {
      throw new EdgeClipError(
        "image_decode",
        `JPEG: ${ENTROPY_ERRORS[err] ?? `entropy error ${err}`}`,
      );
    }
  }
}
