// Centre crop with zero padding, in the image's native mode, with the offsets of each reference:
// - OpenAI (torchvision 0.14 `CenterCrop` on a PIL image): an axis shorter than the crop is padded
//   with zeros, floor((crop − size)/2) before; a longer one is cropped at Python
//   `int(round((size − crop)/2))`, which rounds half to even (1.5 → 2, 2.5 → 2).
// - Hugging Face (`image_transforms.center_crop`): crop at floor((size − crop)/2); padding puts the
//   image at ceil((crop − size)/2).
// Zero padding means sample value 0 in the native mode (palette index 0 for `P`, which torchvision's
// `ImageOps.expand(fill=0)` also writes).

import { EdgeClipError } from "../errors.ts";
import { type DecodedImage, MODE_CHANNELS } from "./types.ts";

/** Which reference's centre-crop arithmetic to follow. */
export type CropRounding = "openai" | "hf";

/** Python's round() of n/2 for an integer n: halves go to the even neighbour. */
function roundHalfEvenHalf(n: number): number {
  const q = Math.floor(n / 2);
  if (n % 2 === 0) return q;
  return q % 2 === 0 ? q : q + 1;
}

/**
 * Source coordinate of the crop's first pixel along one axis. Negative means the crop starts
 * `-offset` pixels of zero padding before the image.
 */
export function cropOffset(size: number, crop: number, rounding: CropRounding): number {
  const d = size - crop;
  if (d >= 0) return rounding === "openai" ? roundHalfEvenHalf(d) : Math.floor(d / 2);
  return 0 - (rounding === "openai" ? Math.floor(-d / 2) : Math.ceil(-d / 2)); // 0 − x: never −0
}

/**
 * The cw×ch window of `img` whose top-left source pixel is (left, top); pixels outside the image are
 * 0. Keeps the mode, palette and format.
 */
export function cropImage(
  img: DecodedImage,
  left: number,
  top: number,
  cw: number,
  ch: number,
): DecodedImage {
  if (!Number.isInteger(cw) || !Number.isInteger(ch) || cw < 1 || ch < 1) {
    throw new EdgeClipError("invalid_input", `crop size ${cw}×${ch} must be positive integers`);
  }
  if (left === 0 && top === 0 && cw === img.width && ch === img.height) return img;
  const c = MODE_CHANNELS[img.mode];
  const src = img.data;
  const out = src instanceof Int32Array ? new Int32Array(cw * ch * c) : new Uint8Array(cw * ch * c);
  // Overlap of the window with the image, in window coordinates.
  const x0 = Math.max(0, -left), x1 = Math.min(cw, img.width - left);
  const y0 = Math.max(0, -top), y1 = Math.min(ch, img.height - top);
  if (x1 > x0) {
    for (let y = y0; y < y1; y++) {
      const s = ((top + y) * img.width + left + x0) * c;
      out.set(src.subarray(s, s + (x1 - x0) * c), (y * cw + x0) * c);
    }
  }
  return { ...img, width: cw, height: ch, data: out };
}

/** Centre crop (with zero padding where the image is smaller) to cw×ch. */
export function centerCrop(
  img: DecodedImage,
  cw: number,
  ch: number,
  rounding: CropRounding,
): DecodedImage {
  const left = cropOffset(img.width, cw, rounding);
  const top = cropOffset(img.height, ch, rounding);
  return cropImage(img, left, top, cw, ch);
}
