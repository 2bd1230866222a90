// Shared by the server tests: the golden tiny model, golden PNGs as data URLs, request builders.

import { type Clip, loadClip } from "../../mod.ts";
import { goldenPath } from "../_util/golden.ts";

/** Golden model folder, or null when the fixtures have no model (tests then show as ignored). */
export const MODEL_DIR = goldenPath("clip", "model");

let cached: Promise<Clip> | undefined;

/** The golden tiny model, loaded once per test file. */
export function goldenClip(): Promise<Clip> {
  if (!MODEL_DIR) throw new Error("no golden model: set CLIP_GOLDEN_DIR");
  return (cached ??= loadClip(MODEL_DIR));
}

/** Sorted golden PNG paths. */
export function goldenPngs(): string[] {
  const dir = goldenPath("images");
  if (!dir) return [];
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".png"))
    .map((e) => `${dir}/${e.name}`)
    .sort();
}

/** A file as a base64 data URL. */
export function dataUrl(path: string, type = "image/png"): string {
  return `data:${type};base64,${Deno.readFileSync(path).toBase64()}`;
}

/** A JSON POST request to the handler. */
export function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Status and parsed JSON body of a response. */
// deno-lint-ignore no-explicit-any
export async function answer(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The model with text calls that yield for `ms` first (so concurrent requests queue up). */
export function slowClip(
  clip: Clip,
  ms: number,
  watch: { running: number; maxRunning: number } = { running: 0, maxRunning: 0 },
) {
  return {
    config: clip.config,
    tokenize: clip.tokenize.bind(clip),
    embedImage: clip.embedImage.bind(clip),
    classify: clip.classify.bind(clip),
    embedText: async (t: string | readonly string[]) => {
      watch.maxRunning = Math.max(watch.maxRunning, ++watch.running);
      await new Promise((r) => setTimeout(r, ms));
      watch.running--;
      return clip.embedText(t);
    },
  };
}
