// JPEG Huffman entropy decoding (sequential and progressive), the algorithm of
// src/image/jpeg/entropy.ts (libjpeg-turbo 2.1 jdhuff.c / jdphuff.c arithmetic) in wasm.
// One call decodes a range of iMCU rows of one scan; the scan descriptor and the decoder state
// (bit reader, predictions, EOB run, restart position) live in linear memory so calls resume.
// Input is unstuffed data split into restart intervals (src/image/jpeg/scan_data.ts).

import {
  D_AL, D_BOUNDS, D_BUF, D_COMP, D_DATA, D_MCUSX, D_MODE, D_NCOMP, D_NINT, D_RST, D_SE, D_SS, D_STATE,
  ERR_NO_RESTART, ERR_OVERRUN, T_ACFAST, gBuf, gCnt, gData, gErr, gLim, gPos,
  fail, fill, peek, extend, bits, huffSlow, natural,
} from "./jpeg_bits";
import { acFirst, acRefine, dcFirst } from "./jpeg_progressive";

// ---- sequential blocks (jdhuff.c decode_mcu) -------------------------------------------------

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
