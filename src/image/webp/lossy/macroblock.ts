// Per-macroblock syntax of a VP8 key frame: the intra modes from the first partition (§11, §19.3)
// and the DCT/WHT coefficient tokens from a token partition (§13), dequantized as they are read.
// Contexts and the int16 coefficient storage follow libwebp (tree_dec.c, vp8_dec.c), whose
// arithmetic is the reference here: dequantized values are stored as int16 (they wrap on overflow).

import type { BoolDecoder } from "./bool_decoder.ts";
import type { FrameHeader, QuantMatrix } from "./header.ts";
import { BMODE_PROBS } from "./tables.ts";

/** 4x4 intra modes, in libwebp's numbering (the order of `BMODE_PROBS`). */
export const enum BMode {
  DC = 0,
  TM = 1,
  VE = 2,
  HE = 3,
  RD = 4,
  VR = 5,
  LD = 6,
  VL = 7,
  HD = 8,
  HU = 9,
}

/** Coefficient position → raster index inside a 4x4 block. */
export const ZIGZAG = new Uint8Array([0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15]);
/** Coefficient position → probability band (entry 16 is a sentinel). */
const BANDS = new Uint8Array([0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0]);
/** Extra-bit probabilities of the DCT_CAT3..6 tokens (§13.2). */
const CAT_PROBS = [
  [173, 148, 140],
  [176, 155, 140, 135],
  [180, 157, 141, 134, 130],
  [254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129],
];

/** Token types (first index of the probability table). */
const TYPE_I16_AC = 0, TYPE_Y2 = 1, TYPE_UV = 2, TYPE_I4 = 3;

/** Modes of one macroblock, as parsed from the first partition. */
export interface MbModes {
  segment: number;
  skip: boolean;
  isI4x4: boolean;
  /** 16x16 mode (as a BMode: DC, TM, VE or HE) or the 16 sub-block modes in raster order. */
  readonly imodes: Uint8Array;
  /** Chroma mode (DC, TM, VE or HE as BMode values). */
  uvMode: number;
}

/** Parses the modes of one macroblock row; `top` holds 4 sub-block modes per column. */
export function parseModeRow(
  hdr: FrameHeader,
  top: Uint8Array,
  out: MbModes[],
): void {
  const br = hdr.modes;
  const left = new Uint8Array(4); // BMode.DC at each row start
  for (let mbX = 0; mbX < hdr.mbW; mbX++) {
    const m = out[mbX];
    const sp = hdr.segmentProbs;
    m.segment = hdr.updateSegmentMap
      ? (!br.getBit(sp[0]) ? br.getBit(sp[1]) : br.getBit(sp[2]) + 2)
      : 0;
    m.skip = hdr.skipProb >= 0 ? br.getBit(hdr.skipProb) === 1 : false;
    m.isI4x4 = !br.getBit(145);
    const t = 4 * mbX;
    if (!m.isI4x4) {
      const ymode = br.getBit(156)
        ? (br.getBit(128) ? BMode.TM : BMode.HE)
        : (br.getBit(163) ? BMode.VE : BMode.DC);
      m.imodes[0] = ymode;
      top.fill(ymode, t, t + 4);
      left.fill(ymode);
    } else {
      for (let y = 0; y < 4; y++) {
        let ymode = left[y];
        for (let x = 0; x < 4; x++) {
          ymode = readBMode(br, 90 * top[t + x] + 9 * ymode);
          top[t + x] = ymode;
          m.imodes[4 * y + x] = ymode;
        }
        left[y] = ymode;
      }
    }
    m.uvMode = !br.getBit(142)
      ? BMode.DC
      : !br.getBit(114)
      ? BMode.VE
      : br.getBit(183)
      ? BMode.TM
      : BMode.HE;
  }
}

/** The 4x4 mode tree (§11.2) with the probabilities at `BMODE_PROBS[p..p+9)`. */
function readBMode(br: BoolDecoder, p: number): number {
  const P = BMODE_PROBS;
  if (!br.getBit(P[p])) return BMode.DC;
  if (!br.getBit(P[p + 1])) return BMode.TM;
  if (!br.getBit(P[p + 2])) return BMode.VE;
  if (!br.getBit(P[p + 3])) {
    if (!br.getBit(P[p + 4])) return BMode.HE;
    return br.getBit(P[p + 5]) ? BMode.VR : BMode.RD;
  }
  if (!br.getBit(P[p + 6])) return BMode.LD;
  if (!br.getBit(P[p + 7])) return BMode.VL;
  return br.getBit(P[p + 8]) ? BMode.HU : BMode.HD;
}

/** Magnitude of a token of 2 or more (§13.2), `p` indexing the node probabilities. */
function largeValue(br: BoolDecoder, probs: Uint8Array, p: number): number {
  if (!br.getBit(probs[p + 3])) {
    return br.getBit(probs[p + 4]) ? 3 + br.getBit(probs[p + 5]) : 2;
  }
  if (!br.getBit(probs[p + 6])) {
    if (!br.getBit(probs[p + 7])) return 5 + br.getBit(159);
    const v = 7 + 2 * br.getBit(165);
    return v + br.getBit(145);
  }
  const bit1 = br.getBit(probs[p + 8]);
  const bit0 = br.getBit(probs[p + 9 + bit1]);
  const cat = 2 * bit1 + bit0;
  let v = 0;
  for (const prob of CAT_PROBS[cat]) v = 2 * v + br.getBit(prob);
  return v + 3 + (8 << cat);
}

/**
 * Reads the tokens of one 4x4 block from position `n` (0, or 1 after a Y2 block) into
 * `out[off, off+16)` (raster order, dequantized by `dc`/`ac`). Returns the position after the
 * last token read: `n` itself when the block ends at once, 16 when it runs to the end.
 */
function readCoeffs(
  br: BoolDecoder,
  probs: Uint8Array,
  type: number,
  ctx: number,
  dc: number,
  ac: number,
  n: number,
  out: Int16Array,
  off: number,
): number {
  const tb = type * 8;
  let p = ((tb + BANDS[n]) * 3 + ctx) * 11;
  for (; n < 16; n++) {
    if (!br.getBit(probs[p])) return n; // end of block
    while (!br.getBit(probs[p + 1])) { // a zero
      if (++n === 16) return 16;
      p = (tb + BANDS[n]) * 33;
    }
    let v: number;
    const next = (tb + BANDS[n + 1]) * 33;
    if (!br.getBit(probs[p + 2])) {
      v = 1;
      p = next + 11;
    } else {
      v = largeValue(br, probs, p);
      p = next + 22;
    }
    if (br.getSign()) v = -v;
    out[off + ZIGZAG[n]] = v * (n > 0 ? ac : dc);
  }
  return 16;
}

/** Inverse Walsh-Hadamard transform of the Y2 block into the DC of the 16 luma blocks. */
export function inverseWht(inp: Int16Array, out: Int16Array): void {
  const t = new Int32Array(16);
  for (let i = 0; i < 4; i++) {
    const a0 = inp[i] + inp[12 + i];
    const a1 = inp[4 + i] + inp[8 + i];
    const a2 = inp[4 + i] - inp[8 + i];
    const a3 = inp[i] - inp[12 + i];
    t[i] = a0 + a1;
    t[8 + i] = a0 - a1;
    t[4 + i] = a3 + a2;
    t[12 + i] = a3 - a2;
  }
  for (let i = 0; i < 4; i++) {
    const dc = t[4 * i] + 3;
    const a0 = dc + t[4 * i + 3];
    const a1 = t[4 * i + 1] + t[4 * i + 2];
    const a2 = t[4 * i + 1] - t[4 * i + 2];
    const a3 = dc - t[4 * i + 3];
    out[64 * i] = (a0 + a1) >> 3;
    out[64 * i + 16] = (a3 + a2) >> 3;
    out[64 * i + 32] = (a0 - a1) >> 3;
    out[64 * i + 48] = (a3 - a2) >> 3;
  }
}

/** Non-zero contexts carried between macroblocks (libwebp's VP8MB, one per column plus left). */
export interface NzContext {
  /** Bits 0-3 luma columns/rows, 4-5 U, 6-7 V. */
  readonly top: Uint8Array;
  readonly topDc: Uint8Array;
  left: number;
  leftDc: number;
}

/**
 * Reads the residuals of one macroblock into `coeffs` (384 values: 16 Y, 4 U, 4 V blocks) and
 * libwebp's per-block code into `codes` (0-15 Y, 16-19 U, 20-23 V): 3 when tokens were read
 * past position 3, 2 past position 1, else 1 if the DC is non-zero, 0 for an all-zero block.
 * libwebp picks its inverse transform by this code. Returns whether any code is non-zero (a
 * macroblock without residual has none of its inner edges filtered).
 */
export function readResiduals(
  br: BoolDecoder,
  probs: Uint8Array,
  q: QuantMatrix,
  isI4x4: boolean,
  nz: NzContext,
  mbX: number,
  coeffs: Int16Array,
  codes: Uint8Array,
): boolean {
  coeffs.fill(0);
  let nonZero = 0;
  let first: number, acType: number;
  if (!isI4x4) {
    const dc = new Int16Array(16);
    const ctx = nz.topDc[mbX] + nz.leftDc;
    const n = readCoeffs(br, probs, TYPE_Y2, ctx, q.y2[0], q.y2[1], 0, dc, 0);
    nz.topDc[mbX] = nz.leftDc = n > 0 ? 1 : 0;
    inverseWht(dc, coeffs);
    first = 1;
    acType = TYPE_I16_AC;
  } else {
    first = 0;
    acType = TYPE_I4;
  }
  let tnz = nz.top[mbX] & 0x0f;
  const lnz = nz.left & 0x0f;
  let outT = 0, outL = 0;
  for (let y = 0; y < 4; y++) {
    let l = (lnz >> y) & 1;
    for (let x = 0; x < 4; x++) {
      const ctx = l + ((tnz >> x) & 1);
      const b = 4 * y + x;
      const n = readCoeffs(br, probs, acType, ctx, q.y1[0], q.y1[1], first, coeffs, 16 * b);
      l = n > first ? 1 : 0;
      tnz = (tnz & ~(1 << x)) | (l << x);
      nonZero |= codes[b] = n > 3 ? 3 : n > 1 ? 2 : coeffs[16 * b] !== 0 ? 1 : 0;
    }
    outL |= l << y;
  }
  outT = tnz;
  for (let ch = 0; ch < 2; ch++) {
    const shift = 4 + 2 * ch;
    let t = (nz.top[mbX] >> shift) & 3;
    let lf = (nz.left >> shift) & 3;
    for (let y = 0; y < 2; y++) {
      let l = (lf >> y) & 1;
      for (let x = 0; x < 2; x++) {
        const ctx = l + ((t >> x) & 1);
        const b = 16 + 4 * ch + 2 * y + x;
        const n = readCoeffs(br, probs, TYPE_UV, ctx, q.uv[0], q.uv[1], 0, coeffs, 16 * b);
        l = n > 0 ? 1 : 0;
        t = (t & ~(1 << x)) | (l << x);
        nonZero |= codes[b] = n > 3 ? 3 : n > 1 ? 2 : coeffs[16 * b] !== 0 ? 1 : 0;
      }
      lf = (lf & ~(1 << y)) | (l << y);
    }
    outT |= t << shift;
    outL |= lf << shift;
  }
  nz.top[mbX] = outT;
  nz.left = outL;
  return nonZero !== 0;
}
