// VP8 key-frame headers (RFC 6386 §9 and §19.2): the uncompressed 10-byte frame tag, then from
// the first partition the segment, loop-filter, partition, quantizer and token-probability
// headers. Validation and defaults follow libwebp's VP8GetHeaders, so a stream libwebp rejects
// is rejected here too.

import { EdgeClipError } from "../../../errors.ts";
import { type BoolDecoder, createBoolDecoder } from "./bool_decoder.ts";
import { AC_TABLE, COEFF_PROBS_DEFAULT, COEFF_UPDATE_PROBS, DC_TABLE } from "./tables.ts";

/** Number of probabilities in the token tables: 4 types × 8 bands × 3 contexts × 11 nodes. */
export const NUM_COEFF_PROBS = 4 * 8 * 3 * 11;

/** Dequantization factors of one segment: [DC, AC] for Y, Y2 and chroma blocks. */
export interface QuantMatrix {
  readonly y1: readonly [number, number];
  readonly y2: readonly [number, number];
  readonly uv: readonly [number, number];
}

/** Everything the macroblock decoder needs from the frame headers. */
export interface FrameHeader {
  readonly width: number;
  readonly height: number;
  readonly mbW: number;
  readonly mbH: number;
  /** Reader of the first partition, positioned at the per-macroblock modes. */
  readonly modes: BoolDecoder;
  /** Token partitions; macroblock row y reads `parts[y % parts.length]`. */
  readonly parts: BoolDecoder[];
  /** Segment ids are coded per macroblock (with `segmentProbs`) when set. */
  readonly updateSegmentMap: boolean;
  readonly segmentProbs: Uint8Array;
  /** Dequantization per segment (4 entries). */
  readonly quant: QuantMatrix[];
  /** 0 none, 1 simple, 2 normal (libwebp: 0 whenever the frame-level level is 0). */
  readonly filterType: number;
  /** Per segment and [not i4x4, i4x4]: limit (0 = off), interior limit, hev threshold. */
  readonly filterStrength: Int32Array;
  /** Token probabilities after this frame's updates. */
  readonly coeffProbs: Uint8Array;
  /** Probability of the per-macroblock "no coefficients" flag, or -1 when it is not coded. */
  readonly skipProb: number;
}

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: VP8 ${what}`);

/**
 * Width and height from the 10-byte frame header, with libwebp's checks (VP8GetInfo);
 * `chunkSize` is the declared chunk size, which the first partition must be smaller than.
 */
export function readVp8Size(
  data: Uint8Array,
  chunkSize = data.length,
): { width: number; height: number } {
  if (data.length < 10) throw bad("frame header is truncated");
  const bits = data[0] | (data[1] << 8) | (data[2] << 16);
  if (bits & 1) throw bad("frame is not a key frame");
  if (((bits >> 1) & 7) > 3) throw bad("frame header has an unknown profile");
  if (!((bits >> 4) & 1)) throw bad("frame is not displayable");
  if (bits >> 5 >= chunkSize) throw bad("first partition size exceeds the chunk");
  if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) throw bad("start code is wrong");
  const width = (data[6] | (data[7] << 8)) & 0x3fff;
  const height = (data[8] | (data[9] << 8)) & 0x3fff;
  if (width === 0 || height === 0) throw bad("frame has a zero dimension");
  return { width, height };
}

const clampQ = (v: number, max: number) => (v < 0 ? 0 : v > max ? max : v);

/**
 * Parses the frame tag and the first-partition headers of a key frame. `data` is everything the
 * decoder may read (the last partition runs to its end); `chunkSize` the declared chunk size.
 */
export function parseFrameHeader(data: Uint8Array, chunkSize = data.length): FrameHeader {
  const { width, height } = readVp8Size(data, chunkSize);
  const partLength = (data[0] | (data[1] << 8) | (data[2] << 16)) >>> 5;
  const first = 10;
  if (partLength > data.length - first) throw bad("first partition is truncated");
  const br = createBoolDecoder(data, first, first + partLength);
  br.getValue(2); // colour space and clamping type: no effect on decoding

  // Segment header (§9.3).
  const useSegment = br.getBit(0x80) === 1;
  let updateSegmentMap = false;
  let absoluteDelta = true;
  const segQuant = new Int32Array(4);
  const segFilter = new Int32Array(4);
  const segmentProbs = new Uint8Array([255, 255, 255]);
  if (useSegment) {
    updateSegmentMap = br.getBit(0x80) === 1;
    if (br.getBit(0x80)) {
      absoluteDelta = br.getBit(0x80) === 1;
      for (let s = 0; s < 4; s++) segQuant[s] = br.getOptionalSigned(7);
      for (let s = 0; s < 4; s++) segFilter[s] = br.getOptionalSigned(6);
    }
    if (updateSegmentMap) {
      for (let s = 0; s < 3; s++) segmentProbs[s] = br.getBit(0x80) ? br.getValue(8) : 255;
    }
  }

  // Loop-filter header (§9.6).
  const simple = br.getBit(0x80) === 1;
  const level = br.getValue(6);
  const sharpness = br.getValue(3);
  const refDelta = new Int32Array(4);
  const modeDelta = new Int32Array(4);
  const useLfDelta = br.getBit(0x80) === 1;
  if (useLfDelta && br.getBit(0x80)) {
    for (let i = 0; i < 4; i++) if (br.getBit(0x80)) refDelta[i] = br.getSignedValue(6);
    for (let i = 0; i < 4; i++) if (br.getBit(0x80)) modeDelta[i] = br.getSignedValue(6);
  }
  const filterType = level === 0 ? 0 : simple ? 1 : 2;

  // Token partitions (§9.5): sizes of all but the last are 3-byte fields after partition 0.
  const numParts = 1 << br.getValue(2);
  let pos = first + partLength;
  const sizesAt = pos;
  if (data.length - pos < 3 * (numParts - 1)) throw bad("partition sizes are truncated");
  pos += 3 * (numParts - 1);
  const parts: BoolDecoder[] = [];
  for (let p = 0; p < numParts - 1; p++) {
    const at = sizesAt + 3 * p;
    const size = Math.min(data[at] | (data[at + 1] << 8) | (data[at + 2] << 16), data.length - pos);
    parts.push(createBoolDecoder(data, pos, pos + size));
    pos += size;
  }
  if (pos >= data.length) throw bad("last partition is empty (truncated data)");
  parts.push(createBoolDecoder(data, pos, data.length));

  // Quantizers (§9.6, §14.1).
  const baseQ = br.getValue(7);
  const dqY1Dc = br.getOptionalSigned(4);
  const dqY2Dc = br.getOptionalSigned(4);
  const dqY2Ac = br.getOptionalSigned(4);
  const dqUvDc = br.getOptionalSigned(4);
  const dqUvAc = br.getOptionalSigned(4);
  const quant: QuantMatrix[] = [];
  for (let s = 0; s < 4; s++) {
    if (!useSegment && s > 0) {
      quant.push(quant[0]);
      continue;
    }
    const q = useSegment ? segQuant[s] + (absoluteDelta ? 0 : baseQ) : baseQ;
    // x·155/100 computed as libwebp does: (x·101581) >> 16 is bit-equal for x ≤ 284.
    const y2ac = (AC_TABLE[clampQ(q + dqY2Ac, 127)] * 101581) >> 16;
    quant.push({
      y1: [DC_TABLE[clampQ(q + dqY1Dc, 127)], AC_TABLE[clampQ(q, 127)]],
      y2: [DC_TABLE[clampQ(q + dqY2Dc, 127)] * 2, y2ac < 8 ? 8 : y2ac],
      uv: [DC_TABLE[clampQ(q + dqUvDc, 117)], AC_TABLE[clampQ(q + dqUvAc, 127)]],
    });
  }

  br.getBit(0x80); // refresh_entropy_probs: irrelevant for a single key frame
  const coeffProbs = new Uint8Array(NUM_COEFF_PROBS);
  for (let i = 0; i < NUM_COEFF_PROBS; i++) {
    coeffProbs[i] = br.getBit(COEFF_UPDATE_PROBS[i]) ? br.getValue(8) : COEFF_PROBS_DEFAULT[i];
  }
  const skipProb = br.getBit(0x80) ? br.getValue(8) : -1;

  return {
    width,
    height,
    mbW: (width + 15) >> 4,
    mbH: (height + 15) >> 4,
    modes: br,
    parts,
    updateSegmentMap,
    segmentProbs,
    quant,
    filterType,
    filterStrength: filterStrengths(
      filterType,
      level,
      sharpness,
      useSegment,
      absoluteDelta,
      segFilter,
      useLfDelta,
      refDelta[0],
      modeDelta[0],
    ),
    coeffProbs,
    skipProb,
  };
}

/**
 * Loop-filter parameters per segment and block type (libwebp's PrecomputeFilterStrengths):
 * triples [limit, interior limit, hev threshold] at index 3·(2·segment + isI4x4).
 */
function filterStrengths(
  filterType: number,
  level: number,
  sharpness: number,
  useSegment: boolean,
  absoluteDelta: boolean,
  segFilter: Int32Array,
  useLfDelta: boolean,
  refDelta0: number,
  modeDelta0: number,
): Int32Array {
  const out = new Int32Array(3 * 8);
  if (filterType === 0) return out;
  for (let s = 0; s < 4; s++) {
    const base = useSegment ? segFilter[s] + (absoluteDelta ? 0 : level) : level;
    for (let i4 = 0; i4 <= 1; i4++) {
      let lv = base;
      if (useLfDelta) {
        lv += refDelta0; // intra frame: the reference frame is always "intra"
        if (i4) lv += modeDelta0; // mode delta 0 applies to B_PRED macroblocks
      }
      lv = lv < 0 ? 0 : lv > 63 ? 63 : lv;
      const o = 3 * (2 * s + i4);
      if (lv > 0) {
        let ilevel = lv;
        if (sharpness > 0) {
          ilevel >>= sharpness > 4 ? 2 : 1;
          if (ilevel > 9 - sharpness) ilevel = 9 - sharpness;
        }
        if (ilevel < 1) ilevel = 1;
        out[o] = 2 * lv + ilevel;
        out[o + 1] = ilevel;
        out[o + 2] = lv >= 40 ? 2 : lv >= 15 ? 1 : 0;
      }
    }
  }
  return out;
}
