// VP8 loop filter (RFC 6386 §15) with libwebp's arithmetic (dsp/dec.c): per macroblock, in
// raster order, the left edge, the inner vertical edges, the top edge, then the inner horizontal
// edges; macroblock edges use limit+4 (2·(level+2)+interior), inner edges the limit itself.

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
/** Signed clip to [-128, 127] (libwebp's sclip1). */
const sclip1 = (v: number) => clamp(v, -128, 127);
/** Signed clip to [-16, 15] (sclip2). */
const sclip2 = (v: number) => clamp(v, -16, 15);
const clip1 = (v: number) => clamp(v, 0, 255);

/** Adjusts p0 and q0 only (the simple filter and high-variance edges). */
function filter2(b: Uint8Array, o: number, step: number): void {
  const p1 = b[o - 2 * step], p0 = b[o - step], q0 = b[o], q1 = b[o + step];
  const a = 3 * (q0 - p0) + sclip1(p1 - q1);
  const a1 = sclip2((a + 4) >> 3);
  const a2 = sclip2((a + 3) >> 3);
  b[o - step] = clip1(p0 + a2);
  b[o] = clip1(q0 - a1);
}

const abs = Math.abs;

/**
 * Filters `count` positions along an edge: `o` is the first pixel past the edge, `step` crosses
 * the edge, `along` moves along it. A position is filtered when 4·|p0-q0| + |p1-q1| ≤ 2·limit+1
 * and every neighbour step is within the interior limit; edges with high variance (hev) change
 * p0/q0 only, others get the 6-tap (macroblock edge) or 4-tap (inner edge) filter.
 */
function normalEdge(
  b: Uint8Array,
  o: number,
  step: number,
  along: number,
  count: number,
  limit: number,
  it: number,
  hevT: number,
  mbEdge: boolean,
): void {
  const t2 = 2 * limit + 1;
  const s2 = 2 * step, s3 = 3 * step, s4 = 4 * step;
  for (let i = 0; i < count; i++, o += along) {
    const p1 = b[o - s2], p0 = b[o - step], q0 = b[o], q1 = b[o + step];
    if (4 * abs(p0 - q0) + abs(p1 - q1) > t2) continue;
    const p3 = b[o - s4], p2 = b[o - s3], q2 = b[o + s2], q3 = b[o + s3];
    if (
      abs(p3 - p2) > it || abs(p2 - p1) > it || abs(p1 - p0) > it ||
      abs(q3 - q2) > it || abs(q2 - q1) > it || abs(q1 - q0) > it
    ) continue;
    if (abs(p1 - p0) > hevT || abs(q1 - q0) > hevT) {
      const a = 3 * (q0 - p0) + sclip1(p1 - q1);
      b[o - step] = clip1(p0 + sclip2((a + 3) >> 3));
      b[o] = clip1(q0 - sclip2((a + 4) >> 3));
    } else if (mbEdge) {
      const a = sclip1(3 * (q0 - p0) + sclip1(p1 - q1));
      const a1 = (27 * a + 63) >> 7, a2 = (18 * a + 63) >> 7, a3 = (9 * a + 63) >> 7;
      b[o - s3] = clip1(p2 + a3);
      b[o - s2] = clip1(p1 + a2);
      b[o - step] = clip1(p0 + a1);
      b[o] = clip1(q0 - a1);
      b[o + step] = clip1(q1 - a2);
      b[o + s2] = clip1(q2 - a3);
    } else {
      const a = 3 * (q0 - p0);
      const a1 = sclip2((a + 4) >> 3), a2 = sclip2((a + 3) >> 3), a3 = (a1 + 1) >> 1;
      b[o - s2] = clip1(p1 + a3);
      b[o - step] = clip1(p0 + a2);
      b[o] = clip1(q0 - a1);
      b[o + step] = clip1(q1 - a3);
    }
  }
}

/** The simple filter on 16 positions: p0/q0 only, when 4·|p0-q0| + |p1-q1| ≤ 2·limit+1. */
function simpleEdge(b: Uint8Array, o: number, step: number, along: number, limit: number): void {
  const t2 = 2 * limit + 1;
  for (let i = 0; i < 16; i++, o += along) {
    if (4 * abs(b[o - step] - b[o]) + abs(b[o - 2 * step] - b[o + step]) <= t2) {
      filter2(b, o, step);
    }
  }
}

/**
 * Runs the loop filter over a whole frame. `filter` holds per macroblock
 * [limit (0: skip), interior limit, hev threshold, filter inner edges].
 */
export function loopFilterFrame(
  filterType: number,
  mbW: number,
  mbH: number,
  filter: Int32Array,
  Y: Uint8Array,
  U: Uint8Array,
  V: Uint8Array,
): void {
  const ys = 16 * mbW, cs = 8 * mbW;
  for (let mbY = 0; mbY < mbH; mbY++) {
    for (let mbX = 0; mbX < mbW; mbX++) {
      const f = 4 * (mbY * mbW + mbX);
      const limit = filter[f];
      if (limit === 0) continue;
      const ilevel = filter[f + 1], hevT = filter[f + 2], inner = filter[f + 3] === 1;
      const yo = mbY * 16 * ys + mbX * 16;
      if (filterType === 1) {
        if (mbX > 0) simpleEdge(Y, yo, 1, ys, limit + 4);
        if (inner) { for (let k = 4; k < 16; k += 4) simpleEdge(Y, yo + k, 1, ys, limit); }
        if (mbY > 0) simpleEdge(Y, yo, ys, 1, limit + 4);
        if (inner) { for (let k = 4; k < 16; k += 4) simpleEdge(Y, yo + k * ys, ys, 1, limit); }
        continue;
      }
      const co = mbY * 8 * cs + mbX * 8;
      if (mbX > 0) {
        normalEdge(Y, yo, 1, ys, 16, limit + 4, ilevel, hevT, true);
        normalEdge(U, co, 1, cs, 8, limit + 4, ilevel, hevT, true);
        normalEdge(V, co, 1, cs, 8, limit + 4, ilevel, hevT, true);
      }
      if (inner) {
        for (let k = 4; k < 16; k += 4) {
          normalEdge(Y, yo + k, 1, ys, 16, limit, ilevel, hevT, false);
        }
        normalEdge(U, co + 4, 1, cs, 8, limit, ilevel, hevT, false);
        normalEdge(V, co + 4, 1, cs, 8, limit, ilevel, hevT, false);
      }
      if (mbY > 0) {
        normalEdge(Y, yo, ys, 1, 16, limit + 4, ilevel, hevT, true);
        normalEdge(U, co, cs, 1, 8, limit + 4, ilevel, hevT, true);
        normalEdge(V, co, cs, 1, 8, limit + 4, ilevel, hevT, true);
      }
      if (inner) {
        for (let k = 4; k < 16; k += 4) {
          normalEdge(Y, yo + k * ys, ys, 1, 16, limit, ilevel, hevT, false);
        }
        normalEdge(U, co + 4 * cs, cs, 1, 8, limit, ilevel, hevT, false);
        normalEdge(V, co + 4 * cs, cs, 1, 8, limit, ilevel, hevT, false);
      }
    }
  }
}
