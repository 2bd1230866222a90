// The WebP RIFF container (RFC 9649 §2, §5): simple lossy/lossless files, and extended (VP8X)
// files with ALPH, EXIF and animation (ANIM/ANMF) chunks. What is accepted and which frame is
// shown follow libwebp's demuxer as Pillow 9.4 drives it (WebPAnimDecoder): the first frame,
// placed on the canvas at its offset.

import { EdgeClipError } from "../../errors.ts";

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: ${what}`);

const FLAG_ANIMATION = 0x02, FLAG_EXIF = 0x08, FLAG_ALPHA = 0x10;
/** VP8X flag bits libwebp's demuxer accepts (ICCP, alpha, EXIF, XMP, animation). */
const VALID_FLAGS = 0x3e;

/** The compressed image of the frame to show. */
export interface WebpFrame {
  /** Payload of the `VP8 ` or `VP8L` chunk. */
  readonly image: Uint8Array;
  readonly lossless: boolean;
  /** Payload of the ALPH chunk that goes with a lossy image, if any. */
  readonly alpha: Uint8Array | null;
  /** Position on the canvas (animation frames). */
  readonly x: number;
  readonly y: number;
}

export interface WebpContainer {
  /** Canvas size from VP8X, or null for a simple file (the bitstream gives it). */
  readonly canvas: { width: number; height: number } | null;
  readonly animated: boolean;
  /** VP8X alpha flag (simple files: false). */
  readonly alphaFlag: boolean;
  /** libwebp's WebPGetFeatures rejects a VP8X chunk whose size is not exactly 10. */
  readonly vp8xSizeExact: boolean;
  readonly frame: WebpFrame;
  /** Whether an ALPH chunk precedes the image (counts as alpha for the reported mode). */
  readonly hasAlphChunk: boolean;
  /** First EXIF chunk's payload when the VP8X EXIF flag is set. */
  readonly exif: Uint8Array | null;
}

interface Chunk {
  readonly tag: string;
  readonly data: Uint8Array;
}

const le32 = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const le24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const tag = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

/** Splits `b[start, end)` into chunks; every chunk (with its padding byte) must fit. */
function chunks(b: Uint8Array, start: number, end: number): Chunk[] {
  const out: Chunk[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 8) throw bad("chunk header is truncated");
    const size = le32(b, p + 4);
    const padded = size + (size & 1);
    if (padded > end - p - 8) throw bad(`${tag(b, p)} chunk is truncated`);
    out.push({ tag: tag(b, p), data: b.subarray(p + 8, p + 8 + size) });
    p += 8 + padded;
  }
  return out;
}

/** Parses the container and picks the frame Pillow shows. */
export function parseContainer(b: Uint8Array): WebpContainer {
  if (b.length < 12 || tag(b, 0) !== "RIFF" || tag(b, 8) !== "WEBP") {
    throw bad("not a RIFF/WEBP file");
  }
  const riffSize = le32(b, 4);
  if (riffSize < 12) throw bad("RIFF size is too small");
  if (riffSize > b.length - 8) throw bad("file is truncated (shorter than its RIFF size)");
  const list = chunks(b, 12, 8 + riffSize);
  if (list.length === 0) throw bad("no chunks");
  const first = list[0];
  if (first.tag === "VP8 " || first.tag === "VP8L") {
    return {
      canvas: null,
      animated: false,
      alphaFlag: false,
      vp8xSizeExact: true,
      frame: { image: first.data, lossless: first.tag === "VP8L", alpha: null, x: 0, y: 0 },
      hasAlphChunk: false,
      exif: null,
    };
  }
  if (first.tag !== "VP8X") throw bad(`unexpected first chunk "${first.tag}"`);
  const h = first.data;
  if (h.length < 10) throw bad("VP8X chunk is too small");
  const flags = h[0];
  if (flags & ~VALID_FLAGS) throw bad("VP8X has unknown flags");
  const canvas = { width: le24(h, 4) + 1, height: le24(h, 7) + 1 };
  const animated = (flags & FLAG_ANIMATION) !== 0;
  const exifChunk = flags & FLAG_EXIF ? list.find((c) => c.tag === "EXIF") : undefined;
  const rest = list.slice(1);
  let frame: WebpFrame;
  let hasAlphChunk = false;
  if (animated) {
    const anim = rest.findIndex((c) => c.tag === "ANIM");
    const anmf = rest.findIndex((c) => c.tag === "ANMF");
    if (rest.some((c) => c.tag === "VP8 " || c.tag === "VP8L" || c.tag === "ALPH")) {
      throw bad("image chunk outside a frame of an animation");
    }
    if (anmf < 0) throw bad("animation has no frame");
    if (anim < 0 || anim > anmf) throw bad("ANIM chunk must precede the frames");
    if (rest[anim].data.length < 6) throw bad("ANIM chunk is too small");
    frame = animationFrame(rest[anmf].data);
  } else {
    const sel = imageChunks(rest);
    frame = { ...sel, x: 0, y: 0 };
    hasAlphChunk = sel.alpha !== null;
  }
  return {
    canvas,
    animated,
    alphaFlag: (flags & FLAG_ALPHA) !== 0,
    vp8xSizeExact: h.length === 10,
    frame,
    hasAlphChunk,
    exif: exifChunk ? exifChunk.data : null,
  };
}

/** The first ALPH and image chunks of a still image or a frame. */
function imageChunks(
  list: Chunk[],
): { image: Uint8Array; lossless: boolean; alpha: Uint8Array | null } {
  const img = list.findIndex((c) => c.tag === "VP8 " || c.tag === "VP8L");
  if (img < 0) throw bad("no image chunk");
  const alph = list.findIndex((c) => c.tag === "ALPH");
  const lossless = list[img].tag === "VP8L";
  if (alph >= 0 && alph > img) throw bad("ALPH chunk follows the image");
  if (alph >= 0 && lossless) throw bad("ALPH chunk before a lossless image");
  return {
    image: list[img].data,
    lossless,
    alpha: alph >= 0 ? list[alph].data : null,
  };
}

/** An ANMF payload: 16 header bytes (offsets, size, duration, flags), then the frame chunks. */
function animationFrame(p: Uint8Array): WebpFrame {
  if (p.length < 16) throw bad("ANMF chunk is too small");
  const sub = chunks(p, 16, p.length);
  const sel = imageChunks(sub);
  return {
    image: sel.image,
    lossless: sel.lossless,
    alpha: sel.alpha,
    x: 2 * le24(p, 0),
    y: 2 * le24(p, 3),
  };
}
