// JPEG entropy decoding, part 1: the layouts shared with src/wasm/jpeg.ts, the error codes and
// the bit reader (module globals while a call runs, shared by jpeg_entropy.ts and
// jpeg_progressive.ts). The algorithm is src/image/jpeg/entropy.ts (libjpeg-turbo 2.1 jdhuff.c).

// ---- layouts shared with src/wasm/jpeg.ts (SCAN_DESC_*, HUFF_TABLE_*) ------------------------

// Huffman table: fast[512] u16 | maxcode[18] i32 | valoffset[18] i32 | symbols[256] u8 |
// acFast[512] i32 ((value << 16) | (run << 8) | bits for short code + magnitude, else 0)
export const T_MAXCODE: usize = 1024;
export const T_VALOFF: usize = 1096;
export const T_SYMBOLS: usize = 1168;
export const T_ACFAST: usize = 1472;

// Scan descriptor, i32 words
export const D_DATA = 0; // unstuffed bytes
export const D_BOUNDS = 1; // i32 interval starts, then the end
export const D_NINT = 2; // intervals
export const D_RST = 3; // restart interval (MCUs), 0 for none
export const D_MODE = 4; // 0 sequential, 1 DC first, 2 DC refine, 3 AC first, 4 AC refine
export const D_SS = 5;
export const D_SE = 6;
export const D_AL = 7;
export const D_NCOMP = 8;
export const D_MCUSX = 9;
export const D_COMP = 16; // 8 words per scan component: coef, blocksW, h, v, dc, ac, hBlocks, wBlocks
export const D_STATE = 48; // pos, lim, cnt, nextInterval, togo, eobrun, pred[4]
export const D_BUF = 64; // u64 bit buffer (byte offset 256)

/** Error codes returned to TypeScript. */
export const ERR_BAD_CODE = 1;
export const ERR_OVERRUN = 2;
export const ERR_BAD_REFINE = 3;
export const ERR_NO_RESTART = 4;
export const ERR_DC_OVERFLOW = 5;

// zigzag → natural order, with libjpeg's 16 extra entries of 63 for corrupt runs
export const NATURAL: usize = memory.data<u8>([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

// ---- bit reader (module globals while a call runs) -------------------------------------------

export let gData: usize = 0;
export let gPos: i32 = 0;
export let gLim: i32 = 0;
export let gBuf: u64 = 0;
export let gCnt: i32 = 0;
export let gErr: i32 = 0;

// Records the first error of a call (later ones are consequences of it).
// @ts-ignore: decorator
@inline export function fail(code: i32): void {
  if (gErr == 0) gErr = code;
}

// Tops the buffer up to at least 32 bits (zeros past the interval's end, as libjpeg pads):
// whole bytes up to 64 bits with one unaligned load when 8 bytes of the interval remain.
export function fill(): void {
  if (gPos + 8 <= gLim) {
    const v = bswap<u64>(load<u64>(gData + <usize>gPos));
    const m = (64 - gCnt) >> 3; // bytes that fit (≥ 1: callers have fewer than 57 bits)
    gBuf = m == 8 ? v : (gBuf << <u64>(m << 3)) | (v >> <u64>(64 - (m << 3)));
    gPos += m;
    gCnt += m << 3;
    return;
  }
  while (gCnt <= 56) {
    const b: u64 = gPos < gLim ? <u64>load<u8>(gData + <usize>gPos) : 0;
    gBuf = (gBuf << 8) | b;
    gPos++;
    gCnt += 8;
  }
}

// The block decoders keep the bit buffer in locals (wasm globals are not register-allocated),
// syncing with gBuf/gCnt only around refills and at exit.

// The next n bits of a buffer holding `cnt` valid bits (cnt ≥ n).
// @ts-ignore: decorator
@inline export function peek(buf: u64, cnt: i32, n: i32): i32 {
  return <i32>(buf >> <u64>(cnt - n)) & ((1 << n) - 1);
}

// n bits as a signed magnitude-category value (EXTEND).
// @ts-ignore: decorator
@inline export function extend(v: i32, n: i32): i32 {
  return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

// Globals-based reads for the rarely used paths (DC refinement, EOB run lengths).
export function bits(n: i32): i32 {
  if (gCnt < n) fill();
  gCnt -= n;
  return <i32>(gBuf >> <u64>gCnt) & ((1 << n) - 1);
}

// Codes longer than the lookahead; reads and updates gBuf/gCnt (at least 16 bits present).
export function huffSlow(t: usize): i32 {
  for (let l = 10; l <= 16; l++) {
    const code = <i32>(gBuf >> <u64>(gCnt - l)) & ((1 << l) - 1);
    if (code <= load<i32>(t + T_MAXCODE + (<usize>l << 2))) {
      gCnt -= l;
      return load<u8>(t + T_SYMBOLS + <usize>((code + load<i32>(t + T_VALOFF + (<usize>l << 2))) & 255));
    }
  }
  fail(ERR_BAD_CODE);
  return 0;
}

// A Huffman symbol via the globals (callers sync their locals first).
export function huffG(t: usize): i32 {
  if (gCnt < 16) fill();
  const e = <i32>load<u16>(t + (<usize>peek(gBuf, gCnt, 9) << 1));
  if (e) {
    gCnt -= e >> 8;
    return e & 255;
  }
  return huffSlow(t);
}

// ---- block helpers ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function natural(k: i32): usize {
  return <usize>load<u8>(NATURAL + <usize>k) << 1;
}
