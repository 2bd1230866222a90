// Small file helpers for tests: JSON, gunzip, and the image-index entry type.

/** True when `path` exists (file or folder). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
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
