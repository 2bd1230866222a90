// JPEG entropy decoding, part 2: the progressive block decoders (libjpeg-turbo 2.1 jdphuff.c
// arithmetic): DC first scans, AC first scans with EOB runs, AC refinement. Called by
// jpeg_entropy.ts's scan driver; the bit reader is jpeg_bits.ts.

import { ERR_BAD_REFINE, ERR_DC_OVERFLOW, T_ACFAST, gBuf, gCnt, fail, fill, peek, extend, bits, huffSlow, huffG, natural } from "./jpeg_bits";

export function dcFirst(blk: usize, dc: usize, pred: usize, al: i32): void {
  const t = huffG(dc);
  const p = <i64>load<i32>(pred) + <i64>(t ? extend(bits(t), t) : 0);
  if (p > <i64>i32.MAX_VALUE || p < <i64>i32.MIN_VALUE) fail(ERR_DC_OVERFLOW);
  store<i32>(pred, <i32>p);
  store<i16>(blk, <i16>(<i32>p << al));
}

export function acFirst(blk: usize, ac: usize, ss: i32, se: i32, al: i32, eobrun: usize): void {
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

export function acRefine(blk: usize, ac: usize, ss: i32, se: i32, al: i32, eobrun: usize): void {
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
