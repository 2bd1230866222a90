// Image signatures: which format a file's first bytes announce. Kept apart from the decoders so
// that telling formats apart loads none of them (decode.ts imports only the one a file needs).

import type { DecodedImage } from "./types.ts";

/** The container formats `decodeImage` recognises. */
export type ImageFormat = DecodedImage["format"];

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Whether `b` holds `sig` at `at`. */
export function startsWith(b: Uint8Array, sig: ArrayLike<number>, at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

/** The byte values of an ASCII string. */
export const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** "GIF87a" or "GIF89a". */
export function isGif(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 &&
    (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61;
}

/** "BM". */
export function isBmp(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

/** The format the signature announces, or null. */
export function sniffFormat(b: Uint8Array): Exclude<ImageFormat, "RAW"> | null {
  if (startsWith(b, PNG_SIGNATURE)) return "PNG";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "JPEG";
  if (isGif(b)) return "GIF";
  if (startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)) return "WEBP";
  if (isBmp(b)) return "BMP";
  return null;
}
