// Helpers shared by the JPEG tests: gunzip, pixel difference statistics, fixture manifest.

export { gunzipFile } from "../../_util/files.ts";
import { concatBytes } from "../../../src/io/bytes.ts";

/** Max and mean |Δ| and the share of differing values. */
export interface PixelDiff {
  max: number;
  mean: number;
  fracDiffering: number;
}

export function pixelDiff(got: ArrayLike<number>, want: ArrayLike<number>): PixelDiff {
  if (got.length !== want.length) throw new Error(`${got.length} values, want ${want.length}`);
  let max = 0, sum = 0, n = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (d > max) max = d;
    sum += d;
    if (d) n++;
  }
  return { max, mean: sum / got.length, fracDiffering: n / got.length };
}

export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

export interface FixtureCase {
  file: string;
  mode: "L" | "RGB" | "CMYK";
  width: number;
  height: number;
  exif_orientation: number | null;
  note: string;
  expected?: string;
  expected_sha256?: string;
}

/** The cases of fixtures/manifest.json. */
export function fixtureCases(): FixtureCase[] {
  return JSON.parse(Deno.readTextFileSync(`${FIXTURES}manifest.json`)).cases;
}

export function readFixture(name: string): Uint8Array {
  return Deno.readFileSync(`${FIXTURES}${name}`);
}

export async function sha256Hex(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));
  return Array.from(d, (v) => v.toString(16).padStart(2, "0")).join("");
}

/** A marker segment of a JPEG header: bytes [start, end) including the FF xx marker. */
export interface Segment {
  marker: number;
  start: number;
  end: number;
}

/** The marker segments before the first scan's data (SOS included). */
export function headerSegments(b: Uint8Array): Segment[] {
  const out: Segment[] = [];
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const marker = b[p + 1], end = p + 2 + ((b[p + 2] << 8) | b[p + 3]);
    out.push({ marker, start: p, end });
    if (marker === 0xda) break;
    p = end;
  }
  return out;
}

/** The file without its header segments of the given marker. */
export function withoutSegments(b: Uint8Array, marker: number): Uint8Array {
  const drop = headerSegments(b).filter((s) => s.marker === marker);
  const parts: Uint8Array[] = [];
  let p = 0;
  for (const s of drop) {
    parts.push(b.subarray(p, s.start));
    p = s.end;
  }
  parts.push(b.subarray(p));
  return concat(parts);
}

/** The parts one after another. */
export const concat = concatBytes;

/** Offset of the SOF payload (precision byte) of a file. */
export function sofPayload(b: Uint8Array): number {
  const s = headerSegments(b).find((x) => x.marker >= 0xc0 && x.marker <= 0xc2);
  if (!s) throw new Error("no SOF");
  return s.start + 4;
}
