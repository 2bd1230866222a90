// Frame geometry (jdinput.c initial_setup) and the upsampling method libjpeg-turbo 2.1 picks per
// component (jdsample.c jinit_upsampler), at full scale.

import { EdgeClipError } from "../../errors.ts";

/** How a component is brought to full resolution (libjpeg-turbo's per-component method). */
export type UpsampleMethod =
  | "full" // same resolution as the image
  | "h2v1_fancy" // triangle filter, 2:1 horizontal
  | "h2v2_fancy" // triangle filter, 2:1 both ways (needs the rows above and below)
  | "h1v2_fancy" // triangle filter, 2:1 vertical (needs the rows above and below)
  | "box"; // replication by integer factors (int_upsample, h2v1/h2v2 box for narrow rows)

export interface FrameComponent {
  readonly id: number;
  /** Position in the frame header. */
  readonly index: number;
  readonly h: number;
  readonly v: number;
  /** Quantisation table slot. */
  readonly tq: number;
  /** Blocks that hold image samples. */
  readonly widthInBlocks: number;
  readonly heightInBlocks: number;
  /** Blocks stored per row/column: whole MCUs (interleaved scans also code the padding). */
  readonly blocksW: number;
  readonly blocksH: number;
  /** Samples that belong to the image: ceil(W·h / maxH) × ceil(H·v / maxV). */
  readonly dw: number;
  readonly dh: number;
  readonly upsample: UpsampleMethod;
  /** Replication factors of the `box` method. */
  readonly hExpand: number;
  readonly vExpand: number;
}

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly components: readonly FrameComponent[];
  readonly maxH: number;
  readonly maxV: number;
  /** MCUs of an interleaved scan per row and column (= iMCU rows of the image). */
  readonly mcusX: number;
  readonly mcusY: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Derives every component's geometry and upsampling method from the frame header. */
export function makeFrame(
  width: number,
  height: number,
  progressive: boolean,
  comps: readonly { id: number; h: number; v: number; tq: number }[],
): Frame {
  let maxH = 1, maxV = 1;
  for (const c of comps) {
    maxH = Math.max(maxH, c.h);
    maxV = Math.max(maxV, c.v);
  }
  const mcusX = ceilDiv(width, 8 * maxH), mcusY = ceilDiv(height, 8 * maxV);
  const components = comps.map((c, index): FrameComponent => {
    const dw = ceilDiv(width * c.h, maxH), dh = ceilDiv(height * c.v, maxV);
    const { method, hExpand, vExpand } = pickUpsample(c.h, c.v, maxH, maxV, dw);
    return {
      ...c,
      index,
      widthInBlocks: ceilDiv(width * c.h, 8 * maxH),
      heightInBlocks: ceilDiv(height * c.v, 8 * maxV),
      blocksW: mcusX * c.h,
      blocksH: mcusY * c.v,
      dw,
      dh,
      upsample: method,
      hExpand,
      vExpand,
    };
  });
  return { width, height, progressive, components, maxH, maxV, mcusX, mcusY };
}

function pickUpsample(h: number, v: number, maxH: number, maxV: number, dw: number) {
  const box = { hExpand: maxH / h, vExpand: maxV / v };
  const fancy = (method: UpsampleMethod) => ({ method, hExpand: 1, vExpand: 1 });
  if (h === maxH && v === maxV) return fancy("full");
  // Triangle filters need more than two samples per row (the narrow case falls back to boxes).
  if (h * 2 === maxH && v === maxV) {
    return dw > 2 ? fancy("h2v1_fancy") : { method: "box" as const, ...box };
  }
  if (h === maxH && v * 2 === maxV) return fancy("h1v2_fancy");
  if (h * 2 === maxH && v * 2 === maxV) {
    return dw > 2 ? fancy("h2v2_fancy") : { method: "box" as const, ...box };
  }
  if (maxH % h === 0 && maxV % v === 0) return { method: "box" as const, ...box };
  throw new EdgeClipError(
    "image_decode",
    `JPEG: fractional sampling ratio ${maxH}:${h} × ${maxV}:${v} is not supported`,
  );
}

/** Colour transform of the components, guessed as libjpeg-turbo does (jdapimin.c). */
export type ColorTransform = "grey" | "ycc" | "rgb" | "cmyk" | "ycck";

/**
 * libjpeg-turbo's default_decompress_parms: 3 components are YCbCr unless an Adobe segment says
 * transform 0 (with no JFIF segment) or the component ids spell "RGB"; 4 components are YCCK
 * only with an Adobe segment whose transform is not 0.
 */
export function colorTransform(
  frame: Frame,
  jfif: boolean,
  adobeTransform: number | null,
): ColorTransform {
  const n = frame.components.length;
  if (n === 1) return "grey";
  if (n === 3) {
    if (jfif) return "ycc";
    if (adobeTransform !== null) return adobeTransform === 0 ? "rgb" : "ycc";
    const [a, b, c] = frame.components.map((x) => x.id);
    return a === 82 && b === 71 && c === 66 ? "rgb" : "ycc";
  }
  return adobeTransform !== null && adobeTransform !== 0 ? "ycck" : "cmyk";
}

/**
 * The component rows output row `y` is made from: `near` (and, for the vertical triangle
 * filters, `far`: the row above for the upper and below for the lower of each pair, repeated
 * at the image edges as libjpeg's context rows do) and that filter's rounding `bias`.
 */
export function sourceRows(
  c: FrameComponent,
  y: number,
): { near: number; far: number; bias: 1 | 2 } {
  if (c.upsample === "h2v2_fancy" || c.upsample === "h1v2_fancy") {
    const near = y >> 1;
    const upper = (y & 1) === 0;
    const far = Math.min(Math.max(upper ? near - 1 : near + 1, 0), c.dh - 1);
    return { near, far, bias: upper ? 1 : 2 };
  }
  const near = c.upsample === "box" ? Math.floor(y / c.vExpand) : y;
  return { near, far: near, bias: 1 };
}
