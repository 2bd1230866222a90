// The WebP RIFF container (RFC 9649 §2, §5): simple lossy/lossless files, and extended (VP8X)
// files with ALPH, EXIF and animation (ANIM/ANMF) chunks. Parsing walks the chunks as libwebp's
// demuxer (demux.c) does, which Pillow 9.4 drives through WebPAnimDecoder, so that the same
// files are accepted and the same frame is shown: the first one, at its offset on the canvas.
// Bytes past the RIFF size are ignored; everything inside it must be well-formed up to where
// the demuxer stops reading (for simple files, right after the image chunk).

import { EdgeClipError } from "../../errors.ts";
import { readVp8Size } from "./lossy/header.ts";

const bad = (what: string) => new EdgeClipError("image_decode", `WebP: ${what}`);

const FLAG_ANIMATION = 0x02, FLAG_EXIF = 0x08, FLAG_ALPHA = 0x10;
/** VP8X flag bits libwebp's demuxer accepts (ICCP, alpha, EXIF, XMP, animation). */
const VALID_FLAGS = 0x3e;
const MAX_AREA = 2 ** 32;

/** The compressed image of the frame to show. */
export interface WebpFrame {
  /**
   * Payload of the `VP8 ` or `VP8L` chunk, with the chunk's padding byte if any: the demuxer
   * passes the padded chunk on, so libwebp's decoders may read that byte.
   */
  readonly image: Uint8Array;
  /** The chunk's declared payload size (without padding). */
  readonly imageSize: number;
  readonly lossless: boolean;
  /** Payload of the ALPH chunk that goes with a lossy image, if it is used. */
  readonly alpha: Uint8Array | null;
  /** Position on the canvas (animation frames). */
  readonly x: number;
  readonly y: number;
  /** Size from the bitstream header. */
  readonly width: number;
  readonly height: number;
}

export interface WebpContainer {
  /** Canvas size: from VP8X, else the image's own size. */
  readonly canvas: { width: number; height: number };
  readonly extended: boolean;
  readonly animated: boolean;
  /** VP8X alpha flag (simple files: false). */
  readonly alphaFlag: boolean;
  readonly frame: WebpFrame;
  /** An ALPH chunk precedes the still image (counts as alpha for the reported mode). */
  readonly hasAlphChunk: boolean;
  /** First EXIF chunk's payload when the VP8X EXIF flag is set. */
  readonly exif: Uint8Array | null;
}

const le32 = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const le24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const tag = (b: Uint8Array, o: number) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

/** Header of the chunk at `pos`, which must fit (with its padding) before `end`. */
function chunkAt(b: Uint8Array, pos: number, end: number) {
  if (end - pos < 8) throw bad("chunk header is truncated");
  const size = le32(b, pos + 4);
  const padded = size + (size & 1);
  if (padded > end - pos - 8) throw bad(`${tag(b, pos)} chunk runs past the end of the file`);
  return { tag: tag(b, pos), size, padded, data: pos + 8, next: pos + 8 + padded };
}

/** Size and alpha bit of an image chunk's bitstream header (WebPGetFeatures on the chunk). */
function imageInfo(
  lossless: boolean,
  d: Uint8Array,
  chunkSize: number,
): { width: number; height: number; alpha: boolean } {
  if (!lossless) return { ...readVp8Size(d, chunkSize), alpha: false };
  if (d.length < 5 || d[0] !== 0x2f) throw bad("VP8L signature is wrong");
  if (d[4] >> 5 !== 0) throw bad("VP8L version is not 0");
  const bits = d[1] | (d[2] << 8) | (d[3] << 16) | (d[4] << 24);
  return {
    width: (bits & 0x3fff) + 1,
    height: ((bits >> 14) & 0x3fff) + 1,
    alpha: ((bits >> 28) & 1) === 1,
  };
}

interface Stored {
  alpha: Uint8Array | null;
  image: {
    lossless: boolean;
    data: Uint8Array;
    size: number;
    width: number;
    height: number;
    alpha: boolean;
  } | null;
  next: number;
}

/** The demuxer's StoreFrame: an optional ALPH chunk, then an image chunk; stops at others. */
function storeFrame(b: Uint8Array, pos: number, end: number, minSize: number): Stored {
  if (end - pos < 8 || end - pos < minSize) throw bad("frame is truncated");
  const out: Stored = { alpha: null, image: null, next: pos };
  for (;;) {
    const c = chunkAt(b, pos, end);
    if (c.tag === "ALPH" && !out.alpha) {
      if (out.image) throw bad("ALPH chunk follows the image");
      out.alpha = b.subarray(c.data, c.data + c.size);
    } else if ((c.tag === "VP8 " || c.tag === "VP8L") && !out.image) {
      if (c.tag === "VP8L" && out.alpha) throw bad("ALPH chunk before a lossless image");
      const lossless = c.tag === "VP8L";
      const data = b.subarray(c.data, c.next);
      out.image = { lossless, data, size: c.size, ...imageInfo(lossless, data, c.size) };
    } else {
      break;
    }
    pos = c.next;
    out.next = pos;
    if (pos === end) break;
    if (end - pos < 8) throw bad("trailing bytes after a chunk");
  }
  return out;
}

function toFrame(s: Stored, x: number, y: number): WebpFrame {
  const img = s.image!;
  return {
    image: img.data,
    imageSize: img.size,
    lossless: img.lossless,
    alpha: s.alpha,
    x,
    y,
    width: img.width,
    height: img.height,
  };
}

/** Parses the container and picks the frame Pillow shows. */
export function parseContainer(b: Uint8Array): WebpContainer {
  if (b.length < 20 || tag(b, 0) !== "RIFF" || tag(b, 8) !== "WEBP") {
    throw bad("not a RIFF/WEBP file");
  }
  const riffSize = le32(b, 4);
  if (riffSize < 8) throw bad("RIFF size is too small");
  if (riffSize > b.length - 8) throw bad("file is truncated (shorter than its RIFF size)");
  const end = riffSize + 8;
  const first = tag(b, 12);

  if (first === "VP8 " || first === "VP8L") {
    const s = storeFrame(b, 12, end, 0); // the demuxer reads no further
    if (!s.image) throw bad("no image chunk");
    const f = toFrame(s, 0, 0);
    return {
      canvas: { width: f.width, height: f.height },
      extended: false,
      animated: false,
      alphaFlag: false,
      frame: f,
      hasAlphChunk: false,
      exif: null,
    };
  }
  if (first !== "VP8X") throw bad(`unexpected first chunk "${first}"`);
  if (end - 12 < 8) throw bad("VP8X chunk is truncated");
  // The demuxer accepts a larger VP8X chunk, but WebPAnimDecoderNew first requires
  // WebPGetFeatures to succeed, and that wants exactly 10 bytes.
  const vp8xSize = le32(b, 16);
  if (vp8xSize !== 10) throw bad("VP8X chunk size is not 10");
  const vp8xPadded = vp8xSize + (vp8xSize & 1);
  if (vp8xPadded > end - 20) throw bad("VP8X chunk runs past the end of the file");
  const flags = b[20];
  const canvas = { width: le24(b, 24) + 1, height: le24(b, 27) + 1 };
  if (canvas.width * canvas.height >= MAX_AREA) throw bad("canvas is too large");
  const animated = (flags & FLAG_ANIMATION) !== 0;
  let pos = 20 + vp8xPadded;
  if (end - pos < 8) throw bad("no chunk after VP8X");

  let still: Stored | null = null;
  const frames: WebpFrame[] = [];
  let lastComplete = true;
  let haveAnim = false;
  let exif: Uint8Array | null = null;
  for (;;) {
    const c = chunkAt(b, pos, end);
    switch (c.tag) {
      case "VP8X":
        throw bad("second VP8X chunk");
      case "ALPH":
      case "VP8 ":
      case "VP8L": {
        if (haveAnim || animated) throw bad("image chunk outside a frame of an animation");
        if (still) throw bad("second image in a still file");
        still = storeFrame(b, pos, end, 0);
        c.next = still.next;
        break;
      }
      case "ANIM":
        if (c.padded < 6) throw bad("ANIM chunk is too small");
        haveAnim = true;
        break;
      case "ANMF": {
        if (!haveAnim) throw bad("ANMF chunk before ANIM");
        if (c.padded < 16) throw bad("ANMF chunk is too small");
        const p = c.data;
        const w = le24(b, p + 6) + 1, h = le24(b, p + 9) + 1;
        if (w * h >= MAX_AREA) throw bad("frame is too large");
        const s = storeFrame(b, p + 16, end, c.padded - 16);
        if (s.next - (p + 16) > c.padded - 16) throw bad("frame runs past its ANMF chunk");
        if (animated && (s.alpha || s.image)) {
          if (!lastComplete) throw bad("incomplete frame");
          lastComplete = s.image !== null;
          if (s.image) frames.push(toFrame(s, 2 * le24(b, p), 2 * le24(b, p + 3)));
        }
        c.next = s.next;
        break;
      }
      case "EXIF":
        if (flags & FLAG_EXIF && !exif) exif = b.subarray(c.data, c.data + c.size);
        break;
    }
    pos = c.next;
    if (pos === end) break;
    if (end - pos < 8) throw bad("trailing bytes after a chunk");
  }

  // The demuxer's IsValidExtendedFormat.
  if (flags & ~VALID_FLAGS) throw bad("VP8X has unknown flags");
  if (!lastComplete) throw bad("frame without an image chunk");
  let frame: WebpFrame;
  let hasAlphChunk = false;
  if (animated) {
    if (frames.length === 0) throw bad("animation has no frame");
    for (const f of frames) {
      if (f.x + f.width > canvas.width || f.y + f.height > canvas.height) {
        throw bad(`frame of ${f.width}×${f.height} at (${f.x}, ${f.y}) leaves the canvas`);
      }
    }
    frame = frames[0];
  } else {
    if (!still) throw bad("no image");
    if (!still.image) throw bad("ALPH chunk without an image");
    hasAlphChunk = still.alpha !== null;
    // Without the VP8X alpha flag the demuxer drops the ALPH chunk from the frame.
    if (!(flags & FLAG_ALPHA)) still = { ...still, alpha: null };
    frame = toFrame(still, 0, 0);
    if (frame.width !== canvas.width || frame.height !== canvas.height) {
      throw bad(
        `image of ${frame.width}×${frame.height} on a ${canvas.width}×${canvas.height} canvas`,
      );
    }
  }
  return {
    canvas,
    extended: true,
    animated,
    alphaFlag: (flags & FLAG_ALPHA) !== 0,
    frame,
    hasAlphChunk,
    exif,
  };
}
