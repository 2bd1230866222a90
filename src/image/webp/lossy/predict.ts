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
  for (let y = 0; y < size; y++) {
    const r = o + y * BPS;
    for (let x = 0; x < size; x++) b[r + x] = v;
  }
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
      for (let y = 0; y < size; y++) {
        const row = o + y * BPS;
        for (let x = 0; x < size; x++) b[row + x] = b[o - BPS + x];
      }
      return;
    case BMode.HE:
      for (let y = 0; y < size; y++) {
        const row = o + y * BPS;
        const v = b[row - 1];
        for (let x = 0; x < size; x++) b[row + x] = v;
      }
      return;
  }
}

function put4(b: Uint8Array, r: number, v0: number, v1: number, v2: number, v3: number): void {
  b[r] = v0, b[r + 1] = v1, b[r + 2] = v2, b[r + 3] = v3;
}

/** Writes pixel (x, y) of the 4x4 block at `o`. */
function put(b: Uint8Array, o: number, x: number, y: number, v: number): void {
  b[o + y * BPS + x] = v;
}

/** Predicts one 4x4 luma sub-block at `o` with a 4x4 mode. */
export function predict4(b: Uint8Array, o: number, mode: number): void {
  const t = o - BPS;
  // Edge samples: X top-left, A..H above (E..H above-right), I..L to the left.
  const X = b[t - 1];
  const A = b[t], B = b[t + 1], C = b[t + 2], D = b[t + 3];
  const I = b[o - 1], J = b[o + BPS - 1], K = b[o + 2 * BPS - 1], L = b[o + 3 * BPS - 1];
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
      for (let r = o; r < o + 4 * BPS; r += BPS) {
        b[r] = v0, b[r + 1] = v1, b[r + 2] = v2, b[r + 3] = v3;
      }
      return;
    }
    case BMode.HE: {
      const h0 = avg3(X, I, J), h1 = avg3(I, J, K), h2 = avg3(J, K, L), h3 = avg3(K, L, L);
      for (let x = 0; x < 4; x++) {
        b[o + x] = h0, b[o + BPS + x] = h1, b[o + 2 * BPS + x] = h2, b[o + 3 * BPS + x] = h3;
      }
      return;
    }
    case BMode.RD: {
      // Diagonals x - y = const share a value, from the edge L K J I X A B C D.
      const d0 = avg3(J, K, L), d1 = avg3(I, J, K), d2 = avg3(X, I, J), d3 = avg3(A, X, I);
      const d4 = avg3(B, A, X), d5 = avg3(C, B, A), d6 = avg3(D, C, B);
      put4(b, o, d3, d4, d5, d6);
      put4(b, o + BPS, d2, d3, d4, d5);
      put4(b, o + 2 * BPS, d1, d2, d3, d4);
      put4(b, o + 3 * BPS, d0, d1, d2, d3);
      return;
    }
    case BMode.LD: {
      // Anti-diagonals x + y = const share a value, from the edge A..H above.
      const E = b[t + 4], F = b[t + 5], G = b[t + 6], H = b[t + 7];
      const d0 = avg3(A, B, C), d1 = avg3(B, C, D), d2 = avg3(C, D, E), d3 = avg3(D, E, F);
      const d4 = avg3(E, F, G), d5 = avg3(F, G, H), d6 = avg3(G, H, H);
      put4(b, o, d0, d1, d2, d3);
      put4(b, o + BPS, d1, d2, d3, d4);
      put4(b, o + 2 * BPS, d2, d3, d4, d5);
      put4(b, o + 3 * BPS, d3, d4, d5, d6);
      return;
    }
    case BMode.VR:
      put(b, o, 0, 0, avg2(X, A)), put(b, o, 1, 2, avg2(X, A));
      put(b, o, 1, 0, avg2(A, B)), put(b, o, 2, 2, avg2(A, B));
      put(b, o, 2, 0, avg2(B, C)), put(b, o, 3, 2, avg2(B, C));
      put(b, o, 3, 0, avg2(C, D));
      put(b, o, 0, 3, avg3(K, J, I));
      put(b, o, 0, 2, avg3(J, I, X));
      put(b, o, 0, 1, avg3(I, X, A)), put(b, o, 1, 3, avg3(I, X, A));
      put(b, o, 1, 1, avg3(X, A, B)), put(b, o, 2, 3, avg3(X, A, B));
      put(b, o, 2, 1, avg3(A, B, C)), put(b, o, 3, 3, avg3(A, B, C));
      put(b, o, 3, 1, avg3(B, C, D));
      return;
    case BMode.VL: {
      const E = b[t + 4], F = b[t + 5], G = b[t + 6], H = b[t + 7];
      put(b, o, 0, 0, avg2(A, B));
      put(b, o, 1, 0, avg2(B, C)), put(b, o, 0, 2, avg2(B, C));
      put(b, o, 2, 0, avg2(C, D)), put(b, o, 1, 2, avg2(C, D));
      put(b, o, 3, 0, avg2(D, E)), put(b, o, 2, 2, avg2(D, E));
      put(b, o, 0, 1, avg3(A, B, C));
      put(b, o, 1, 1, avg3(B, C, D)), put(b, o, 0, 3, avg3(B, C, D));
      put(b, o, 2, 1, avg3(C, D, E)), put(b, o, 1, 3, avg3(C, D, E));
      put(b, o, 3, 1, avg3(D, E, F)), put(b, o, 2, 3, avg3(D, E, F));
      put(b, o, 3, 2, avg3(E, F, G));
      put(b, o, 3, 3, avg3(F, G, H));
      return;
    }
    case BMode.HD:
      put(b, o, 0, 0, avg2(I, X)), put(b, o, 2, 1, avg2(I, X));
      put(b, o, 0, 1, avg2(J, I)), put(b, o, 2, 2, avg2(J, I));
      put(b, o, 0, 2, avg2(K, J)), put(b, o, 2, 3, avg2(K, J));
      put(b, o, 0, 3, avg2(L, K));
      put(b, o, 3, 0, avg3(A, B, C));
      put(b, o, 2, 0, avg3(X, A, B));
      put(b, o, 1, 0, avg3(I, X, A)), put(b, o, 3, 1, avg3(I, X, A));
      put(b, o, 1, 1, avg3(J, I, X)), put(b, o, 3, 2, avg3(J, I, X));
      put(b, o, 1, 2, avg3(K, J, I)), put(b, o, 3, 3, avg3(K, J, I));
      put(b, o, 1, 3, avg3(L, K, J));
      return;
    case BMode.HU:
      put(b, o, 0, 0, avg2(I, J));
      put(b, o, 2, 0, avg2(J, K)), put(b, o, 0, 1, avg2(J, K));
      put(b, o, 2, 1, avg2(K, L)), put(b, o, 0, 2, avg2(K, L));
      put(b, o, 1, 0, avg3(I, J, K));
      put(b, o, 3, 0, avg3(J, K, L)), put(b, o, 1, 1, avg3(J, K, L));
      put(b, o, 3, 1, avg3(K, L, L)), put(b, o, 1, 2, avg3(K, L, L));
      put(b, o, 3, 2, L),
        put(b, o, 2, 2, L),
        put(b, o, 0, 3, L),
        put(b, o, 1, 3, L),
        put(b, o, 2, 3, L),
        put(b, o, 3, 3, L);
      return;
  }
}
