// JPEG marker parsing (T.81 Annex B): frame, tables, scans and the APPn segments that matter
// (JFIF, Adobe, EXIF), with libjpeg-turbo 2.1's acceptance rules (jdmarker.c, jdinput.c) and
// Pillow 9.4's (JpegImagePlugin.py: 8-bit samples, 1/3/4 components). Every loop advances
// through the input, so work is bounded by its length.

import { EdgeClipError } from "../../errors.ts";
import { readExifOrientation } from "../exif.ts";
import { checkPixelLimit, type DecodeLimits } from "../types.ts";
import { buildHuffmanTable, type HuffmanSpec, type HuffmanTable, STD_HUFFMAN } from "./huffman.ts";
import { readDht, readDqt } from "./tables.ts";
import { type Frame, makeFrame } from "./layout.ts";

/** One scan: its components, tables, spectral selection and entropy-coded byte range. */
export interface Scan {
  /** Frame component indices, in scan order. */
  readonly comps: readonly number[];
  /** Decoding tables per scan component (null where the scan needs none). */
  readonly dc: readonly (HuffmanTable | null)[];
  readonly ac: readonly (HuffmanTable | null)[];
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
  /** MCUs per restart interval (0: none). */
  readonly restartInterval: number;
  /** Entropy-coded data: bytes [start, end) of the file, markers and stuffing included. */
  readonly start: number;
  readonly end: number;
}

/** Everything the decoder needs from the headers. */
export interface JpegFile {
  readonly frame: Frame;
  readonly scans: readonly Scan[];
  /** Per frame component: its quantisation table in natural order (latched at its first scan). */
  readonly quant: readonly (Int32Array | null)[];
  /** More than one scan feeds the image (progressive, or components in separate scans). */
  readonly multiScan: boolean;
  readonly jfif: boolean;
  /** Transform flag of the last Adobe APP14 segment, or null without one. */
  readonly adobeTransform: number | null;
  /** EXIF orientation from the first `Exif\0` APP1 segment. */
  readonly exifOrientation?: number;
}

function bad(msg: string): never {
  throw new EdgeClipError("image_decode", `JPEG: ${msg}`);
}

/**
 * Most scans a file may have. Each scan walks every block of its components, and one EOB-run
 * code can cover thousands of blocks, so without a cap a small file could cost minutes. Encoders
 * write at most a few dozen (libjpeg's default progression 10, mozjpeg's under 20).
 */
export const MAX_SCANS = 300;

const SOF_NAMES: Record<number, string> = {
  0xc3: "lossless (SOF3)",
  0xc5: "differential sequential (SOF5)",
  0xc6: "differential progressive (SOF6)",
  0xc7: "differential lossless (SOF7)",
  0xc8: "JPEG extension (JPG)",
  0xc9: "arithmetic-coded sequential (SOF9)",
  0xca: "arithmetic-coded progressive (SOF10)",
  0xcb: "arithmetic-coded lossless (SOF11)",
  0xcd: "arithmetic-coded differential (SOF13)",
  0xce: "arithmetic-coded differential progressive (SOF14)",
  0xcf: "arithmetic-coded differential lossless (SOF15)",
};

/**
 * Parses the headers and locates every scan's entropy-coded data. Checks the pixel limit as soon
 * as the frame header is read. Throws `image_decode` for anything libjpeg or Pillow rejects.
 */
export function parseJpeg(b: Uint8Array, limits: DecodeLimits): JpegFile {
  if (b.length < 2 || b[0] !== 0xff || b[1] !== 0xd8) bad("missing SOI marker");
  const n = b.length;
  let pos = 2;
  let frame: Frame | null = null;
  const scans: Scan[] = [];
  const qtables: (Int32Array | null)[] = [null, null, null, null];
  const dcSpecs: (HuffmanSpec | null)[] = [null, null, null, null];
  const acSpecs: (HuffmanSpec | null)[] = [null, null, null, null];
  let quant: (Int32Array | null)[] = [];
  let restartInterval = 0, jfif = false, adobeTransform: number | null = null;
  let exif: Uint8Array | null = null;
  let multiScan = false;

  // Reads the 2-byte length of the segment at `pos` and returns its payload bounds.
  const segment = (): [number, number] => {
    if (pos + 2 > n) bad("truncated marker segment");
    const len = (b[pos] << 8) | b[pos + 1];
    if (len < 2) bad(`bad marker segment length ${len}`);
    if (pos + len > n) bad("truncated marker segment");
    const s = pos + 2;
    pos += len;
    return [s, pos];
  };

  for (;;) {
    // next_marker: skip stray bytes and fill FFs, as libjpeg does (with a warning)
    while (pos < n && b[pos] !== 0xff) pos++;
    while (pos < n && b[pos] === 0xff) pos++;
    if (pos >= n) {
      // Pillow ends a single-scan image once its scan is done; everything else needs EOI
      if (scans.length > 0 && !multiScan) break;
      bad("truncated file (no EOI marker)");
    }
    const m = b[pos++];
    if (m === 0x00) continue; // stuffed zero outside a scan: garbage, skipped
    if (m === 0xd9) break; // EOI
    if (m >= 0xd0 && m <= 0xd7) continue; // stray RSTn, parameterless
    if (m === 0x01) continue; // TEM
    if (scans.length > 0 && !multiScan) {
      // libjpeg reads on to EOI after a single-scan image; a later scan is an error there,
      // a truncated segment is not (Pillow already has every row).
      if (m === 0xda) bad("a second scan in a single-scan image");
      if (pos + 2 > n || pos + ((b[pos] << 8) | b[pos + 1]) > n) break;
    }
    switch (m) {
      case 0xd8:
        bad("duplicate SOI marker");
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) bad("duplicate SOF marker");
        const [s, e] = segment();
        frame = readFrame(b, s, e, m === 0xc2, limits);
        quant = frame.components.map(() => null);
        break;
      }
      case 0xc4:
        readDht(b, segment(), dcSpecs, acSpecs);
        break;
      case 0xdb:
        readDqt(b, segment(), qtables);
        break;
      case 0xdd: {
        const [s, e] = segment();
        if (e - s !== 2) bad("bad DRI length");
        restartInterval = (b[s] << 8) | b[s + 1];
        break;
      }
      case 0xda: {
        if (!frame) bad("SOS before SOF");
        const [s, e] = segment();
        if (scans.length === 0) {
          // libjpeg-turbo installs the Annex K tables in empty slots 0/1 when the sequential
          // decoder starts (Motion-JPEG frames omit them); progressive files get no defaults.
          if (!frame.progressive) {
            for (let t = 0; t < 2; t++) {
              dcSpecs[t] ??= STD_HUFFMAN.dc[t];
              acSpecs[t] ??= STD_HUFFMAN.ac[t];
            }
          }
        }
        if (scans.length >= MAX_SCANS) bad(`more than ${MAX_SCANS} scans`);
        const scan = readScan(b, s, e, frame, dcSpecs, acSpecs, restartInterval);
        if (scans.length === 0) {
          multiScan = frame.progressive || scan.comps.length < frame.components.length;
        }
        for (const c of scan.comps) {
          if (quant[c]) continue;
          const tq = frame.components[c].tq;
          const q = tq < 4 ? qtables[tq] : null;
          if (!q) bad(`missing quantization table ${tq}`);
          quant[c] = q.slice();
        }
        pos = e;
        const end = scanEnd(b, pos);
        // Data running into the end of the file: libjpeg-turbo may still finish a single-scan
        // image (the decoder then checks that no code reads past the data); a multi-scan image
        // needs EOI, so Pillow always fails on it.
        if (end === n && multiScan) bad("truncated scan data");
        scans.push({ ...scan, start: pos, end });
        pos = end;
        break;
      }
      default:
        if ((m >= 0xe0 && m <= 0xef) || m === 0xfe) {
          const [s, e] = segment();
          if (m === 0xe0 && e - s >= 14 && ascii(b, s, "JFIF\0")) jfif = true;
          if (m === 0xee && e - s >= 12 && ascii(b, s, "Adobe")) adobeTransform = b[s + 11];
          if (m === 0xe1 && exif === null && ascii(b, s, "Exif\0")) exif = b.subarray(s, e);
        } else if (m === 0xdc || m === 0xcc) {
          segment(); // DNL (ignored by libjpeg), DAC (arithmetic coding only)
        } else if (SOF_NAMES[m]) {
          bad(`${SOF_NAMES[m]} JPEG is not supported`);
        } else {
          bad(`unknown marker 0xFF${m.toString(16).toUpperCase()}`);
        }
    }
  }
  if (!frame) bad("no SOF marker");
  if (scans.length === 0) bad("no image data (no SOS marker)");
  checkScanLengths(frame, scans);
  const exifOrientation = exif ? readExifOrientation(exif) : undefined;
  return { frame, scans, quant, multiScan, jfif, adobeTransform, exifOrientation };
}

function ascii(b: Uint8Array, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

function readFrame(
  b: Uint8Array,
  s: number,
  e: number,
  progressive: boolean,
  limits: DecodeLimits,
): Frame {
  if (e - s < 6) bad("bad SOF length");
  const precision = b[s];
  const height = (b[s + 1] << 8) | b[s + 2], width = (b[s + 3] << 8) | b[s + 4];
  const nc = b[s + 5];
  if (height === 0 || width === 0 || nc === 0) bad(`empty image ${width}×${height}`);
  if (e - s !== 6 + 3 * nc) bad("bad SOF length");
  if (precision !== 8) bad(`${precision}-bit samples are not supported (8-bit only)`);
  if (nc !== 1 && nc !== 3 && nc !== 4) bad(`cannot handle ${nc}-component images`);
  if (width > 65500 || height > 65500) bad(`image ${width}×${height} exceeds 65500 pixels a side`);
  checkPixelLimit("JPEG", width, height, limits);
  const comps = [];
  for (let i = 0; i < nc; i++) {
    const o = s + 6 + 3 * i;
    const h = b[o + 1] >> 4, v = b[o + 1] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) bad(`bad sampling factors ${h}×${v}`);
    comps.push({ id: b[o], h, v, tq: b[o + 2] });
  }
  return makeFrame(width, height, progressive, comps);
}

function readScan(
  b: Uint8Array,
  s: number,
  e: number,
  frame: Frame,
  dcSpecs: (HuffmanSpec | null)[],
  acSpecs: (HuffmanSpec | null)[],
  restartInterval: number,
): Omit<Scan, "start" | "end"> {
  const ns = b[s];
  if (ns < 1 || ns > 4 || e - s !== 4 + 2 * ns) bad("bad SOS length");
  const comps: number[] = [], tsel: number[] = [];
  for (let i = 0; i < ns; i++) {
    const id = b[s + 1 + 2 * i];
    const c = frame.components.findIndex((fc) => fc.id === id);
    if (c < 0 || comps.includes(c)) bad(`bad component id ${id} in SOS`);
    comps.push(c);
    tsel.push(b[s + 2 + 2 * i]);
  }
  const o = s + 1 + 2 * ns;
  const ss = b[o], se = b[o + 1], ah = b[o + 2] >> 4, al = b[o + 2] & 15;
  if (frame.progressive) {
    const dcBand = ss === 0;
    const ok = (dcBand ? se === 0 : ss <= se && se < 64 && ns === 1) &&
      (ah === 0 || al === ah - 1) && al <= 13;
    if (!ok) bad(`bad progression parameters Ss=${ss} Se=${se} Ah=${ah} Al=${al}`);
  }
  if (ns > 1) {
    let blocks = 0;
    for (const c of comps) blocks += frame.components[c].h * frame.components[c].v;
    if (blocks > 10) bad(`${blocks} blocks per MCU (at most 10)`);
  }
  // Which tables this kind of scan reads (progressive DC refinement reads none).
  const needDC = !frame.progressive || (ss === 0 && ah === 0);
  const needAC = !frame.progressive || ss !== 0;
  const table = (specs: (HuffmanSpec | null)[], sel: number, isDC: boolean) => {
    const spec = sel < 4 ? specs[sel] : null;
    if (!spec) bad(`missing Huffman table ${isDC ? "DC" : "AC"} ${sel}`);
    return buildHuffmanTable(spec, isDC);
  };
  const dc = tsel.map((t) => (needDC ? table(dcSpecs, t >> 4, true) : null));
  const ac = tsel.map((t) => (needAC ? table(acSpecs, t & 15, false) : null));
  return { comps, dc, ac, ss, se, ah, al, restartInterval };
}

/** MCUs a scan codes: whole MCUs when interleaved, the component's blocks when not. */
export function mcuCount(frame: Frame, scan: Pick<Scan, "comps">): number {
  if (scan.comps.length > 1) return frame.mcusX * frame.mcusY;
  const c = frame.components[scan.comps[0]];
  return c.widthInBlocks * c.heightInBlocks;
}

/**
 * Rejects scans too short to hold their blocks, before any pixel memory is allocated (a few
 * bytes must not make the decoder allocate and walk a huge declared image): every block of a
 * sequential scan costs at least 2 bits (a DC and an AC code), of a first DC scan at least 1.
 */
function checkScanLengths(frame: Frame, scans: readonly Scan[]): void {
  for (const s of scans) {
    const bitsPerBlock = !frame.progressive ? 2 : s.ss === 0 && s.ah === 0 ? 1 : 0;
    if (!bitsPerBlock) continue;
    let blocks = 1;
    if (s.comps.length > 1) {
      blocks = 0;
      for (const c of s.comps) blocks += frame.components[c].h * frame.components[c].v;
    }
    if ((s.end - s.start) * 8 < mcuCount(frame, s) * blocks * bitsPerBlock) {
      bad("truncated or corrupt scan data (too short for the image size)");
    }
  }
}

/**
 * End of the entropy-coded data starting at `p`: the position of the first marker that is not
 * RSTn (FF 00 is a data byte; fill FFs may precede a marker). When the file ends first, its
 * length (a dangling FF run at the very end is not data).
 */
export function scanEnd(b: Uint8Array, p: number): number {
  const n = b.length;
  while (p < n) {
    const i = b.indexOf(0xff, p);
    if (i < 0) return n;
    let j = i + 1;
    while (j < n && b[j] === 0xff) j++;
    if (j >= n) return i;
    const m = b[j];
    if (m !== 0 && (m < 0xd0 || m > 0xd7)) return i;
    p = j + 1;
  }
  return n;
}
