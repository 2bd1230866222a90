// JPEG Huffman entropy decoding (sequential and progressive), the algorithm of
// src/image/jpeg/entropy.ts (libjpeg-turbo 2.1 jdhuff.c / jdphuff.c arithmetic) in wasm.
// One call decodes a range of iMCU rows of one scan; the scan descriptor and the decoder state
// (bit reader, predictions, EOB run, restart position) live in linear memory so calls resume.
// Input is unstuffed data split into restart intervals (src/image/jpeg/scan_data.ts).

// ---- layouts shared with src/wasm/jpeg.ts (SCAN_DESC_*, HUFF_TABLE_*) ------------------------

// Huffman table: fast[512] u16 | maxcode[18] i32 | valoffset[18] i32 | symbols[256] u8 |
// acFast[512] i32 ((value << 16) | (run << 8) | bits for short code + magnitude, else 0)
const T_MAXCODE: usize = 1024;
const T_VALOFF: usize = 1096;
const T_SYMBOLS: usize = 1168;
const T_ACFAST: usize = 1472;

// Scan descriptor, i32 words
const D_DATA = 0; // unstuffed bytes
const D_BOUNDS = 1; // i32 interval starts, then the end
const D_NINT = 2; // intervals
const D_RST = 3; // restart interval (MCUs), 0 for none
const D_MODE = 4; // 0 sequential, 1 DC first, 2 DC refine, 3 AC first, 4 AC refine
const D_SS = 5;
const D_SE = 6;
const D_AL = 7;
const D_NCOMP = 8;
const D_MCUSX = 9;
const D_COMP = 16; // 8 words per scan component: coef, blocksW, h, v, dc, ac, hBlocks, wBlocks
const D_STATE = 48; // pos, lim, cnt, nextInterval, togo, eobrun, pred[4]
const D_BUF = 64; // u64 bit buffer (byte offset 256)

/** Error codes returned to TypeScript. */
const ERR_BAD_CODE = 1;
const ERR_OVERRUN = 2;
const ERR_BAD_REFINE = 3;
const ERR_NO_RESTART = 4;
const ERR_DC_OVERFLOW = 5;

// zigzag → natural order, with libjpeg's 16 extra entries of 63 for corrupt runs
const NATURAL: usize = memory.data<u8>([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

// ---- bit reader (module globals while a call runs) -------------------------------------------

let gData: usize = 0;
let gPos: i32 = 0;
let gLim: i32 = 0;
let gBuf: u64 = 0;
let gCnt: i32 = 0;
let gErr: i32 = 0;

// Records the first error of a call (later ones are consequences of it).
// @ts-ignore: decorator
@inline function fail(code: i32): void {
  if (gErr == 0) gErr = code;
}

// Tops the buffer up to at least 32 bits (zeros past the interval's end, as libjpeg pads):
// whole bytes up to 64 bits with one unaligned load when 8 bytes of the interval remain.
function fill(): void {
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
@inline function peek(buf: u64, cnt: i32, n: i32): i32 {
  return <i32>(buf >> <u64>(cnt - n)) & ((1 << n) - 1);
}

// n bits as a signed magnitude-category value (EXTEND).
// @ts-ignore: decorator
@inline function extend(v: i32, n: i32): i32 {
  return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

// Globals-based reads for the rarely used paths (DC refinement, EOB run lengths).
function bits(n: i32): i32 {
  if (gCnt < n) fill();
  gCnt -= n;
  return <i32>(gBuf >> <u64>gCnt) & ((1 << n) - 1);
}

// Codes longer than the lookahead; reads and updates gBuf/gCnt (at least 16 bits present).
function huffSlow(t: usize): i32 {
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
function huffG(t: usize): i32 {
  if (gCnt < 16) fill();
  const e = <i32>load<u16>(t + (<usize>peek(gBuf, gCnt, 9) << 1));
  if (e) {
    gCnt -= e >> 8;
    return e & 255;
  }
  return huffSlow(t);
}

// ---- block decoders --------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function natural(k: i32): usize {
  return <usize>load<u8>(NATURAL + <usize>k) << 1;
}

// The block must hold zeros (or, for a component coded again, what earlier scans left: libjpeg
// writes only the nonzero coefficients over a pre-zeroed array).
function sequential(blk: usize, dc: usize, ac: usize, pred: usize): void {
  let buf = gBuf, cnt = gCnt;
  if (cnt < 32) {
    gBuf = buf, gCnt = cnt;
    fill();
    buf = gBuf, cnt = gCnt;
  }
  // DC: category code then that many bits (≤ 16 + 15 bits, present after the refill)
  let e = <i32>load<u16>(dc + (<usize>peek(buf, cnt, 9) << 1));
  let t: i32;
  if (e) {
    cnt -= e >> 8;
    t = e & 255;
  } else {
    gBuf = buf, gCnt = cnt;
    t = huffSlow(dc);
    buf = gBuf, cnt = gCnt;
  }
  let diff = 0;
  if (t) {
    if (cnt < t) {
      gBuf = buf, gCnt = cnt;
      fill();
      buf = gBuf, cnt = gCnt;
    }
    diff = extend(peek(buf, cnt, t), t);
    cnt -= t;
  }
  const p = load<i32>(pred) + diff; // an int in libjpeg: wraps
  store<i32>(pred, p);
  store<i16>(blk, <i16>p);
  for (let k = 1; k < 64; k++) {
    if (cnt < 25) {
      gBuf = buf, gCnt = cnt;
      fill();
      buf = gBuf, cnt = gCnt;
    }
    const i = <usize>peek(buf, cnt, 9);
    const fe = load<i32>(ac + T_ACFAST + (i << 2));
    if (fe) {
      // code and magnitude resolved in one lookup
      cnt -= fe & 255;
      k += (fe >> 8) & 15;
      store<i16>(blk + natural(k), <i16>(fe >> 16));
      continue;
    }
    e = <i32>load<u16>(ac + (i << 1));
    let rs: i32;
    if (e) {
      cnt -= e >> 8;
      rs = e & 255;
    } else {
      gBuf = buf, gCnt = cnt;
      rs = huffSlow(ac);
      buf = gBuf, cnt = gCnt;
    }
    const r = rs >> 4, sz = rs & 15;
    if (sz) {
      k += r;
      if (cnt < sz) {
        gBuf = buf, gCnt = cnt;
        fill();
        buf = gBuf, cnt = gCnt;
      }
      store<i16>(blk + natural(k), <i16>extend(peek(buf, cnt, sz), sz));
      cnt -= sz;
    } else {
      if (r != 15) break;
      k += 15;
    }
  }
  gBuf = buf, gCnt = cnt;
}

function dcFirst(blk: usize, dc: usize, pred: usize, al: i32): void {
  const t = huffG(dc);
  const p = <i64>load<i32>(pred) + <i64>(t ? extend(bits(t), t) : 0);
  if (p > <i64>i32.MAX_VALUE || p < <i64>i32.MIN_VALUE) fail(ERR_DC_OVERFLOW);
  store<i32>(pred, <i32>p);
  store<i16>(blk, <i16>(<i32>p << al));
}

function acFirst(blk: usize, ac: usize, ss: i32, se: i32, al: i32, eobrun: usize): void {
  const run = load<i32>(eobrun);
  if (run > 0) {
    store<i32>(eobrun, run - 1);
    return;
  }
  let buf = gBuf, cnt = gCnt;
  for (let k = ss; k <= se; k++) {
    if (cnt < 25) {
      gBuf = buf, gCnt = cnt;
      fill();
      buf = gBuf, cnt = gCnt;
    }
    const i = <usize>peek(buf, cnt, 9);
    const fe = load<i32>(ac + T_ACFAST + (i << 2));
    if (fe) {
      cnt -= fe & 255;
      k += (fe >> 8) & 15;
      store<i16>(blk + natural(k), <i16>((fe >> 16) << al));
      continue;
    }
    const e = <i32>load<u16>(ac + (i << 1));
    let rs: i32;
    if (e) {
      cnt -= e >> 8;
      rs = e & 255;
    } else {
      gBuf = buf, gCnt = cnt;
      rs = huffSlow(ac);
      buf = gBuf, cnt = gCnt;
    }
    const r = rs >> 4, sz = rs & 15;
    if (sz) {
      k += r;
      if (cnt < sz) {
        gBuf = buf, gCnt = cnt;
        fill();
        buf = gBuf, cnt = gCnt;
      }
      store<i16>(blk + natural(k), <i16>(extend(peek(buf, cnt, sz), sz) << al));
      cnt -= sz;
    } else if (r == 15) {
      k += 15;
    } else {
      gBuf = buf, gCnt = cnt;
      store<i32>(eobrun, (1 << r) - 1 + (r ? bits(r) : 0));
      return;
    }
  }
  gBuf = buf, gCnt = cnt;
}

function acRefine(blk: usize, ac: usize, ss: i32, se: i32, al: i32, eobrun: usize): void {
  const p1 = 1 << al, m1 = -1 << al;
  let buf = gBuf, cnt = gCnt;
  let k = ss;
  let run = load<i32>(eobrun);
  if (run == 0) {
    for (; k <= se; k++) {
      // a code (≤ 16 bits) and its sign bit or EOB run bits (≤ 14) fit in 32
      if (cnt < 32) {
        gBuf = buf, gCnt = cnt;
        fill();
        buf = gBuf, cnt = gCnt;
      }
      const e = <i32>load<u16>(ac + (<usize>peek(buf, cnt, 9) << 1));
      let rs: i32;
      if (e) {
        cnt -= e >> 8;
        rs = e & 255;
      } else {
        gBuf = buf, gCnt = cnt;
        rs = huffSlow(ac);
        buf = gBuf, cnt = gCnt;
      }
      let r = rs >> 4, s = rs & 15;
      if (s) {
        if (s != 1) fail(ERR_BAD_REFINE);
        cnt--;
        s = <i32>(buf >> <u64>cnt) & 1 ? p1 : m1;
      } else if (r != 15) {
        run = 1 << r;
        if (r) {
          run += peek(buf, cnt, r);
          cnt -= r;
        }
        break;
      }
      // skip r zero-history coefficients, refining the nonzero ones on the way
      do {
        const p = blk + natural(k);
        const c = <i32>load<i16>(p);
        if (c != 0) {
          if (cnt == 0) {
            gBuf = buf, gCnt = cnt;
            fill();
            buf = gBuf, cnt = gCnt;
          }
          cnt--;
          if ((<i32>(buf >> <u64>cnt) & 1) != 0 && (c & p1) == 0) {
            store<i16>(p, <i16>(c >= 0 ? c + p1 : c + m1));
          }
        } else if (--r < 0) break;
        k++;
      } while (k <= se);
      if (s) store<i16>(blk + natural(k), <i16>s);
    }
  }
  if (run > 0) {
    for (; k <= se; k++) {
      const p = blk + natural(k);
      const c = <i32>load<i16>(p);
      if (c != 0) {
        if (cnt == 0) {
          gBuf = buf, gCnt = cnt;
          fill();
          buf = gBuf, cnt = gCnt;
        }
        cnt--;
        if ((<i32>(buf >> <u64>cnt) & 1) != 0 && (c & p1) == 0) {
          store<i16>(p, <i16>(c >= 0 ? c + p1 : c + m1));
        }
      }
    }
    run--;
  }
  gBuf = buf, gCnt = cnt;
  store<i32>(eobrun, run);
}

// ---- scan driver -----------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function w(desc: usize, i: i32): i32 {
  return load<i32>(desc + (<usize>i << 2));
}

function startInterval(desc: usize): void {
  const k = w(desc, D_STATE + 3);
  const bounds = <usize>w(desc, D_BOUNDS);
  gPos = load<i32>(bounds + (<usize>k << 2));
  gLim = load<i32>(bounds + (<usize>(k + 1) << 2));
  gBuf = 0;
  gCnt = 0;
  store<i32>(desc + ((D_STATE + 3) << 2), k + 1);
  store<i32>(desc + ((D_STATE + 5) << 2), 0);
  memory.fill(desc + ((D_STATE + 6) << 2), 0, 16);
}

// @ts-ignore: decorator
@inline function overran(): bool {
  return <i64>gPos * 8 - <i64>gCnt > <i64>gLim * 8;
}

// Restart counter of the running call (saved to the descriptor on return).
let gTogo: i32 = 0;

// Before an MCU: switch intervals when the restart interval is used up. False on error.
// @ts-ignore: decorator
@inline function restartIfDue(desc: usize, rst: i32): bool {
  if (rst == 0) return true;
  if (gTogo == 0) {
    if (overran()) {
      fail(ERR_OVERRUN);
      return false;
    }
    if (w(desc, D_STATE + 3) >= w(desc, D_NINT)) {
      fail(ERR_NO_RESTART);
      return false;
    }
    startInterval(desc);
    gTogo = rst;
  }
  gTogo--;
  return true;
}

// One block of scan component `ci` in the scan's mode.
// @ts-ignore: decorator
@inline function block(
  desc: usize, mode: i32, blk: usize, c: usize, ci: i32, ss: i32, se: i32, al: i32,
): void {
  const pred = desc + (<usize>(D_STATE + 6 + ci) << 2), eobrun = desc + ((D_STATE + 5) << 2);
  if (mode == 0) sequential(blk, <usize>load<i32>(c, 16), <usize>load<i32>(c, 20), pred);
  else if (mode == 1) dcFirst(blk, <usize>load<i32>(c, 16), pred, al);
  else if (mode == 2) {
    if (bits(1)) store<i16>(blk, <i16>(<i32>load<i16>(blk) | (1 << al)));
  } else if (mode == 3) acFirst(blk, <usize>load<i32>(c, 20), ss, se, al, eobrun);
  else acRefine(blk, <usize>load<i32>(c, 20), ss, se, al, eobrun);
}

/**
 * Decodes iMCU rows [r0, r1) of the scan `desc` describes; blocks go to each component's
 * coefficient array, whose first stored block row is iMCU row `rowBase`. The first call of a
 * scan must have the state zeroed with nextInterval 0. Returns 0 or an error code (1 invalid
 * Huffman code, 2 data ran out, 3 bad refinement code, 4 missing restart marker, 5 DC overflow).
 */
export function jpeg_decode_rows(desc: usize, r0: i32, r1: i32, rowBase: i32): i32 {
  gData = <usize>w(desc, D_DATA);
  gErr = 0;
  const rst = w(desc, D_RST);
  if (w(desc, D_STATE + 3) == 0) {
    startInterval(desc);
    gTogo = rst;
  } else {
    gPos = w(desc, D_STATE);
    gLim = w(desc, D_STATE + 1);
    gCnt = w(desc, D_STATE + 2);
    gBuf = load<u64>(desc + (<usize>D_BUF << 2));
    gTogo = w(desc, D_STATE + 4);
  }
  const mode = w(desc, D_MODE), ss = w(desc, D_SS), se = w(desc, D_SE), al = w(desc, D_AL);
  const ncomp = w(desc, D_NCOMP);
  for (let r = r0; r < r1 && gErr == 0; r++) {
    if (ncomp > 1) {
      const mcusX = w(desc, D_MCUSX);
      for (let mx = 0; mx < mcusX && gErr == 0; mx++) {
        if (!restartIfDue(desc, rst)) break;
        for (let ci = 0; ci < ncomp && gErr == 0; ci++) {
          const c = desc + (<usize>(D_COMP + 8 * ci) << 2);
          const coef = <usize>load<i32>(c), bw = load<i32>(c, 4), h = load<i32>(c, 8), v = load<i32>(c, 12);
          for (let y = 0; y < v; y++) {
            const row = coef + <usize>(((r - rowBase) * v + y) * bw + mx * h) * 128;
            for (let x = 0; x < h; x++) block(desc, mode, row + <usize>(x * 128), c, ci, ss, se, al);
          }
        }
      }
    } else {
      const c = desc + (<usize>D_COMP << 2);
      const coef = <usize>load<i32>(c), bw = load<i32>(c, 4), v = load<i32>(c, 12);
      const hBlocks = load<i32>(c, 24), wBlocks = load<i32>(c, 28);
      const br1 = min((r + 1) * v, hBlocks);
      for (let br = r * v; br < br1 && gErr == 0; br++) {
        const row = coef + <usize>((br - rowBase * v) * bw) * 128;
        for (let bc = 0; bc < wBlocks && gErr == 0; bc++) {
          if (!restartIfDue(desc, rst)) break;
          block(desc, mode, row + <usize>bc * 128, c, 0, ss, se, al);
        }
      }
    }
    if (gErr == 0 && overran()) fail(ERR_OVERRUN);
  }
  store<i32>(desc + (D_STATE << 2), gPos);
  store<i32>(desc + ((D_STATE + 1) << 2), gLim);
  store<i32>(desc + ((D_STATE + 2) << 2), gCnt);
  store<i32>(desc + ((D_STATE + 4) << 2), gTogo);
  store<u64>(desc + (<usize>D_BUF << 2), gBuf);
  return gErr;
}
