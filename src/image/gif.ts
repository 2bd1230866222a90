// GIF decoder for the first frame, as Pillow 9.4's GifImagePlugin opens it: mode `P` with the
// frame's palette (local, else global), or `L` when there is none or it is the identity grey ramp
// (entry i = (i, i, i)), in which case the indices are the grey values. The image is the logical
// screen, grown to hold the frame; pixels outside the frame are the transparent index when the
// frame has one, else 0 (never the background colour). Everything else in the file (later frames,
// comments, application data) is skipped the way Pillow skips it.

import { EdgeClipError } from "../errors.ts";
import {
  checkPixelLimit,
  type DecodedImage,
  type DecodeLimits,
  DEFAULT_MAX_PIXELS,
} from "./types.ts";
import { lzwDecodeFrame } from "./gif_lzw.ts";
import { isGif } from "./signatures.ts";

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `GIF: ${msg}`);
}

const u16 = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);

/** Pillow drops a palette whose every entry i is (i, i, i): the image is then mode L. */
function isGreyRamp(p: Uint8Array): boolean {
  for (let i = 0; i < p.length; i += 3) {
    const k = i / 3;
    if (p[i] !== k || p[i + 1] !== k || p[i + 2] !== k) return false;
  }
  return true;
}

/**
 * Decodes the first frame of a GIF (LZW, global/local colour tables, interlace, transparency).
 * Throws `EdgeClipError` `image_decode` for corrupt or truncated data, `input_too_large` when the
 * image exceeds `limits.maxPixels` (checked before pixel memory is allocated).
 */
export function decodeGif(
  b: Uint8Array,
  limits: DecodeLimits = { maxPixels: DEFAULT_MAX_PIXELS },
): DecodedImage {
  if (!isGif(b)) bad("bad signature");
  if (b.length < 13) bad("file ends inside the header");
  let W = u16(b, 6), H = u16(b, 8);
  let pos = 13;
  const readPalette = (flags: number): Uint8Array => {
    const n = 3 << ((flags & 7) + 1);
    if (pos + n > b.length) bad("file ends inside a colour table");
    const p = b.subarray(pos, pos + n);
    pos += n;
    return p;
  };
  let globalPal: Uint8Array | null = null;
  if (b[10] & 128) {
    const p = readPalette(b[10]);
    if (!isGreyRamp(p)) globalPal = p;
  }
  // A sub-block: size byte then data; null for the terminator (or end of file), like Pillow.
  const subBlock = (): Uint8Array | null => {
    if (pos >= b.length || b[pos] === 0) {
      if (pos < b.length) pos++;
      return null;
    }
    const n = b[pos];
    const blk = b.subarray(pos + 1, Math.min(b.length, pos + 1 + n));
    pos += 1 + n;
    return blk;
  };
  let transparency = -1;
  let frame: { x: number; y: number; w: number; h: number; interlace: boolean } | null = null;
  let localPal: Uint8Array | null | false = null; // false: present but a grey ramp
  let minCodeSize = 0;
  while (pos < b.length && !frame) {
    const s = b[pos++];
    if (s === 0x3b) break; // trailer
    if (s === 0x21) {
      if (pos >= b.length) bad("file ends inside an extension");
      const label = b[pos++];
      let blk = subBlock();
      if (label === 0xf9) {
        if (!blk || blk.length < 3) bad("graphic control extension is too short");
        if (blk[0] & 1) {
          if (blk.length < 4) bad("graphic control extension is too short");
          transparency = blk[3];
        }
      } else if (label === 0xfe) {
        while (blk) blk = subBlock();
        continue;
      } else if (label === 0xff) {
        if (!blk) bad("empty application extension");
        if (blk.length >= 11 && isNetscape(blk) && !subBlock()) {
          bad("NETSCAPE2.0 extension has no data");
        }
      }
      while (subBlock());
    } else if (s === 0x2c) {
      if (pos + 9 > b.length) bad("file ends inside an image descriptor");
      const x = u16(b, pos), y = u16(b, pos + 2), w = u16(b, pos + 4), h = u16(b, pos + 6);
      const flags = b[pos + 8];
      pos += 9;
      if (flags & 128) {
        const p = readPalette(flags);
        localPal = isGreyRamp(p) ? false : p;
      }
      if (pos >= b.length) bad("file ends before the LZW code size");
      minCodeSize = b[pos++];
      frame = { x, y, w, h, interlace: (flags & 64) !== 0 };
    }
    // Any other byte between blocks is skipped, as Pillow does.
  }
  if (!frame) bad("no image in the file");
  W = Math.max(W, frame.x + frame.w);
  H = Math.max(H, frame.y + frame.h);
  if (frame.w === 0 || frame.h === 0) bad(`empty frame ${frame.w}×${frame.h}`);
  checkPixelLimit("GIF", W, H, limits);
  // A grey-ramp local table still lets Pillow attach the global one (its core image turns P even
  // though `mode` reads L), and convert("RGB") then goes through the global colours: follow that.
  const palette = localPal || globalPal;
  const data = new Uint8Array(W * H);
  if (transparency >= 0) data.fill(transparency);
  lzwDecodeFrame(b, pos, minCodeSize, data, W, frame.x, frame.y, frame.w, frame.h, frame.interlace);
  const img: { -readonly [K in keyof DecodedImage]: DecodedImage[K] } = {
    width: W,
    height: H,
    mode: palette ? "P" : "L",
    data,
    format: "GIF",
  };
  if (palette) {
    img.palette = palette.slice();
    if (transparency >= 0) {
      const alpha = new Uint8Array(Math.max(palette.length / 3, transparency + 1)).fill(255);
      alpha[transparency] = 0;
      img.paletteAlpha = alpha;
    }
  }
  return img;
}

function isNetscape(blk: Uint8Array): boolean {
  const sig = "NETSCAPE2.0";
  for (let i = 0; i < 11; i++) if (blk[i] !== sig.charCodeAt(i)) return false;
  return true;
}
