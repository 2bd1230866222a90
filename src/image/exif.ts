// EXIF orientation (tag 0x0112 in IFD0) from a TIFF-structured EXIF block, as Pillow's
// `getexif().get(0x0112)` finds it. Minimal on purpose: the decoders only report the value
// (src/image/orient.ts applies it when asked). A damaged block yields no orientation, never an
// error, since the pixels are still good.

/**
 * Reads the orientation (1–8) from EXIF data: a TIFF header ("II*\0" or "MM\0*") and IFD0,
 * optionally preceded by "Exif\0\0" (as in a JPEG APP1 segment). Returns undefined when absent,
 * out of range or unreadable.
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
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return undefined;
  const u16 = (i: number) => (le ? t[i] | (t[i + 1] << 8) : (t[i] << 8) | t[i + 1]);
  const u32 = (i: number) =>
    (le ? (u16(i) | (u16(i + 2) << 16)) : ((u16(i) << 16) | u16(i + 2))) >>> 0;
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > t.length) return undefined;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (e + 12 > t.length) return undefined;
    if (u16(e) !== 0x0112) continue;
    const type = u16(e + 2), count = u32(e + 4);
    if (count < 1) return undefined;
    const v = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : undefined;
    return v !== undefined && v >= 1 && v <= 8 ? v : undefined;
  }
  return undefined;
}
