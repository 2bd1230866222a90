// VP8 intra prediction (RFC 6386 §12) on a work buffer of stride BPS whose row above and column to
// the left of each block hold the edge samples (set up by reconstruct.ts as libwebp does: 127
// above the first row, 129 left of the first column). 4x4 predictors may read 4 samples past the
// top-right corner.

import { BMode } from "./macroblock.ts";

/** Stride of the prediction work buffer. */
export const BPS = 32;

/** DC variants for blocks on the frame's top or left border (libwebp's CheckMode). */
export const DC_NO_TOP = 10, DC_NO_LEFT = 11, DC_NO_TOP_LEFT = 12;

const clip = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
const avg3 = (a: number, b: number, c: number) => (a + 2 * b + c + 2) >> 2;
const avg2 = (a: number, b: number) => (a + b + 1) >> 1;

function fill(b: Uint8Array, o: number, size: number, v: number): void {
  for (let y = 0; y < size; y++) b.fill(v, o + y * BPS, o + y * BPS + size);
}

function trueMotion(b: Uint8Array, o: number, size: number): void {
  const tl = b[o - BPS - 1];
  for (let y = 0; y < size; y++) {
    const row = o + y * BPS;
    const d = b[row - 1] - tl;
    for (let x = 0; x < size; x++) b[row + x] = clip(b[o - BPS + x] + d);
  }
}

/**
 * Predicts a 16x16 luma or 8x8 chroma block at `o` with mode `mode` (BMode DC/TM/VE/HE or one
 * of the DC border variants).
 */
export function predictBlock(b: Uint8Array, o: number, size: number, mode: number): void {
  const shift = size === 16 ? 4 : 3;
  switch (mode) {
    case BMode.DC: {
      let s = 0;
      for (let i = 0; i < size; i++) s += b[o - BPS + i] + b[o + i * BPS - 1];
      fill(b, o, size, (s + size) >> (shift + 1));
      return;
    }
    case DC_NO_TOP: {
      let s = 0;
      for (let i = 0; i < size; i++) s += b[o + i * BPS - 1];
      fill(b, o, size, (s + (size >> 1)) >> shift);
      return;
    }
    case DC_NO_LEFT: {
      let s = 0;
      for (let i = 0; i < size; i++) s += b[o - BPS + i];
      fill(b, o, size, (s + (size >> 1)) >> shift);
      return;
    }
    case DC_NO_TOP_LEFT:
      fill(b, o, size, 0x80);
      return;
    case BMode.TM:
      trueMotion(b, o, size);
      return;
    case BMode.VE:
      for (let y = 0; y < size; y++) b.copyWithin(o + y * BPS, o - BPS, o - BPS + size);
      return;
    case BMode.HE:
      for (let y = 0; y < size; y++) {
        const row = o + y * BPS;
        b.fill(b[row - 1], row, row + size);
      }
      return;
  }
}

/** Predicts one 4x4 luma sub-block at `o` with a 4x4 mode. */
export function predict4(b: Uint8Array, o: number, mode: number): void {
  const t = o - BPS;
  // Edge samples: X top-left, A..H above (E..H above-right), I..L to the left.
  const X = b[t - 1];
  const A = b[t], B = b[t + 1], C = b[t + 2], D = b[t + 3];
  const I = b[o - 1], J = b[o + BPS - 1], K = b[o + 2 * BPS - 1], L = b[o + 3 * BPS - 1];
  const put = (x: number, y: number, v: number) => {
    b[o + y * BPS + x] = v;
  };
  switch (mode) {
    case BMode.DC: {
      const dc = (A + B + C + D + I + J + K + L + 4) >> 3;
      fill(b, o, 4, dc);
      return;
    }
    case BMode.TM:
      trueMotion(b, o, 4);
      return;
    case BMode.VE: {
      const E = b[t + 4];
      const v0 = avg3(X, A, B), v1 = avg3(A, B, C), v2 = avg3(B, C, D), v3 = avg3(C, D, E);
      for (let y = 0; y < 4; y++) {
        put(0, y, v0), put(1, y, v1), put(2, y, v2), put(3, y, v3);
      }
      return;
    }
    case BMode.HE: {
      const rows = [avg3(X, I, J), avg3(I, J, K), avg3(J, K, L), avg3(K, L, L)];
      for (let y = 0; y < 4; y++) b.fill(rows[y], o + y * BPS, o + y * BPS + 4);
      return;
    }
    case BMode.RD: {
      // Down-right diagonals: each value is shared by the pixels with the same x - y.
      const e = [L, K, J, I, X, A, B, C, D]; // the edge from bottom-left round to top-right
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const i = 4 + x - y;
          put(x, y, avg3(e[i - 1], e[i], e[i + 1]));
        }
      }
      return;
    }
    case BMode.LD: {
      const e = [A, B, C, D, b[t + 4], b[t + 5], b[t + 6], b[t + 7]];
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 4; x++) {
          const i = x + y;
          put(x, y, avg3(e[i], e[i + 1], i + 2 < 8 ? e[i + 2] : e[7]));
        }
      }
      return;
    }
    case BMode.VR:
      put(0, 0, avg2(X, A)), put(1, 2, avg2(X, A));
      put(1, 0, avg2(A, B)), put(2, 2, avg2(A, B));
      put(2, 0, avg2(B, C)), put(3, 2, avg2(B, C));
      put(3, 0, avg2(C, D));
      put(0, 3, avg3(K, J, I));
      put(0, 2, avg3(J, I, X));
      put(0, 1, avg3(I, X, A)), put(1, 3, avg3(I, X, A));
      put(1, 1, avg3(X, A, B)), put(2, 3, avg3(X, A, B));
      put(2, 1, avg3(A, B, C)), put(3, 3, avg3(A, B, C));
      put(3, 1, avg3(B, C, D));
      return;
    case BMode.VL: {
      const E = b[t + 4], F = b[t + 5], G = b[t + 6], H = b[t + 7];
      put(0, 0, avg2(A, B));
      put(1, 0, avg2(B, C)), put(0, 2, avg2(B, C));
      put(2, 0, avg2(C, D)), put(1, 2, avg2(C, D));
      put(3, 0, avg2(D, E)), put(2, 2, avg2(D, E));
      put(0, 1, avg3(A, B, C));
      put(1, 1, avg3(B, C, D)), put(0, 3, avg3(B, C, D));
      put(2, 1, avg3(C, D, E)), put(1, 3, avg3(C, D, E));
      put(3, 1, avg3(D, E, F)), put(2, 3, avg3(D, E, F));
      put(3, 2, avg3(E, F, G));
      put(3, 3, avg3(F, G, H));
      return;
    }
    case BMode.HD:
      put(0, 0, avg2(I, X)), put(2, 1, avg2(I, X));
      put(0, 1, avg2(J, I)), put(2, 2, avg2(J, I));
      put(0, 2, avg2(K, J)), put(2, 3, avg2(K, J));
      put(0, 3, avg2(L, K));
      put(3, 0, avg3(A, B, C));
      put(2, 0, avg3(X, A, B));
      put(1, 0, avg3(I, X, A)), put(3, 1, avg3(I, X, A));
      put(1, 1, avg3(J, I, X)), put(3, 2, avg3(J, I, X));
      put(1, 2, avg3(K, J, I)), put(3, 3, avg3(K, J, I));
      put(1, 3, avg3(L, K, J));
      return;
    case BMode.HU:
      put(0, 0, avg2(I, J));
      put(2, 0, avg2(J, K)), put(0, 1, avg2(J, K));
      put(2, 1, avg2(K, L)), put(0, 2, avg2(K, L));
      put(1, 0, avg3(I, J, K));
      put(3, 0, avg3(J, K, L)), put(1, 1, avg3(J, K, L));
      put(3, 1, avg3(K, L, L)), put(1, 2, avg3(K, L, L));
      put(3, 2, L), put(2, 2, L), put(0, 3, L), put(1, 3, L), put(2, 3, L), put(3, 3, L);
      return;
  }
}
