// Inverse VP8L transforms (RFC 9649 §4) with libwebp's arithmetic (dsp/lossless.c): predictor
// (14 modes; codes 14 and 15 act as mode 0), cross-colour, add-green and colour indexing with
// pixel bundling. They are undone in the reverse of the order the stream lists them.

/** A transform as read from the stream; `xsize` is the image width when it was read. */
export interface Transform {
  readonly type: number; // 0 predictor, 1 cross-colour, 2 subtract-green, 3 colour indexing
  readonly bits: number;
  readonly xsize: number;
  /** Predictor/cross-colour: the sub-image; colour indexing: the expanded palette. */
  readonly data: Uint32Array;
}

/** Per-byte floor average of two ARGB values. */
const avg2 = (a: number, b: number) => ((((a ^ b) & 0xfefefefe) >>> 1) + (a & b)) >>> 0;

function add(a: number, b: number): number {
  const ag = (a & 0xff00ff00) + (b & 0xff00ff00);
  const rb = (a & 0x00ff00ff) + (b & 0x00ff00ff);
  return ((ag & 0xff00ff00) | (rb & 0x00ff00ff)) >>> 0;
}

const clip255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Mode 11: whichever of top and left is closer (in summed channel distance) to the gradient. */
function select(t: number, l: number, tl: number): number {
  let s = 0;
  for (let sh = 0; sh < 32; sh += 8) {
    const tc = (t >>> sh) & 0xff, lc = (l >>> sh) & 0xff, c = (tl >>> sh) & 0xff;
    s += Math.abs(lc - c) - Math.abs(tc - c);
  }
  return s <= 0 ? t : l;
}

function clampAddSubFull(a: number, b: number, c: number): number {
  let r = 0;
  for (let sh = 0; sh < 32; sh += 8) {
    r |= clip255(((a >>> sh) & 0xff) + ((b >>> sh) & 0xff) - ((c >>> sh) & 0xff)) << sh;
  }
  return r >>> 0;
}

function clampAddSubHalf(a: number, b: number, c: number): number {
  const ave = avg2(a, b);
  let r = 0;
  for (let sh = 0; sh < 32; sh += 8) {
    const x = (ave >>> sh) & 0xff;
    // C integer division truncates toward zero.
    r |= clip255(x + Math.trunc((x - ((c >>> sh) & 0xff)) / 2)) << sh;
  }
  return r >>> 0;
}

/** Prediction of mode `m` from left L, top T, top-left TL and top-right TR. */
function predict(m: number, L: number, T: number, TL: number, TR: number): number {
  switch (m) {
    case 1:
      return L;
    case 2:
      return T;
    case 3:
      return TR;
    case 4:
      return TL;
    case 5:
      return avg2(avg2(L, TR), T);
    case 6:
      return avg2(L, TL);
    case 7:
      return avg2(L, T);
    case 8:
      return avg2(TL, T);
    case 9:
      return avg2(T, TR);
    case 10:
      return avg2(avg2(L, TL), avg2(T, TR));
    case 11:
      return select(T, L, TL);
    case 12:
      return clampAddSubFull(L, T, TL);
    case 13:
      return clampAddSubHalf(L, T, TL);
    default: // 0, and the unused codes 14 and 15
      return 0xff000000;
  }
}

function inversePredictor(t: Transform, px: Uint32Array, w: number, h: number): void {
  px[0] = add(px[0], 0xff000000);
  for (let x = 1; x < w; x++) px[x] = add(px[x], px[x - 1]);
  const tilesPerRow = (w + (1 << t.bits) - 1) >> t.bits;
  for (let y = 1; y < h; y++) {
    const row = y * w;
    const modes = (y >> t.bits) * tilesPerRow;
    px[row] = add(px[row], px[row - w]);
    for (let x = 1; x < w; x++) {
      const m = (t.data[modes + (x >> t.bits)] >> 8) & 0xf;
      const i = row + x;
      // Top-right of the last column is the first pixel of the current row (memory order).
      px[i] = add(px[i], predict(m, px[i - 1], px[i - w], px[i - w - 1], px[i - w + 1]));
    }
  }
}

/** Signed 8-bit × signed 8-bit, scaled by 1/32 (ColorTransformDelta). */
const delta = (m: number, c: number) => (((m << 24) >> 24) * ((c << 24) >> 24)) >> 5;

function inverseCrossColor(t: Transform, px: Uint32Array, w: number, h: number): void {
  const tilesPerRow = (w + (1 << t.bits) - 1) >> t.bits;
  for (let y = 0; y < h; y++) {
    const tiles = (y >> t.bits) * tilesPerRow;
    for (let x = 0; x < w; x++) {
      const code = t.data[tiles + (x >> t.bits)];
      const g2r = code & 0xff, g2b = (code >> 8) & 0xff, r2b = (code >> 16) & 0xff;
      const i = y * w + x;
      const argb = px[i];
      const green = (argb >> 8) & 0xff;
      const red = (((argb >> 16) & 0xff) + delta(g2r, green)) & 0xff;
      const blue = ((argb & 0xff) + delta(g2b, green) + delta(r2b, red)) & 0xff;
      px[i] = ((argb & 0xff00ff00) | (red << 16) | blue) >>> 0;
    }
  }
}

function addGreen(px: Uint32Array): void {
  for (let i = 0; i < px.length; i++) {
    const argb = px[i];
    const g = (argb >> 8) & 0xff;
    const rb = ((argb & 0x00ff00ff) + ((g << 16) | g)) & 0x00ff00ff;
    px[i] = ((argb & 0xff00ff00) | rb) >>> 0;
  }
}

/** Unbundles packed indices (green channel) and looks them up: packed width → `t.xsize`. */
function colorIndex(t: Transform, px: Uint32Array, h: number): Uint32Array {
  const w = t.xsize;
  const packedW = (w + (1 << t.bits) - 1) >> t.bits;
  const out = new Uint32Array(w * h);
  const per = 1 << t.bits, bitsPer = 8 >> t.bits, mask = (1 << bitsPer) - 1;
  const pal = t.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const packed = (px[y * packedW + (x >> t.bits)] >> 8) & 0xff;
      out[y * w + x] = pal[(packed >> (bitsPer * (x & (per - 1)))) & mask];
    }
  }
  return out;
}

/** Undoes `transforms` (in reverse order) on the decoded pixels; returns xsize×ysize pixels. */
export function applyInverseTransforms(
  data: Uint32Array,
  transforms: readonly Transform[],
  _xsize: number,
  ysize: number,
): Uint32Array {
  let px = data;
  for (let k = transforms.length - 1; k >= 0; k--) {
    const t = transforms[k];
    switch (t.type) {
      case 0:
        inversePredictor(t, px, t.xsize, ysize);
        break;
      case 1:
        inverseCrossColor(t, px, t.xsize, ysize);
        break;
      case 2:
        addGreen(px);
        break;
      case 3:
        px = colorIndex(t, px, ysize);
        break;
    }
  }
  return px;
}
