// Helpers shared by the WebP tests: gunzip, the fixture manifest, pixel comparison.

export { gunzipFile } from "../../_util/files.ts";

export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** A case of fixtures/manifest.json: Pillow's decode, or (`error`) Pillow's refusal. */
export interface FixtureCase {
  file: string;
  note: string;
  mode?: "RGB" | "RGBA";
  width?: number;
  height?: number;
  exif_orientation?: number | null;
  animated?: boolean;
  expected?: string;
  error?: string;
}

export function fixtureCases(): FixtureCase[] {
  return JSON.parse(Deno.readTextFileSync(`${FIXTURES}manifest.json`)).cases;
}

export function readFixture(name: string): Uint8Array {
  return Deno.readFileSync(`${FIXTURES}${name}`);
}

/** Number of differing values and the first differing index (-1 when equal). */
export function countDiffs(got: ArrayLike<number>, want: ArrayLike<number>): {
  n: number;
  first: number;
} {
  if (got.length !== want.length) throw new Error(`${got.length} values, want ${want.length}`);
  let n = 0, first = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      if (first < 0) first = i;
      n++;
    }
  }
  return { n, first };
}
