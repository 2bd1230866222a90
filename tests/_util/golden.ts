// Where the golden fixtures live: $CLIP_GOLDEN_DIR, default ../shared/golden (relative to the
// repository root), so any fixture folder of the same schema runs with no code change.

const ROOT = new URL("../../", import.meta.url);

/** Absolute path of the golden fixture folder. */
export function goldenDir(): string {
  const env = Deno.env.get("CLIP_GOLDEN_DIR");
  const dir = env && env.length > 0 ? env : "../shared/golden";
  const url = dir.startsWith("/")
    ? new URL(`file://${dir}/`)
    : new URL(dir.replace(/\/?$/, "/"), ROOT);
  return decodeURIComponent(url.pathname).replace(/\/$/, "");
}

/** Path inside the golden folder, or null when that part of the fixtures is absent. */
export function goldenPath(...parts: string[]): string | null {
  const p = [goldenDir(), ...parts].join("/");
  try {
    Deno.statSync(p);
    return p;
  } catch {
    return null;
  }
}

/** Reads and parses a JSON file. */
export function readJson<T = unknown>(path: string): T {
  return JSON.parse(Deno.readTextFileSync(path)) as T;
}

/** Gunzips a file (the golden `*.decoded.rgb.gz` and fixture pixel files). */
export async function gunzipFile(path: string): Promise<Uint8Array> {
  const s = new Blob([Deno.readFileSync(path)]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** An entry of images/index.json (the fields the decoder tests read). */
export interface ImageIndexEntry {
  id: string;
  file: string;
  format: string;
  mode: string;
  width: number;
  height: number;
  exif_orientation?: number | null;
  decoded_rgb?: { file: string; shape: [number, number, number] };
}
