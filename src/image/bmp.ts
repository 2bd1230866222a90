// BMP decoder following Pillow 9.4's BmpImagePlugin, so modes and pixels match `Image.open`:
// - headers: OS/2 v1 (12 bytes), BITMAPINFOHEADER (40), OS/2 v2 (64), V4 (108), V5 (124);
// - 1/4/8-bit: `P` with the file's palette, except a palette that is exactly black/white (2
//   colours → `1`) or the identity grey ramp (entry i = (i, i, i) → `L`); Pillow then reads the
//   rows with that mode's own bit depth, even when it differs from the file's;
// - 16-bit: 5-5-5 (`RGB`), or 5-6-5 with BITFIELDS; 24-bit `RGB`; 32-bit `RGB` (the fourth byte
//   ignored) unless BITFIELDS masks carry alpha (`RGBA`);
// - RLE8/RLE4 via bmp_rle.ts; bottom-up or top-down (negative height).

import { EdgeClipError } from "../errors.ts";
import {
  checkPixelLimit,
  type DecodedImage,
  type DecodeLimits,
  DEFAULT_MAX_PIXELS,
  type ImageMode,
} from "./types.ts";
import { decodeBmpRle } from "./bmp_rle.ts";
import { isBmp } from "./signatures.ts";

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `BMP: ${msg}`);
}

const u16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32 = (b: Uint8Array, i: number) =>
  (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** Pillow rawmodes used for BMP: bits per pixel and the mode they unpack into. */
const RAW: Record<string, { bits: number; mode: ImageMode }> = {
  "1": { bits: 1, mode: "1" },
  "L": { bits: 8, mode: "L" },
  "P;1": { bits: 1, mode: "P" },
  "P;4": { bits: 4, mode: "P" },
  "P": { bits: 8, mode: "P" },
  "BGR;15": { bits: 16, mode: "RGB" },
  "BGR;16": { bits: 16, mode: "RGB" },
  "BGR": { bits: 24, mode: "RGB" },
  "BGRX": { bits: 32, mode: "RGB" },
  "XBGR": { bits: 32, mode: "RGB" },
  "ABGR": { bits: 32, mode: "RGBA" },
  "RGBA": { bits: 32, mode: "RGBA" },
  "BGRA": { bits: 32, mode: "RGBA" },
};

const BIT_RAWMODE: Record<number, string> = {
  1: "P;1",
  4: "P;4",
  8: "P",
  16: "BGR;15",
  24: "BGR",
  32: "BGRX",
};

/** BITFIELDS masks Pillow accepts, keyed "bits:r,g,b[,a]" (hex). */
const MASKS: Record<string, string> = {
  "32:ff0000,ff00,ff,0": "BGRX",
  "32:ff000000,ff0000,ff00,0": "XBGR",
  "32:ff000000,ff0000,ff00,ff": "ABGR",
  "32:ff,ff00,ff0000,ff000000": "RGBA",
  "32:ff0000,ff00,ff,ff000000": "BGRA",
  "32:0,0,0,0": "BGRA",
  "24:ff0000,ff00,ff": "BGR",
  "16:f800,7e0,1f": "BGR;16",
  "16:7c00,3e0,1f": "BGR;15",
};

/**
 * Decodes a Windows/OS2 bitmap. Throws `EdgeClipError` `image_decode` for corrupt, truncated or
 * unsupported files, `input_too_large` when width·height exceeds `limits.maxPixels` (checked
 * before pixel memory is allocated).
 */
export function decodeBmp(
  b: Uint8Array,
  limits: DecodeLimits = { maxPixels: DEFAULT_MAX_PIXELS },
): DecodedImage {
  if (!isBmp(b)) bad("bad signature");
  if (b.length < 18) bad("file ends inside the header");
  let offset = u32(b, 10);
  const hs = u32(b, 14);
  if (![12, 40, 64, 108, 124].includes(hs)) bad(`unsupported header size ${hs}`);
  if (14 + hs > b.length) bad("file ends inside the header");
  const h0 = 18; // header fields after the size
  let pos = 14 + hs;
  let width: number, height: number, bits: number, compression = 0, colors = 0, topDown = false;
  let masks: number[] | null = null;
  if (hs === 12) {
    width = u16(b, h0);
    height = u16(b, h0 + 2);
    bits = u16(b, h0 + 6);
  } else {
    topDown = b[h0 + 7] === 0xff;
    width = u32(b, h0);
    height = topDown ? 2 ** 32 - u32(b, h0 + 4) : u32(b, h0 + 4);
    bits = u16(b, h0 + 10);
    compression = u32(b, h0 + 12);
    colors = u32(b, h0 + 28);
    if (compression === 3) {
      if (hs >= 56) {
        masks = [0, 1, 2, 3].map((k) => u32(b, h0 + 36 + 4 * k));
      } else {
        // A 40-byte header stores the three masks after it (no alpha mask).
        if (pos + 12 > b.length) bad("file ends inside the colour masks");
        masks = [u32(b, pos), u32(b, pos + 4), u32(b, pos + 8), 0];
        pos += 12;
      }
    }
  }
  if (width === 0 || height === 0) bad(`empty image ${width}×${height}`);
  if (!colors) colors = 2 ** bits;
  if (offset === 14 + hs && bits <= 8) offset += 4 * colors;
  let rawmode = BIT_RAWMODE[bits];
  if (!rawmode) bad(`unsupported pixel depth ${bits}`);
  let rle = 0; // 0 raw, 8 or 4
  if (compression === 3) {
    const m = masks!;
    const key = bits === 32
      ? `32:${m.map(hex).join(",")}`
      : `${bits}:${m.slice(0, 3).map(hex).join(",")}`;
    if (!MASKS[key] || (bits !== 32 && bits !== 24 && bits !== 16)) {
      bad("unsupported bitfields layout");
    }
    rawmode = MASKS[key];
  } else if (compression === 1 || compression === 2) {
    rle = compression === 1 ? 8 : 4;
  } else if (compression !== 0) {
    bad(`unsupported compression ${compression}`);
  }
  let palette: Uint8Array | undefined;
  if (RAW[rawmode].mode === "P") {
    if (!(colors > 0 && colors <= 65536)) bad(`unsupported palette size ${colors}`);
    const pad = hs === 12 ? 3 : 4;
    const pal = b.subarray(pos, Math.min(b.length, pos + pad * colors));
    pos += pal.length;
    let grey = true;
    for (let i = 0; i < colors && grey; i++) {
      const v = (colors === 2 ? (i ? 255 : 0) : i) & 255;
      const k = i * pad;
      grey = k + 3 <= pal.length && pal[k] === v && pal[k + 1] === v && pal[k + 2] === v;
    }
    if (grey) {
      rawmode = colors === 2 ? "1" : "L";
    } else {
      const n = Math.floor(pal.length / pad);
      if (n > 256) bad(`palette has ${n} entries (at most 256)`);
      palette = new Uint8Array(n * 3);
      for (let i = 0; i < n; i++) {
        palette[3 * i] = pal[i * pad + 2];
        palette[3 * i + 1] = pal[i * pad + 1];
        palette[3 * i + 2] = pal[i * pad];
      }
    }
  }
  const mode = RAW[rawmode].mode;
  checkPixelLimit("BMP", width, height, limits);
  const start = offset || pos;
  let data: Uint8Array;
  if (rle) {
    if (mode !== "P" && mode !== "L") bad(`RLE compression with a ${mode} image`);
    data = decodeBmpRle(b, start, width, height, rle === 4, topDown);
  } else {
    data = unpackRows(b, start, width, height, rawmode, bits, topDown);
  }
  const img: { -readonly [K in keyof DecodedImage]: DecodedImage[K] } = {
    width,
    height,
    mode,
    data,
    format: "BMP",
  };
  if (palette) img.palette = palette;
  return img;
}

function hex(v: number): string {
  return v.toString(16);
}

/** Pillow's raw decoder: rows of ceil(w·rawbits/8) bytes, `stride` apart, bottom-up by default. */
function unpackRows(
  b: Uint8Array,
  start: number,
  w: number,
  h: number,
  rawmode: string,
  fileBits: number,
  topDown: boolean,
): Uint8Array {
  const { bits, mode } = RAW[rawmode];
  const rowBytes = Math.ceil((w * bits) / 8);
  const stride = ((w * fileBits + 31) >>> 3) & ~3;
  if (stride < rowBytes) bad(`${rawmode} rows do not fit a ${fileBits}-bit stride`);
  if (start + (h - 1) * stride + rowBytes > b.length) bad("pixel data is truncated");
  const ch = mode === "RGBA" ? 4 : mode === "RGB" ? 3 : 1;
  const out = new Uint8Array(w * h * ch);
  for (let r = 0; r < h; r++) {
    const y = topDown ? r : h - 1 - r;
    unpackRow(b, start + r * stride, w, rawmode, out, y * w * ch);
  }
  return out;
}

function unpackRow(s: Uint8Array, i: number, w: number, rawmode: string, o: Uint8Array, d: number) {
  switch (rawmode) {
    case "1":
    case "P;1":
      for (let x = 0; x < w; x++) {
        const bit = (s[i + (x >> 3)] >> (7 - (x & 7))) & 1;
        o[d + x] = rawmode === "1" ? bit * 255 : bit;
      }
      return;
    case "P;4":
      for (let x = 0; x < w; x++) o[d + x] = (s[i + (x >> 1)] >> (x & 1 ? 0 : 4)) & 15;
      return;
    case "L":
    case "P":
      o.set(s.subarray(i, i + w), d);
      return;
  }
  const px = RAW[rawmode].bits >> 3;
  if (rawmode === "BGR;15" || rawmode === "BGR;16") {
    // 5-bit (or 6-bit green) fields scaled as Pillow does: v·255 / max, truncated.
    const g6 = rawmode === "BGR;16";
    for (let x = 0; x < w; x++, i += 2) {
      const v = s[i] | (s[i + 1] << 8);
      o[d++] = (((v >> (g6 ? 11 : 10)) & 31) * 255 / 31) | 0;
      o[d++] = g6 ? (((v >> 5) & 63) * 255 / 63) | 0 : (((v >> 5) & 31) * 255 / 31) | 0;
      o[d++] = ((v & 31) * 255 / 31) | 0;
    }
    return;
  }
  const order = BYTE_ORDER[rawmode];
  const ch = order.length;
  for (let x = 0; x < w; x++, i += px) for (let c = 0; c < ch; c++) o[d++] = s[i + order[c]];
}

/** Where R, G, B (and A) sit in a 24/32-bit pixel for each rawmode. */
const BYTE_ORDER: Record<string, readonly number[]> = {
  BGR: [2, 1, 0],
  BGRX: [2, 1, 0],
  XBGR: [3, 2, 1],
  ABGR: [3, 2, 1, 0],
  RGBA: [0, 1, 2, 3],
  BGRA: [2, 1, 0, 3],
};
