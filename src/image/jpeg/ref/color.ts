// Reference for assembly/jpeg_color.ts: libjpeg-turbo 2.1's colour conversion (jdcolor.c) with its
// 16-bit fixed-point tables, and the byte order Pillow 9.4 stores for CMYK JPEGs (its "CMYK;I"
// raw mode inverts all four channels of libjpeg's output).

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);

/** build_ycc_rgb_table: the four tables indexed by a Cb or Cr byte. */
export function yccTables() {
  const crR = new Int32Array(256), cbB = new Int32Array(256);
  const crG = new Int32Array(256), cbG = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = (FIX(1.402) * x + ONE_HALF) >> SCALEBITS;
    cbB[i] = (FIX(1.772) * x + ONE_HALF) >> SCALEBITS;
    crG[i] = -FIX(0.71414) * x;
    cbG[i] = -FIX(0.34414) * x + ONE_HALF;
  }
  return { crR, cbB, crG, cbG };
}

const T = yccTables();
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** ycc_rgb_convert for n pixels: planar Y, Cb, Cr rows → interleaved RGB. */
export function yccToRgbRef(
  y: Uint8Array,
  cb: Uint8Array,
  cr: Uint8Array,
  n: number,
  out: Uint8Array,
  op = 0,
) {
  for (let i = 0; i < n; i++, op += 3) {
    const Y = y[i], b = cb[i], r = cr[i];
    out[op] = clamp(Y + T.crR[r]);
    out[op + 1] = clamp(Y + ((T.cbG[b] + T.crG[r]) >> SCALEBITS));
    out[op + 2] = clamp(Y + T.cbB[b]);
  }
}

/**
 * YCCK JPEG as Pillow holds it: libjpeg's ycck_cmyk_convert gives (255 − R, 255 − G, 255 − B, K)
 * and Pillow inverts that, so the CMYK image is (R, G, B, 255 − K) with R, G, B from Y/Cb/Cr.
 */
export function ycckToPilCmykRef(
  y: Uint8Array,
  cb: Uint8Array,
  cr: Uint8Array,
  k: Uint8Array,
  n: number,
  out: Uint8Array,
  op = 0,
) {
  for (let i = 0; i < n; i++, op += 4) {
    const Y = y[i], b = cb[i], r = cr[i];
    out[op] = clamp(Y + T.crR[r]);
    out[op + 1] = clamp(Y + ((T.cbG[b] + T.crG[r]) >> SCALEBITS));
    out[op + 2] = clamp(Y + T.cbB[b]);
    out[op + 3] = 255 - k[i];
  }
}

/** Interleaves `ch` planar rows (3: RGB as stored; 4: CMYK inverted as Pillow holds Adobe CMYK). */
export function interleaveRef(
  rows: Uint8Array[],
  n: number,
  invert: boolean,
  out: Uint8Array,
  op = 0,
) {
  const ch = rows.length;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) out[op + i * ch + c] = invert ? 255 - rows[c][i] : rows[c][i];
  }
}
