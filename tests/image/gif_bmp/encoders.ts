// Test-only GIF and BMP encoders (independent of the decoders) for randomized round trips.

/** GIF LZW codes for `indices` (clear first, end last), packed LSB first, in sub-blocks. */
export function lzwEncode(
  indices: ArrayLike<number>,
  minCodeSize: number,
  blockSize = 255,
): Uint8Array {
  const clear = 1 << minCodeSize, end = clear + 1;
  const bytes: number[] = [];
  let acc = 0, nbits = 0;
  const emit = (code: number, size: number) => {
    acc |= code << nbits;
    nbits += size;
    while (nbits >= 8) {
      bytes.push(acc & 255);
      acc >>>= 8;
      nbits -= 8;
    }
  };
  let dict = new Map<string, number>(), next = clear + 2, size = minCodeSize + 1;
  const reset = () => {
    dict = new Map();
    next = clear + 2;
    size = minCodeSize + 1;
  };
  emit(clear, size);
  let w = "", wCode = -1;
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    const wk = `${w},${k}`;
    const known = w === "" ? k : dict.get(wk);
    if (known !== undefined) {
      w = w === "" ? `${k}` : wk;
      wCode = known;
      continue;
    }
    emit(wCode, size);
    if (next < 4096) {
      dict.set(wk, next++);
      if (next > 1 << size && size < 12) size++;
    } else {
      emit(clear, size);
      reset();
    }
    w = `${k}`;
    wCode = k;
  }
  if (w !== "") emit(wCode, size);
  emit(end, size);
  if (nbits > 0) bytes.push(acc & 255);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += blockSize) {
    const part = bytes.slice(i, i + blockSize);
    out.push(part.length, ...part);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** GIF frame spec: indices are the frame's pixels in display order. */
export interface GifSpec {
  width: number;
  height: number;
  /** Global colour table (RGB triplets, 2^n entries), if any. */
  palette?: Uint8Array;
  frame: { x: number; y: number; w: number; h: number; indices: Uint8Array; interlace?: boolean };
  minCodeSize: number;
  transparency?: number;
  blockSize?: number;
}

/** Encodes a one-frame GIF89a. */
export function encodeGif(s: GifSpec): Uint8Array {
  const out: number[] = [...new TextEncoder().encode("GIF89a"), ...u16(s.width), ...u16(s.height)];
  if (s.palette) out.push(0x80 | (Math.log2(s.palette.length / 3) - 1), 0, 0, ...s.palette);
  else out.push(0, 0, 0);
  if (s.transparency !== undefined) out.push(0x21, 0xf9, 4, 1, 0, 0, s.transparency, 0);
  const f = s.frame;
  out.push(0x2c, ...u16(f.x), ...u16(f.y), ...u16(f.w), ...u16(f.h), f.interlace ? 0x40 : 0);
  let idx = f.indices;
  if (f.interlace) {
    const order: number[] = [];
    for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]]) {
      for (let y = start; y < f.h; y += step) order.push(y);
    }
    idx = Uint8Array.from(
      order.flatMap((y) => Array.from(f.indices.subarray(y * f.w, (y + 1) * f.w))),
    );
  }
  out.push(s.minCodeSize, ...lzwEncode(idx, s.minCodeSize, s.blockSize), 0x3b);
  return Uint8Array.from(out);
}

function u16(v: number): number[] {
  return [v & 255, v >> 8];
}

function u32(v: number): number[] {
  return [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
}

/** BMP spec: `rows` are top-first rows of samples (palette indices, or [b, g, r(, x)] bytes). */
export interface BmpSpec {
  width: number;
  height: number;
  bits: 1 | 4 | 8 | 24 | 32;
  /** BGRX palette entries as RGB triplets (1/4/8-bit). */
  palette?: Uint8Array;
  samples: Uint8Array;
  topDown?: boolean;
}

/** Encodes an uncompressed BITMAPINFOHEADER bitmap. */
export function encodeBmp(s: BmpSpec): Uint8Array {
  const stride = ((s.width * s.bits + 31) >> 3) & ~3;
  const pix = new Uint8Array(stride * s.height);
  const per = s.bits >= 8 ? s.bits >> 3 : 0;
  for (let y = 0; y < s.height; y++) {
    const fileRow = s.topDown ? y : s.height - 1 - y;
    const o = fileRow * stride;
    for (let x = 0; x < s.width; x++) {
      if (per) {
        for (let k = 0; k < per; k++) pix[o + x * per + k] = s.samples[(y * s.width + x) * per + k];
      } else {
        const v = s.samples[y * s.width + x], bit = x * s.bits;
        pix[o + (bit >> 3)] |= v << (8 - s.bits - (bit & 7));
      }
    }
  }
  const pal: number[] = [];
  const n = s.palette ? s.palette.length / 3 : 0;
  for (let i = 0; i < n; i++) {
    pal.push(s.palette![3 * i + 2], s.palette![3 * i + 1], s.palette![3 * i], 0);
  }
  const off = 14 + 40 + pal.length;
  const h = s.topDown ? (-s.height >>> 0) : s.height;
  return Uint8Array.from([
    0x42,
    0x4d,
    ...u32(off + pix.length),
    0,
    0,
    0,
    0,
    ...u32(off),
    ...u32(40),
    ...u32(s.width),
    ...u32(h),
    1,
    0,
    s.bits,
    0,
    ...u32(0),
    ...u32(pix.length),
    ...u32(2835),
    ...u32(2835),
    ...u32(n),
    ...u32(0),
    ...pal,
    ...pix,
  ]);
}
