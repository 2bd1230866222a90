// YUV 4:2:0 → RGB(A) as libwebp outputs it by default: "fancy" chroma upsampling (each output
// row blends the two nearest chroma rows 3:1, each pixel the two nearest columns 3:1, in the
// two-step rounding of upsampling.c's UpsampleRgbaLinePair) and the 14-bit fixed-point BT.601
// conversion of dsp/yuv.h (VP8YuvToRgb), which its SSE2 code reproduces bit for bit.

import type { YuvFrame } from "./lossy/decode.ts";

const mulHi = (v: number, c: number) => (v * c) >> 8;
/** Clamp of a 6-bit fixed-point value to 0..255. */
const clip8 = (v: number) => ((v & ~16383) === 0 ? v >> 6 : v < 0 ? 0 : 255);

/** libwebp's VP8YUVToR/G/B for one pixel, written at `out[o..o+2]`. */
export function yuvToRgb(y: number, u: number, v: number, out: Uint8Array, o: number): void {
  const yy = mulHi(y, 19077);
  out[o] = clip8(yy + mulHi(v, 26149) - 14234);
  out[o + 1] = clip8(yy - mulHi(u, 6419) - mulHi(v, 13320) + 8708);
  out[o + 2] = clip8(yy + mulHi(u, 33050) - 17685);
}

/**
 * Upsamples one row pair (libwebp's UpsampleRgbaLinePair): `topY` is output row `topRow`
 * (predominantly chroma row `tU`), `botY` (or -1) is output row `topRow+1` (predominantly chroma
 * row `cU`). Chroma is combined as u | v << 16 so both channels share the arithmetic, as libwebp
 * does.
 */
function linePair(
  f: YuvFrame,
  topY: number,
  botY: number,
  tUV: number,
  cUV: number,
  out: Uint8Array,
  topOut: number,
  botOut: number,
  ch: number,
): void {
  const len = f.width;
  const Y = f.y, U = f.u, V = f.v;
  let tl = U[tUV] | (V[tUV] << 16);
  let l = U[cUV] | (V[cUV] << 16);
  let uv0 = (3 * tl + l + 0x00020002) >>> 2;
  yuvToRgb(Y[topY], uv0 & 0xff, (uv0 >>> 16) & 0xff, out, topOut);
  if (botY >= 0) {
    uv0 = (3 * l + tl + 0x00020002) >>> 2;
    yuvToRgb(Y[botY], uv0 & 0xff, (uv0 >>> 16) & 0xff, out, botOut);
  }
  const lastPair = (len - 1) >> 1;
  for (let x = 1; x <= lastPair; x++) {
    const t = U[tUV + x] | (V[tUV + x] << 16);
    const uv = U[cUV + x] | (V[cUV + x] << 16);
    const avg = tl + t + l + uv + 0x00080008;
    const diag12 = (avg + 2 * (t + l)) >>> 3;
    const diag03 = (avg + 2 * (tl + uv)) >>> 3;
    let a = (diag12 + tl) >>> 1;
    let b = (diag03 + t) >>> 1;
    yuvToRgb(Y[topY + 2 * x - 1], a & 0xff, (a >>> 16) & 0xff, out, topOut + (2 * x - 1) * ch);
    yuvToRgb(Y[topY + 2 * x], b & 0xff, (b >>> 16) & 0xff, out, topOut + 2 * x * ch);
    if (botY >= 0) {
      a = (diag03 + l) >>> 1;
      b = (diag12 + uv) >>> 1;
      yuvToRgb(Y[botY + 2 * x - 1], a & 0xff, (a >>> 16) & 0xff, out, botOut + (2 * x - 1) * ch);
      yuvToRgb(Y[botY + 2 * x], b & 0xff, (b >>> 16) & 0xff, out, botOut + 2 * x * ch);
    }
    tl = t;
    l = uv;
  }
  if (!(len & 1)) {
    uv0 = (3 * tl + l + 0x00020002) >>> 2;
    yuvToRgb(Y[topY + len - 1], uv0 & 0xff, (uv0 >>> 16) & 0xff, out, topOut + (len - 1) * ch);
    if (botY >= 0) {
      uv0 = (3 * l + tl + 0x00020002) >>> 2;
      yuvToRgb(Y[botY + len - 1], uv0 & 0xff, (uv0 >>> 16) & 0xff, out, botOut + (len - 1) * ch);
    }
  }
}

/**
 * Converts a decoded frame to interleaved RGB (`ch` = 3) or RGBA (`ch` = 4, alpha left for the
 * caller) of `f.width`×`f.height`, in the row pairing of libwebp's EmitFancyRGB: row 0 alone,
 * then rows (2j-1, 2j) from chroma rows j-1 and j, and a last odd row from the last chroma row.
 */
export function yuvToRgbFancy(f: YuvFrame, ch: 3 | 4): Uint8Array {
  const { width: w, height: h, yStride: ys, uvStride: cs } = f;
  const out = new Uint8Array(w * h * ch);
  const rowOut = w * ch;
  linePair(f, 0, -1, 0, 0, out, 0, 0, ch);
  for (let y = 1; y + 1 < h; y += 2) {
    const j = (y + 1) >> 1;
    linePair(f, y * ys, (y + 1) * ys, (j - 1) * cs, j * cs, out, y * rowOut, (y + 1) * rowOut, ch);
  }
  if (h > 1 && !(h & 1)) {
    const j = (h >> 1) - 1;
    linePair(f, (h - 1) * ys, -1, j * cs, j * cs, out, (h - 1) * rowOut, 0, ch);
  }
  if (ch === 4) { for (let i = 3; i < out.length; i += 4) out[i] = 255; }
  return out;
}
