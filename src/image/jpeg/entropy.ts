// Huffman entropy decoding of one scan (T.81 F.2 sequential, G.2 progressive) with libjpeg-turbo
// 2.1's arithmetic (jdhuff.c decode_mcu, jdphuff.c decode_mcu_DC_first/AC_first/DC_refine/
// AC_refine): coefficient blocks in natural order, 16-bit like JCOEF. Where libjpeg only warns
// and guesses (a bad code, data running out) this decoder throws `image_decode`.
//
// This is the TypeScript decoder; assembly/jpeg_entropy.ts is the same algorithm in wasm and is
// tested against it.

import { EdgeClipError } from "../../errors.ts";
import type { HuffmanTable } from "./huffman.ts";
import type { Frame } from "./layout.ts";
import { mcuCount, type Scan } from "./markers.ts";
import { NATURAL_ORDER } from "./tables.ts";
import type { ScanData } from "./scan_data.ts";

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `JPEG: ${msg}`);
}

/** Where decoded blocks go: per frame component, 64 coefficients per block, rows of blocksW. */
export interface CoefTarget {
  readonly coefs: readonly (Int16Array | null)[];
  /** iMCU row held at the start of the arrays (0 when they hold the whole image). */
  rowBase: number;
}

/** Decodes the MCUs of one scan, an iMCU row range at a time. */
export class ScanDecoder {
  readonly #frame: Frame;
  readonly #scan: Scan;
  readonly #data: Uint8Array;
  readonly #bounds: Int32Array;
  readonly #interval: number;
  // bit reader over the current restart interval
  #pos = 0;
  #lim = 0;
  #buf = 0;
  #cnt = 0;
  // restart and prediction state
  #nextInterval = 0;
  #togo = 0;
  readonly #pred: Int32Array;
  #eobrun = 0;

  /** `data` holds the unstuffed bytes `sd` describes (see unstuffScan). */
  constructor(frame: Frame, scan: Scan, data: Uint8Array, sd: ScanData) {
    this.#frame = frame;
    this.#scan = scan;
    this.#data = data;
    this.#bounds = sd.bounds;
    this.#interval = scan.restartInterval;
    this.#pred = new Int32Array(scan.comps.length);
    this.#startInterval();
  }

  /** MCUs of the scan (restart intervals count these). */
  static mcuCount(frame: Frame, scan: Scan): number {
    return mcuCount(frame, scan);
  }

  /** Decodes iMCU rows [r0, r1) into `target` (blocks of rows before target.rowBase are skipped). */
  decodeRows(r0: number, r1: number, target: CoefTarget): void {
    const f = this.#frame, s = this.#scan;
    if (s.comps.length > 1) {
      for (let r = r0; r < r1; r++) {
        for (let mx = 0; mx < f.mcusX; mx++) {
          this.#restartIfDue();
          for (let i = 0; i < s.comps.length; i++) {
            const c = f.components[s.comps[i]];
            const coefs = target.coefs[c.index]!;
            for (let v = 0; v < c.v; v++) {
              const row = (r - target.rowBase) * c.v + v;
              for (let h = 0; h < c.h; h++) {
                this.#block(coefs, (row * c.blocksW + mx * c.h + h) * 64, i);
              }
            }
          }
          this.#mcuDone();
        }
        this.#checkOverrun();
      }
    } else {
      const c = f.components[s.comps[0]];
      const coefs = target.coefs[c.index]!;
      for (let r = r0; r < r1; r++) {
        const br1 = Math.min((r + 1) * c.v, c.heightInBlocks);
        for (let br = r * c.v; br < br1; br++) {
          const row = br - target.rowBase * c.v;
          for (let bc = 0; bc < c.widthInBlocks; bc++) {
            this.#restartIfDue();
            this.#block(coefs, (row * c.blocksW + bc) * 64, 0);
            this.#mcuDone();
          }
        }
        this.#checkOverrun();
      }
    }
  }

  /** Throws if the decoder has read past the data of the current interval. */
  #checkOverrun(): void {
    if (this.#pos * 8 - this.#cnt > this.#lim * 8) bad("truncated or corrupt scan data");
  }

  #startInterval(): void {
    const k = this.#nextInterval++;
    this.#pos = this.#bounds[k];
    this.#lim = this.#bounds[k + 1];
    this.#buf = this.#cnt = 0;
    this.#pred.fill(0);
    this.#eobrun = 0;
    this.#togo = this.#interval;
  }

  #restartIfDue(): void {
    if (this.#interval && this.#togo === 0) {
      this.#checkOverrun();
      if (this.#nextInterval >= this.#bounds.length - 1) bad("missing restart marker");
      this.#startInterval();
    }
  }

  #mcuDone(): void {
    if (this.#interval) this.#togo--;
  }

  #block(coefs: Int16Array, off: number, ci: number): void {
    const s = this.#scan;
    if (!this.#frame.progressive) this.#sequential(coefs, off, s.dc[ci]!, s.ac[ci]!, ci);
    else if (s.ss === 0) {
      if (s.ah === 0) this.#dcFirst(coefs, off, s.dc[ci]!, ci);
      else if (this.#bits(1)) coefs[off] |= 1 << s.al;
    } else if (s.ah === 0) this.#acFirst(coefs, off, s.ac[ci]!);
    else this.#acRefine(coefs, off, s.ac[ci]!);
  }

  // ---- bits ---------------------------------------------------------------------------------

  #fill(): void {
    const d = this.#data, lim = this.#lim;
    while (this.#cnt <= 24) {
      this.#buf = (this.#buf << 8) | (this.#pos < lim ? d[this.#pos] : 0);
      this.#pos++;
      this.#cnt += 8;
    }
  }

  #bits(n: number): number {
    if (this.#cnt < n) this.#fill();
    this.#cnt -= n;
    return (this.#buf >>> this.#cnt) & ((1 << n) - 1);
  }

  /** n bits as a signed magnitude-category value (F.2.2.1 EXTEND). */
  #receive(n: number): number {
    const v = this.#bits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  #huff(t: HuffmanTable): number {
    if (this.#cnt < 16) this.#fill();
    const e = t.fast[(this.#buf >>> (this.#cnt - 9)) & 511];
    if (e) {
      this.#cnt -= e >> 8;
      return e & 255;
    }
    for (let l = 10; l <= 16; l++) {
      const code = (this.#buf >>> (this.#cnt - l)) & ((1 << l) - 1);
      if (code <= t.maxcode[l]) {
        this.#cnt -= l;
        return t.symbols[(code + t.valoffset[l]) & 255];
      }
    }
    bad("corrupt data (invalid Huffman code)");
  }

  // ---- block decoders ------------------------------------------------------------------------

  #sequential(coefs: Int16Array, off: number, dc: HuffmanTable, ac: HuffmanTable, ci: number) {
    const t = this.#huff(dc);
    // libjpeg keeps the predictor in an int (wrapping) and stores its low 16 bits
    this.#pred[ci] = (this.#pred[ci] + (t ? this.#receive(t) : 0)) | 0;
    coefs[off] = this.#pred[ci];
    for (let k = 1; k < 64; k++) {
      const rs = this.#huff(ac), r = rs >> 4, s = rs & 15;
      if (s) {
        k += r;
        coefs[off + NATURAL_ORDER[k]] = this.#receive(s);
      } else {
        if (r !== 15) break;
        k += 15;
      }
    }
  }

  #dcFirst(coefs: Int16Array, off: number, dc: HuffmanTable, ci: number): void {
    const t = this.#huff(dc);
    const p = this.#pred[ci] + (t ? this.#receive(t) : 0);
    if (p > 0x7fffffff || p < -0x80000000) bad("corrupt data (DC coefficient overflow)");
    this.#pred[ci] = p;
    coefs[off] = p << this.#scan.al;
  }

  #acFirst(coefs: Int16Array, off: number, ac: HuffmanTable): void {
    if (this.#eobrun > 0) {
      this.#eobrun--;
      return;
    }
    const { se, al } = this.#scan;
    for (let k = this.#scan.ss; k <= se; k++) {
      const rs = this.#huff(ac), r = rs >> 4, s = rs & 15;
      if (s) {
        k += r;
        coefs[off + NATURAL_ORDER[k]] = this.#receive(s) << al;
      } else if (r === 15) {
        k += 15;
      } else {
        this.#eobrun = (1 << r) - 1 + (r ? this.#bits(r) : 0);
        break;
      }
    }
  }

  #acRefine(coefs: Int16Array, off: number, ac: HuffmanTable): void {
    const { se, al } = this.#scan;
    const p1 = 1 << al, m1 = -1 << al;
    let k = this.#scan.ss;
    // Refines an already nonzero coefficient by one correction bit.
    const correct = (i: number) => {
      const c = coefs[i];
      if (this.#bits(1) && (c & p1) === 0) coefs[i] = c >= 0 ? c + p1 : c + m1;
    };
    if (this.#eobrun === 0) {
      for (; k <= se; k++) {
        const rs = this.#huff(ac);
        let r = rs >> 4, s = rs & 15;
        if (s) {
          if (s !== 1) bad("corrupt data (bad refinement code)");
          s = this.#bits(1) ? p1 : m1;
        } else if (r !== 15) {
          this.#eobrun = (1 << r) + (r ? this.#bits(r) : 0);
          break;
        }
        // skip r zero-history coefficients (refining the nonzero ones passed on the way)
        do {
          const i = off + NATURAL_ORDER[k];
          if (coefs[i] !== 0) correct(i);
          else if (--r < 0) break;
          k++;
        } while (k <= se);
        if (s) coefs[off + NATURAL_ORDER[k]] = s;
      }
    }
    if (this.#eobrun > 0) {
      for (; k <= se; k++) {
        const i = off + NATURAL_ORDER[k];
        if (coefs[i] !== 0) correct(i);
      }
      this.#eobrun--;
    }
  }
}
