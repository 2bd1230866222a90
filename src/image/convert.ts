// Pillow 9.4 `Image.convert("RGB")` for every decoded mode, with libImaging/Convert.c's exact
// integer arithmetic. Transparency never enters: Pillow drops alpha (and tRNS) on the way to RGB.

import { EdgeClipError } from "../errors.ts";
import { type DecodedImage, MODE_CHANNELS } from "./types.ts";

/**
 * Converts a decoded image to interleaved 8-bit RGB (HWC, width·height·3 bytes) exactly as Pillow's
 * `convert("RGB")` does:
 * - `RGB`: the pixels themselves (the returned array is `img.data`, not a copy);
 * - `L`: grey copied to R, G, B; `1`: 0 stays 0, anything else becomes 255;
 * - `LA`, `RGBA`: alpha dropped, colour kept as stored (no compositing);
 * - `P`: palette lookup; an index past the palette's end gives grey (i, i, i), alpha ignored;
 * - `I`: values clamped to 0..255;
 * - `CMYK`: Pillow's `cmyk2rgb`, `R = clip8(nk − round(C·nk/255))` with `nk = 255 − K`.
 */
export function toRGB(img: DecodedImage): Uint8Array {
  const { width: w, height: h, mode, data } = img;
  const n = w * h;
  if (data.length !== n * MODE_CHANNELS[mode]) {
    throw new EdgeClipError(
      "invalid_input",
      `toRGB: ${mode} image ${w}×${h} needs ${n * MODE_CHANNELS[mode]} samples, has ${data.length}`,
    );
  }
  if (mode === "RGB") return data as Uint8Array;
  const out = new Uint8Array(n * 3);
  switch (mode) {
    case "L":
      for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i];
      break;
    case "1":
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        out[o] = out[o + 1] = out[o + 2] = data[i] ? 255 : 0;
      }
      break;
    case "LA":
      for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[2 * i];
      break;
    case "RGBA":
      for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
        out[o] = data[s];
        out[o + 1] = data[s + 1];
        out[o + 2] = data[s + 2];
      }
      break;
    case "CMYK":
      for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
        const nk = 255 - data[s + 3];
        out[o] = clip8(nk - mulDiv255(data[s], nk));
        out[o + 1] = clip8(nk - mulDiv255(data[s + 1], nk));
        out[o + 2] = clip8(nk - mulDiv255(data[s + 2], nk));
      }
      break;
    case "P": {
      const lut = paletteLut(img.palette);
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        const k = data[i] * 3;
        out[o] = lut[k];
        out[o + 1] = lut[k + 1];
        out[o + 2] = lut[k + 2];
      }
      break;
    }
    case "I":
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        const v = data[i];
        out[o] = out[o + 1] = out[o + 2] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
      break;
    default:
      throw new EdgeClipError("invalid_input", `toRGB: unknown mode ${String(mode)}`);
  }
  return out;
}

/** Pillow's 256-entry palette: the given RGB entries, then the grey ramp it starts from. */
export function paletteLut(palette: Uint8Array | undefined): Uint8Array {
  const lut = new Uint8Array(768);
  for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = i;
  if (palette) lut.set(palette.subarray(0, Math.min(768, palette.length - (palette.length % 3))));
  return lut;
}

/** libImaging MULDIV255: round(a·b/255) for bytes, via the shift trick. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

function clip8(v: number): number {
  return v <= 0 ? 0 : v < 256 ? v : 255;
}
