// VP8 key-frame decoding into Y, U and V planes covering whole macroblocks. Each macroblock is
// predicted and reconstructed in a small work buffer (as libwebp's ReconstructRow does, from
// unfiltered neighbours: 127 above the first row, 129 left of the first column), copied to the
// planes, and the loop filter then runs over the finished frame in macroblock order, which
// gives the same pixels as libwebp's row-delayed filtering.

import { EdgeClipError } from "../../../errors.ts";
import { type FrameHeader, parseFrameHeader } from "./header.ts";
import { idctAdd, idctAdd16, idctAddDc } from "./idct.ts";
import { loopFilterFrame } from "./loop_filter.ts";
import { BMode, type MbModes, type NzContext, parseModeRow, readResiduals } from "./macroblock.ts";
import { BPS, DC_NO_LEFT, DC_NO_TOP, DC_NO_TOP_LEFT, predict4, predictBlock } from "./predict.ts";

/** Decoded planes; strides are `16·mbW` (Y) and `8·mbW` (U, V). */
export interface YuvFrame {
  readonly width: number;
  readonly height: number;
  readonly mbW: number;
  readonly mbH: number;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly yStride: number;
  readonly uvStride: number;
}

// Work buffer layout: Y (16x16) with one row above and 4 extra columns right, then U and V (8x8)
// side by side, each with a row above and a column left.
const Y_OFF = BPS + 8;
const U_OFF = Y_OFF + 16 * BPS + BPS;
const V_OFF = U_OFF + 16;
const WORK_SIZE = U_OFF + 8 * BPS + 8;

/** Raster offsets of the 16 luma sub-blocks in the work buffer. */
const SUB = Int32Array.from({ length: 16 }, (_, n) => Y_OFF + (n >> 2) * 4 * BPS + (n & 3) * 4);

function dcMode(mode: number, mbX: number, mbY: number): number {
  if (mode !== BMode.DC) return mode;
  if (mbX === 0) return mbY === 0 ? DC_NO_TOP_LEFT : DC_NO_LEFT;
  return mbY === 0 ? DC_NO_TOP : mode;
}

/**
 * Decodes a VP8 key frame (the payload of a `VP8 ` chunk, possibly with its padding byte, and
 * `chunkSize` its declared size). `checkSize` runs once the frame size is known and before any
 * plane is allocated (pixel limit, canvas agreement).
 */
export function decodeVp8(
  data: Uint8Array,
  checkSize: (width: number, height: number) => void,
  chunkSize = data.length,
): YuvFrame {
  const hdr = parseFrameHeader(data, chunkSize);
  checkSize(hdr.width, hdr.height);
  const { mbW, mbH } = hdr;
  const yStride = 16 * mbW, uvStride = 8 * mbW;
  const Y = new Uint8Array(yStride * 16 * mbH);
  const U = new Uint8Array(uvStride * 8 * mbH);
  const V = new Uint8Array(uvStride * 8 * mbH);
  const n = mbW * mbH;
  // Loop-filter parameters per macroblock: limit (0 = none), interior limit, hev threshold, inner.
  const filter = new Int32Array(4 * n);

  const topModes = new Uint8Array(4 * mbW);
  const modes: MbModes[] = Array.from({ length: mbW }, () => ({
    segment: 0,
    skip: false,
    isI4x4: false,
    imodes: new Uint8Array(16),
    uvMode: 0,
  }));
  const nz: NzContext = {
    top: new Uint8Array(mbW),
    topDc: new Uint8Array(mbW),
    left: 0,
    leftDc: 0,
  };
  const coeffs = new Int16Array(384);
  const codes = new Uint8Array(24);
  const work = new Uint8Array(WORK_SIZE);

  for (let mbY = 0; mbY < mbH; mbY++) {
    parseModeRow(hdr, topModes, modes);
    const br = hdr.parts[mbY & (hdr.parts.length - 1)];
    if (br.empty) throw new EdgeClipError("image_decode", "WebP: VP8 token partition is empty");
    nz.left = 0;
    nz.leftDc = 0;
    for (let mbX = 0; mbX < mbW; mbX++) {
      const m = modes[mbX];
      let nonZero = false;
      if (!m.skip) {
        nonZero = readResiduals(
          br,
          hdr.coeffProbs,
          hdr.quant[m.segment],
          m.isI4x4,
          nz,
          mbX,
          coeffs,
          codes,
        );
      } else {
        codes.fill(0);
        nz.top[mbX] = 0;
        nz.left = 0;
        if (!m.isI4x4) nz.topDc[mbX] = nz.leftDc = 0;
      }
      if (hdr.filterType > 0) {
        const s = 3 * (2 * m.segment + (m.isI4x4 ? 1 : 0));
        const f = 4 * (mbY * mbW + mbX);
        filter[f] = hdr.filterStrength[s];
        filter[f + 1] = hdr.filterStrength[s + 1];
        filter[f + 2] = hdr.filterStrength[s + 2];
        filter[f + 3] = m.isI4x4 || nonZero ? 1 : 0;
      }
      reconstructMb(hdr, m, mbX, mbY, codes, coeffs, work, Y, U, V);
    }
  }
  if (hdr.filterType > 0) loopFilterFrame(hdr.filterType, mbW, mbH, filter, Y, U, V);
  return { width: hdr.width, height: hdr.height, mbW, mbH, y: Y, u: U, v: V, yStride, uvStride };
}

/** Loads the edges of macroblock (mbX, mbY) into `work`, predicts, adds residuals, stores. */
function reconstructMb(
  hdr: FrameHeader,
  m: MbModes,
  mbX: number,
  mbY: number,
  codes: Uint8Array,
  coeffs: Int16Array,
  work: Uint8Array,
  Y: Uint8Array,
  U: Uint8Array,
  V: Uint8Array,
): void {
  const yStride = 16 * hdr.mbW, uvStride = 8 * hdr.mbW;
  const y0 = mbY * 16 * yStride + mbX * 16;
  const c0 = mbY * 8 * uvStride + mbX * 8;
  loadEdges(work, Y_OFF, 16, Y, y0, yStride, mbX, mbY);
  loadEdges(work, U_OFF, 8, U, c0, uvStride, mbX, mbY);
  loadEdges(work, V_OFF, 8, V, c0, uvStride, mbX, mbY);

  if (m.isI4x4) {
    // Four samples above-right of the macroblock serve sub-blocks 3, 7, 11 and 15 alike.
    const tr = Y_OFF - BPS + 16;
    if (mbY > 0) {
      if (mbX < hdr.mbW - 1) {
        for (let i = 0; i < 4; i++) work[tr + i] = Y[y0 - yStride + 16 + i];
      } else {
        work.fill(Y[y0 - yStride + 15], tr, tr + 4);
      }
    } else {
      work.fill(127, tr, tr + 4);
    }
    for (let r = 1; r < 4; r++) work.copyWithin(tr + 4 * r * BPS, tr, tr + 4);
    for (let b = 0; b < 16; b++) {
      predict4(work, SUB[b], m.imodes[b]);
      addResidual(coeffs, b, codes[b], work, SUB[b]);
    }
  } else {
    predictBlock(work, Y_OFF, 16, dcMode(m.imodes[0], mbX, mbY));
    for (let b = 0; b < 16; b++) addResidual(coeffs, b, codes[b], work, SUB[b]);
  }
  const uvMode = dcMode(m.uvMode, mbX, mbY);
  predictBlock(work, U_OFF, 8, uvMode);
  predictBlock(work, V_OFF, 8, uvMode);
  // libwebp transforms all four chroma blocks of a plane in full as soon as one needs it.
  const uFull = codes[16] | codes[17] | codes[18] | codes[19];
  const vFull = codes[20] | codes[21] | codes[22] | codes[23];
  for (let b = 0; b < 4; b++) {
    const o = (b >> 1) * 4 * BPS + (b & 1) * 4;
    addResidual(coeffs, 16 + b, uFull >= 2 ? 3 : codes[16 + b], work, U_OFF + o);
    addResidual(coeffs, 20 + b, vFull >= 2 ? 3 : codes[20 + b], work, V_OFF + o);
  }

  for (let r = 0; r < 16; r++) {
    const src = Y_OFF + r * BPS, dst = y0 + r * yStride;
    for (let x = 0; x < 16; x++) Y[dst + x] = work[src + x];
  }
  for (let r = 0; r < 8; r++) {
    const su = U_OFF + r * BPS, sv = V_OFF + r * BPS, dst = c0 + r * uvStride;
    for (let x = 0; x < 8; x++) {
      U[dst + x] = work[su + x];
      V[dst + x] = work[sv + x];
    }
  }
}

/**
 * Adds a block's inverse transform as libwebp chooses it by the block's code: 1 DC only, 2 the
 * C transform, 3 its SSE2 transform. The SSE2 one works in 16 bits and differs from the C one
 * only for values no encoder produces (beyond ±2048), from damaged data: then it is emulated.
 */
function addResidual(
  coeffs: Int16Array,
  b: number,
  code: number,
  work: Uint8Array,
  o: number,
): void {
  if (code === 0) return;
  const off = 16 * b;
  if (code === 1) return idctAddDc(coeffs, off, work, o, BPS);
  if (code === 3) {
    for (let i = 0; i < 16; i++) {
      const c = coeffs[off + i];
      if (c > 2048 || c < -2048) return idctAdd16(coeffs, off, work, o, BPS);
    }
  }
  idctAdd(coeffs, off, work, o, BPS);
}

/** Row above (with the top-left corner) and column left of a block, from the unfiltered planes. */
function loadEdges(
  work: Uint8Array,
  o: number,
  size: number,
  plane: Uint8Array,
  p0: number,
  stride: number,
  mbX: number,
  mbY: number,
): void {
  if (mbY > 0) {
    for (let i = 0; i < size; i++) work[o - BPS + i] = plane[p0 - stride + i];
    work[o - BPS - 1] = mbX > 0 ? plane[p0 - stride - 1] : 129;
  } else {
    work.fill(127, o - BPS - 1, o - BPS + size);
  }
  for (let r = 0; r < size; r++) work[o + r * BPS - 1] = mbX > 0 ? plane[p0 + r * stride - 1] : 129;
}
