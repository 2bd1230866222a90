// PNG chunk stream, read the way Pillow 9.4's PngImagePlugin reads it, so the same files open:
// chunks before the image data are handled in file order (a later IHDR/PLTE wins, PLTE only counts
// once the mode is P, tRNS is interpreted by the mode at that point), every chunk before the data
// must pass its CRC, the image data is the run of consecutive IDAT/fdAT chunks, and after the data
// only EXIF (eXIf, or the raw-profile text chunk) is looked at. Problems in text chunks that make
// Pillow refuse a file (unknown compression, over 1 MiB inflated) are ignored here. Stricter than Pillow, which skips the CRCs of data chunks: a data chunk
// whose CRC is wrong is rejected (as libpng and browsers do), and bytes of a chunk cut short by
// the end of the file (no CRC to check) may not be used; a file cut after the last needed byte
// still decodes.

import { EdgeClipError } from "../../errors.ts";
import { crc32 } from "./crc32.ts";
import { pngFormat } from "./formats.ts";
import { rawProfileExif } from "./text.ts";

/** IHDR fields. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** A sub-rectangle the first frame of an APNG (fcTL before IDAT) decodes into. */
export interface PngRegion {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** What the decoder needs from the chunks. */
export interface PngChunks {
  readonly header: PngHeader;
  /** PLTE payload, when the colour type was palette at the time. */
  readonly palette: Uint8Array | null;
  /** tRNS payload, when the colour type was palette, grey or RGB at the time. */
  readonly trns: Uint8Array | null;
  /** Concatenated payloads of the image-data chunks. */
  readonly data: Uint8Array;
  /** How many leading bytes of `data` passed their chunk CRC (the rest lacks one: truncated). */
  readonly verified: number;
  /** Why the data run ended early (truncation or a malformed chunk), or null. */
  readonly dataEndProblem: string | null;
  /** eXIf payload (a TIFF structure), before or after the image data. */
  readonly exif: Uint8Array | null;
  /** EXIF from a "Raw profile type exif" text chunk (used when there is no eXIf), null if bad. */
  readonly rawExif: Uint8Array | null;
  readonly region: PngRegion | null;
}

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `PNG: ${msg}`);
}

const u32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

/** Pillow accepts a chunk type only if it is four word characters ([A-Za-z0-9_]). */
function isChunkType(b: Uint8Array, i: number): boolean {
  for (let k = i; k < i + 4; k++) {
    const c = b[k];
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!word) return false;
  }
  return true;
}

function typeName(b: Uint8Array, i: number): string {
  let s = "";
  for (let k = i; k < i + 4; k++) {
    const c = b[k];
    s += c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return s;
}

/** Chunk at `pos`: type, payload bounds; `body` may run past the end of the file. */
interface Chunk {
  type: string;
  start: number;
  end: number;
}

function readChunkHeader(b: Uint8Array, pos: number): Chunk | string {
  if (pos + 8 > b.length) return "file ends inside a chunk header";
  if (!isChunkType(b, pos + 4)) return `broken chunk type ${typeName(b, pos + 4)}`;
  const len = u32(b, pos);
  return { type: typeName(b, pos + 4), start: pos + 8, end: pos + 8 + len };
}

function checkCrc(b: Uint8Array, c: Chunk): void {
  if (c.end + 4 > b.length) bad(`file ends inside chunk ${c.type}`);
  if (crc32(b, c.start - 4, c.end) !== u32(b, c.end)) bad(`bad CRC in chunk ${c.type}`);
}

const isData = (t: string) => t === "IDAT" || t === "fdAT" || t === "DDAT";

/** Parses the chunk stream after the signature (see the file comment for the rules). */
export function readPngChunks(b: Uint8Array): PngChunks {
  let width = -1, height = -1;
  let combo: [number, number] | null = null; // [bit depth, colour type]
  let lastBadCombo = "";
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  let exif: Uint8Array | null = null;
  let rawExif: Uint8Array | null = null;
  const text = (type: string, s: Uint8Array) => {
    if (type !== "tEXt" && type !== "zTXt" && type !== "iTXt") return;
    const r = rawProfileExif(type, s);
    if (r !== undefined) rawExif = r;
  };
  let region: PngRegion | null = null;
  let interlaced = false;
  let seq = -1; // last APNG sequence number, -1 = none yet
  let pos = 8;
  let first: Chunk | null = null;
  while (!first) {
    const c = readChunkHeader(b, pos);
    if (typeof c === "string") bad(c);
    if (c.type === "IEND") bad("no image data before IEND");
    if (c.type === "IDAT" || c.type === "fdAT") {
      first = c;
      break;
    }
    if (c.end > b.length) bad(`file ends inside chunk ${c.type}`);
    const s = b.subarray(c.start, c.end);
    switch (c.type) {
      case "IHDR": {
        if (s.length < 13) bad("IHDR chunk is shorter than 13 bytes");
        if (s[11] !== 0) bad(`unknown filter method ${s[11]}`);
        if (s[12] !== 0) interlaced = true; // Pillow never clears it again
        width = u32(s, 0);
        height = u32(s, 4);
        // Pillow keeps the previous mode when an IHDR has an unknown depth/type pair.
        if (pngFormat(s[8], s[9])) combo = [s[8], s[9]];
        else lastBadCombo = `bit depth ${s[8]} with colour type ${s[9]}`;
        break;
      }
      case "PLTE":
        if (combo?.[1] === 3) palette = s;
        break;
      case "tRNS": {
        const ct = combo?.[1];
        if (ct === 3) trns = s;
        else if (ct === 0 || ct === 2) {
          if (s.length < (ct === 0 ? 2 : 6)) bad("tRNS chunk is too short");
          trns = s;
        }
        break;
      }
      case "eXIf":
        exif = s;
        break;
      case "tEXt":
      case "zTXt":
      case "iTXt":
        text(c.type, s);
        break;
      case "fcTL": {
        if (s.length < 26) bad("APNG fcTL chunk is too short");
        const n = u32(s, 0);
        if (n !== seq + 1) bad("APNG frame sequence error");
        seq = n;
        const w = u32(s, 4), h = u32(s, 8), x = u32(s, 12), y = u32(s, 16);
        if (x + w > Math.max(width, 0) || y + h > Math.max(height, 0)) {
          bad("APNG frame lies outside the image");
        }
        region = { x, y, width: w, height: h };
        break;
      }
    }
    checkCrc(b, c);
    pos = c.end + 4;
  }
  if (width < 0) bad("no IHDR chunk before the image data");
  if (!combo) bad(`unsupported ${lastBadCombo}`);
  const header: PngHeader = { width, height, bitDepth: combo[0], colorType: combo[1], interlaced };
  // The data run: consecutive IDAT/fdAT chunks (fdAT without its 4-byte sequence number).
  const parts: Uint8Array[] = [];
  let total = 0, verified = 0;
  let problem: string | null = null;
  let c: Chunk | string = first;
  for (;;) {
    if (typeof c === "string") {
      problem = c;
      break;
    }
    if (!isData(c.type)) break;
    let start = c.start;
    if (c.type === "fdAT") {
      if (c.end - c.start < 4 || c.start + 4 > b.length) bad("APNG fdAT chunk is too short");
      const n = u32(b, c.start);
      if (n !== seq + 1) bad("APNG frame sequence error");
      seq = n;
      start += 4;
    }
    const end = Math.min(c.end, b.length);
    parts.push(b.subarray(start, end));
    total += end - start;
    if (c.end + 4 > b.length) {
      problem = `file ends inside chunk ${c.type}`;
      break;
    }
    if (crc32(b, c.start - 4, c.end) !== u32(b, c.end)) bad(`bad CRC in chunk ${c.type}`);
    verified = total;
    pos = c.end + 4;
    c = readChunkHeader(b, pos);
  }
  const data = parts.length === 1 ? parts[0] : new Uint8Array(total);
  if (parts.length > 1) {
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
  }
  // After the data: only EXIF matters; a chunk cut short by the end of the file fails as in Pillow.
  while (typeof c !== "string" && problem === null && c.type !== "IEND") {
    if (c.end > b.length) bad(`file ends inside chunk ${c.type}`);
    if (c.type === "eXIf") exif = b.subarray(c.start, c.end);
    else text(c.type, b.subarray(c.start, c.end));
    pos = c.end + 4;
    c = readChunkHeader(b, pos);
  }
  return { header, palette, trns, data, verified, dataEndProblem: problem, exif, rawExif, region };
}
