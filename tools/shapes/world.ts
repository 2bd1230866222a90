// The shapes world of issue 11, drawn a second, independent way (no Python): own rasterizer
// (supersampled point-in-shape tests), own proportions, JPEG from a float-DCT encoder with
// per-image Huffman tables instead of libjpeg. Evaluation and tests use it to see how the model
// does on images it was not trained on the generator of.

import { Prng } from "../../tests/_util/prng.ts";
import { encodeJpeg, encodePng } from "../../bench/_encoders.ts";

export const SIZE = 224;
export const COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  green: [30, 170, 60],
  blue: [30, 60, 220],
  yellow: [240, 210, 30],
  purple: [140, 50, 180],
  orange: [250, 140, 20],
  black: [20, 20, 20],
  white: [245, 245, 245],
};
export const BASE_SHAPES = ["circle", "square", "triangle", "star", "cross"] as const;
export const HEXAGON = "hexagon";
export const ALL_SHAPES = [...BASE_SHAPES, HEXAGON] as const;
export const MIN_BG_DISTANCE = 160;

/** "red circle", … colour-major. */
export function labels(shapes: readonly string[] = BASE_SHAPES): string[] {
  return Object.keys(COLOURS).flatMap((c) => shapes.map((s) => `${c} ${s}`));
}

export interface Scene {
  colour: string;
  shape: string;
  /** The shape's diameter as a fraction of the image side. */
  frac: number;
  background: [number, number, number];
  /** σ of the Gaussian noise on every pixel (0: plain). */
  noise: number;
  /** Row-major RGB, SIZE×SIZE. */
  rgb: Uint8Array;
  format: "png" | "jpeg";
  quality: number;
}

type Pt = [number, number];

function regular(n: number, r: number, phase: number): Pt[] {
  return Array.from({ length: n }, (_, k) => {
    const a = phase + (2 * Math.PI * k) / n;
    return [r * Math.cos(a), r * Math.sin(a)];
  });
}

/** Outline of a shape of diameter d centred at 0, unrotated (null: circle). */
function outline(shape: string, d: number): Pt[] | null {
  switch (shape) {
    case "circle":
      return null;
    case "square": // "diameter" read as the side
      return [[-d / 2, -d / 2], [d / 2, -d / 2], [d / 2, d / 2], [-d / 2, d / 2]];
    case "triangle": // equilateral in the circle of diameter d
      return regular(3, d / 2, -Math.PI / 2);
    case "star": // 5 points, inner radius half the outer
      return Array.from({ length: 10 }, (_, k) => {
        const r = k % 2 ? d / 4 : d / 2, a = -Math.PI / 2 + (Math.PI * k) / 5;
        return [r * Math.cos(a), r * Math.sin(a)] as Pt;
      });
    case "cross": { // plus sign: arms d long end to end, 0.3·d thick
      const h = d / 2, t = 0.15 * d;
      return [
        [-t, -h],
        [t, -h],
        [t, -t],
        [h, -t],
        [h, t],
        [t, t],
        [t, h],
        [-t, h],
        [-t, t],
        [
          -h,
          t,
        ],
        [-h, -t],
        [-t, -t],
      ];
    }
    case HEXAGON:
      return regular(6, d / 2, 0);
  }
  throw new Error(`unknown shape ${shape}`);
}

/** Even-odd point-in-polygon test. */
function inside(pts: Pt[], x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i], [xj, yj] = pts[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

function background(rng: Prng, fg: readonly number[]): [number, number, number] {
  for (;;) {
    const bg: [number, number, number] = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    if (Math.hypot(bg[0] - fg[0], bg[1] - fg[1], bg[2] - fg[2]) > MIN_BG_DISTANCE) return bg;
  }
}

/** One random scene, rendered. */
export function makeScene(rng: Prng, shapes: readonly string[] = BASE_SHAPES): Scene {
  const colour = rng.pick(Object.keys(COLOURS)), shape = rng.pick(shapes);
  const fg = COLOURS[colour];
  let frac: number, pts: Pt[] | null, minX: number, maxX: number, minY: number, maxY: number;
  for (;;) {
    frac = rng.uniform(0.25, 0.7);
    const d = frac * SIZE, a = rng.uniform(0, 2 * Math.PI);
    const base = outline(shape, d);
    pts = base &&
      base.map(([x, y]) => [x * Math.cos(a) - y * Math.sin(a), x * Math.sin(a) + y * Math.cos(a)]);
    const xs = pts ? pts.map((p) => p[0]) : [-d / 2, d / 2];
    const ys = pts ? pts.map((p) => p[1]) : [-d / 2, d / 2];
    [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    if (maxX - minX < SIZE - 2 && maxY - minY < SIZE - 2) break;
  }
  const cx = rng.uniform(1 - minX, SIZE - 1 - maxX), cy = rng.uniform(1 - minY, SIZE - 1 - maxY);
  const r2 = (frac * SIZE / 2) ** 2;
  const poly = pts?.map(([x, y]) => [x + cx, y + cy] as Pt);
  const hit = poly
    ? (x: number, y: number) => inside(poly, x, y)
    : (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r2;
  const ss = rng.next() < 0.5 ? 4 : 1; // anti-aliased or not
  const bg = background(rng, fg);
  const sigma = rng.next() < 0.5 ? 0 : rng.uniform(0, 12);
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let cov = 0;
      const near = x + 1 >= cx + minX && x <= cx + maxX && y + 1 >= cy + minY && y <= cy + maxY;
      if (near) {
        for (let sy = 0; sy < ss; sy++) {
          for (let sx = 0; sx < ss; sx++) cov += +hit(x + (sx + 0.5) / ss, y + (sy + 0.5) / ss);
        }
        cov /= ss * ss;
      }
      for (let c = 0; c < 3; c++) {
        const v = bg[c] + (fg[c] - bg[c]) * cov + (sigma ? sigma * rng.normal() : 0);
        rgb[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  const format = rng.next() < 0.5 ? "png" : "jpeg";
  return {
    colour,
    shape,
    frac,
    background: bg,
    noise: sigma,
    rgb,
    format,
    quality: rng.int(80, 95),
  };
}

/** The scene as a PNG or JPEG file. */
export async function encodeScene(s: Scene): Promise<Uint8Array> {
  return s.format === "png"
    ? await encodePng(s.rgb, SIZE, SIZE)
    : encodeJpeg(s.rgb, SIZE, SIZE, s.quality);
}

/** n scenes from one seed. */
export function scenes(seed: number, n: number, shapes: readonly string[] = BASE_SHAPES): Scene[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, () => makeScene(rng, shapes));
}
