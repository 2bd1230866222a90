// EXIF orientation (tag 0x0112 in IFD0) from a TIFF-structured EXIF block, as Pillow 9.4's
// `getexif().get(0x0112)` finds it (Image.Exif.load → TiffImagePlugin.ImageFileDirectory_v2.load)
// and as ImageOps.exif_transpose would use it: shared by the JPEG (APP1), PNG (eXIf) and WebP
// (EXIF) decoders. The decoders only report the value (src/image/orient.ts applies it when
// asked). A damaged block yields no orientation, never an error, since the pixels are still good.
// Every read is bounds-checked.

/** TIFF headers Pillow accepts (TiffImagePlugin.PREFIXES): [bytes, little-endian, BigTIFF]. */
const PREFIXES: readonly [readonly number[], boolean, boolean][] = [
  [[0x4d, 0x4d, 0x00, 0x2a], false, false],
  [[0x49, 0x49, 0x2a, 0x00], true, false],
  [[0x4d, 0x4d, 0x2a, 0x00], false, false], // invalid, Pillow assumes big-endian
  [[0x49, 0x49, 0x00, 0x2a], true, false], // invalid, Pillow assumes little-endian
  [[0x4d, 0x4d, 0x00, 0x2b], false, true],
  [[0x49, 0x49, 0x2b, 0x00], true, true],
];

/** Bytes per value of the field types Pillow loads (others are skipped). */
const UNIT: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
};

/**
 * Reads the orientation (1–8) from EXIF data: a TIFF header and IFD0, optionally preceded by
 * "Exif\0\0" (as in a JPEG APP1 segment). Like Pillow: the last 0x0112 entry wins; values of more
 * than 4 (BigTIFF: 8) bytes are read at their offset, and one that runs past the end stops the
 * directory (earlier entries still count); of several values the first is used; numeric types
 * count when the value is an integer (byte strings and text do not). Returns undefined when
 * absent, out of range or unreadable.
 */
export function readExifOrientation(tiff: Uint8Array): number | undefined {
  let t = tiff;
  if (
    t.length >= 6 && t[0] === 0x45 && t[1] === 0x78 && t[2] === 0x69 && t[3] === 0x66 &&
    t[4] === 0 && t[5] === 0
  ) {
    t = t.subarray(6);
  }
  if (t.length < 8) return undefined;
  const prefix = PREFIXES.find(([p]) => p.every((v, i) => t[i] === v));
  if (!prefix) return undefined;
  const [, le, big] = prefix;
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const inside = (at: number, n: number) => at >= 0 && at + n <= t.length;
  const u16 = (i: number) => dv.getUint16(i, le);
  const u32 = (i: number) => dv.getUint32(i, le);
  const u64 = (i: number) => Number(dv.getBigUint64(i, le)); // only compared against lengths
  const ifd = big ? (inside(8, 8) ? u64(8) : -1) : u32(4);
  const countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12, inline = big ? 8 : 4;
  if (!inside(ifd, countBytes)) return undefined;
  const n = big ? u64(ifd) : u16(ifd);
  let found: number | undefined;
  for (let k = 0; k < n; k++) {
    const e = ifd + countBytes + entryBytes * k;
    if (!inside(e, entryBytes)) break; // Pillow keeps the entries read before the end
    const type = u16(e + 2), unit = UNIT[type];
    if (!unit) continue; // unsupported type: skipped
    const count = big ? u64(e + 4) : u32(e + 4), size = unit * count;
    let at = e + (big ? 12 : 8);
    if (size > inline) {
      at = big ? u64(at) : u32(at);
      if (!inside(at, size)) break; // a truncated read ends the directory
    }
    if (size === 0 || u16(e) !== 0x0112) continue;
    found = numberAt(dv, type, at, le);
  }
  return found !== undefined && Number.isInteger(found) && found >= 1 && found <= 8
    ? found
    : undefined;
}

/** The first value of a field as a number, or undefined for byte strings and text. */
function numberAt(dv: DataView, type: number, at: number, le: boolean): number | undefined {
  switch (type) {
    case 3:
      return dv.getUint16(at, le);
    case 4:
    case 13:
      return dv.getUint32(at, le);
    case 6:
      return dv.getInt8(at);
    case 8:
      return dv.getInt16(at, le);
    case 9:
      return dv.getInt32(at, le);
    case 16:
      return Number(dv.getBigUint64(at, le));
    case 5:
    case 10: {
      const get = type === 5 ? dv.getUint32.bind(dv) : dv.getInt32.bind(dv);
      const num = get(at, le), den = get(at + 4, le);
      return den === 0 ? undefined : num / den;
    }
    case 11:
      return dv.getFloat32(at, le);
    case 12:
      return dv.getFloat64(at, le);
    default:
      return undefined; // BYTE, ASCII, UNDEFINED come back as bytes/str: no orientation
  }
}
