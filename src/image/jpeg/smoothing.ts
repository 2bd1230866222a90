// Inter-block smoothing of progressive JPEGs whose low-frequency AC coefficients are not fully
// known when decoding ends (a progression that stops early): libjpeg-turbo 2.1 (jdcoefct.c
// smoothing_ok / decompress_smooth_data, on by default) estimates the first 9 AC coefficients
// — and, with no AC data at all, the DC — from the DC values of the 5×5 neighbouring blocks.
// Complete progressive files (every coefficient refined to Al = 0) are never smoothed.

import type { Frame } from "./layout.ts";
import type { JpegFile } from "./markers.ts";

/** Natural positions of zigzag coefficients 1..9 (AC01, AC10, AC20, AC11, AC02, AC03 … AC30). */
const POS = [1, 8, 16, 9, 2, 3, 10, 17, 24];

/**
 * Per component, the precision (Al of the last scan) of coefficients 0..9 when decoding ends:
 * −1 never coded, 0 exact (libjpeg's coef_bits).
 */
export function coefBits(file: JpegFile): Int32Array[] {
  const bits = file.frame.components.map(() => new Int32Array(10).fill(-1));
  for (const s of file.scans) {
    for (const c of s.comps) {
      for (let k = s.ss; k <= Math.min(s.se, 9); k++) bits[c][k] = s.al;
    }
  }
  return bits;
}

/** smoothing_ok: progressive, DC and quantisers present everywhere, and something to estimate. */
export function needsSmoothing(file: JpegFile, bits: Int32Array[]): boolean {
  if (!file.frame.progressive) return false;
  let useful = false;
  for (let c = 0; c < bits.length; c++) {
    const q = file.quant[c];
    if (!q || q[0] === 0 || POS.some((p) => q[p] === 0)) return false;
    if (bits[c][0] < 0) return false;
    for (let k = 1; k < 10; k++) if (bits[c][k] !== 0) useful = true;
  }
  return useful;
}

/**
 * Applies libjpeg's estimates in place to component `ci`'s blocks (`coefs`, rows of blocksW
 * blocks). DC neighbours are read from the values before smoothing.
 */
export function smoothComponent(
  frame: Frame,
  ci: number,
  coefs: Int16Array,
  quant: Int32Array,
  bits: Int32Array,
): void {
  const c = frame.components[ci];
  const bw = c.blocksW, v = c.v, rows = c.heightInBlocks, cols = c.widthInBlocks;
  const dc = new Int16Array(bw * c.blocksH);
  for (let i = 0; i < dc.length; i++) dc[i] = coefs[i * 64];
  const Q = (p: number) => quant[p] & 0xffff; // smoothing reads the unsigned table entries
  const changeDc = [1, 2, 3, 4, 5, 6, 7, 8, 9].every((k) => bits[k] === -1);
  const lastImcu = frame.mcusY - 1;
  const D = new Float64Array(26); // D[1..25]: the 5×5 DC window, row-major
  for (let r = 0; r < rows; r++) {
    // libjpeg picks neighbour rows per iMCU row and is conservative near the bottom; mirror it
    const i = Math.floor(r / v), b = r % v;
    const blockRows = i < lastImcu ? v : rows - lastImcu * v;
    const prev = b > 0 || i > 0 ? r - 1 : r;
    const prev2 = b > 1 || i > 1 ? r - 2 : prev;
    const next = b < blockRows - 1 || i < lastImcu ? r + 1 : r;
    const next2 = b < blockRows - 2 || i + 1 < lastImcu ? r + 2 : next;
    const rowIdx = [prev2, prev, r, next, next2];
    // sliding registers, initialised to column 0 as libjpeg does (it matters for narrow images)
    for (let y = 0; y < 5; y++) {
      for (let x = 1; x <= 5; x++) D[5 * y + x] = dc[rowIdx[y] * bw];
    }
    const last = cols - 1;
    for (let col = 0; col <= last; col++) {
      if (col === 0 && col < last) {
        for (let y = 0; y < 5; y++) D[5 * y + 4] = dc[rowIdx[y] * bw + 1];
      }
      if (col + 1 < last) {
        for (let y = 0; y < 5; y++) D[5 * y + 5] = dc[rowIdx[y] * bw + col + 2];
      }
      estimateBlock(coefs, (r * bw + col) * 64, D, Q, bits, changeDc);
      for (let y = 0; y < 5; y++) {
        for (let x = 1; x <= 4; x++) D[5 * y + x] = D[5 * y + x + 1];
      }
    }
  }
}

/** One prediction: round(num / (Q·256)) toward zero with halves up, clamped below 2^Al. */
function predict(num: number, q: number, al: number, clampAl: boolean): number {
  let pred = Math.floor(((q * 128) + Math.abs(num)) / (q * 256));
  if (clampAl && al > 0 && pred >= 1 << al) pred = (1 << al) - 1;
  return num >= 0 ? pred : -pred;
}

function estimateBlock(
  co: Int16Array,
  o: number,
  D: Float64Array,
  Q: (p: number) => number,
  bits: Int32Array,
  changeDc: boolean,
): void {
  const q00 = Q(0);
  // linear combinations of the DC window for each coefficient (libjpeg's kernels, verbatim)
  const sums = changeDc
    ? [
      -D[1] - D[2] + D[4] + D[5] - 3 * D[6] + 13 * D[7] - 13 * D[9] + 3 * D[10] - 3 * D[11] +
      38 * D[12] - 38 * D[14] + 3 * D[15] - 3 * D[16] + 13 * D[17] - 13 * D[19] + 3 * D[20] -
      D[21] - D[22] + D[24] + D[25],
      -D[1] - 3 * D[2] - 3 * D[3] - 3 * D[4] - D[5] - D[6] + 13 * D[7] + 38 * D[8] + 13 * D[9] -
      D[10] + D[16] - 13 * D[17] - 38 * D[18] - 13 * D[19] + D[20] + D[21] + 3 * D[22] +
      3 * D[23] + 3 * D[24] + D[25],
      D[3] + 2 * D[7] + 7 * D[8] + 2 * D[9] - 5 * D[12] - 14 * D[13] - 5 * D[14] + 2 * D[17] +
      7 * D[18] + 2 * D[19] + D[23],
      -D[1] + D[5] + 9 * D[7] - 9 * D[9] - 9 * D[17] + 9 * D[19] + D[21] - D[25],
      2 * D[7] - 5 * D[8] + 2 * D[9] + D[11] + 7 * D[12] - 14 * D[13] + 7 * D[14] + D[15] +
      2 * D[17] - 5 * D[18] + 2 * D[19],
      D[7] - D[9] + 2 * D[12] - 2 * D[14] + D[17] - D[19],
      D[7] - 3 * D[8] + D[9] - D[17] + 3 * D[18] - D[19],
      D[7] - D[9] - 3 * D[12] + 3 * D[14] + D[17] - D[19],
      D[7] + 2 * D[8] + D[9] - D[17] - 2 * D[18] - D[19],
    ]
    : [
      -7 * D[11] + 50 * D[12] - 50 * D[14] + 7 * D[15],
      -7 * D[3] + 50 * D[8] - 50 * D[18] + 7 * D[23],
      -D[3] + 13 * D[8] - 24 * D[13] + 13 * D[18] - D[23],
      D[10] + D[16] - 10 * D[17] + 10 * D[19] - D[2] - D[20] + D[22] - D[24] + D[4] - D[6] +
      10 * D[7] - 10 * D[9],
      -D[11] + 13 * D[12] - 24 * D[13] + 13 * D[14] - D[15],
    ];
  for (let k = 0; k < sums.length; k++) {
    const al = bits[k + 1], p = POS[k];
    if (al !== 0 && co[o + p] === 0) co[o + p] = predict(q00 * sums[k], Q(p), al, true);
  }
  if (changeDc) {
    const s = -2 * D[1] - 6 * D[2] - 8 * D[3] - 6 * D[4] - 2 * D[5] - 6 * D[6] + 6 * D[7] +
      42 * D[8] + 6 * D[9] - 6 * D[10] - 8 * D[11] + 42 * D[12] + 152 * D[13] + 42 * D[14] -
      8 * D[15] - 6 * D[16] + 6 * D[17] + 42 * D[18] + 6 * D[19] - 6 * D[20] - 2 * D[21] -
      6 * D[22] - 8 * D[23] - 6 * D[24] - 2 * D[25];
    co[o] = predict(q00 * s, q00, 0, false);
  }
}
