// Command-line inputs: image files and directories (searched recursively, sorted), and a
// progress line on stderr for long runs.

import { EdgeClipError } from "../errors.ts";

/** Extensions treated as images when a directory is expanded. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"];

function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** The image files under `dir`, recursively, sorted; hidden entries and symlinked dirs skipped. */
export async function imagesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(d)) if (!e.name.startsWith(".")) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = `${d.replace(/\/+$/, "")}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if ((e.isFile || e.isSymlink) && isImageName(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** A path argument: a directory expands to its images, anything else is one image file. */
export async function expandPath(path: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new EdgeClipError(
      "source_unavailable",
      `cannot read ${path}: ${
        e instanceof Deno.errors.NotFound ? "no such file or directory" : (e as Error).message
      }`,
    );
  }
  if (!info.isDirectory) return [path];
  const files = await imagesUnder(path);
  if (files.length === 0) {
    throw new EdgeClipError(
      "source_unavailable",
      `${path} holds no image files (${IMAGE_EXTENSIONS.join(" ")})`,
    );
  }
  return files;
}

/** Progress on stderr for runs over `threshold` items: in place on a terminal, else every 10%. */
export class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #enc = new TextEncoder();
  #lastTenth = 0;

  constructor(
    readonly total: number,
    readonly label: string,
    readonly quiet = false,
    readonly threshold = 8,
  ) {}

  get #on(): boolean {
    return !this.quiet && this.total >= this.threshold;
  }

  tick(done: number): void {
    if (!this.#on) return;
    const line = `${this.label}: ${done}/${this.total}`;
    if (this.#tty) {
      Deno.stderr.writeSync(this.#enc.encode(`\r${line}${done === this.total ? "\n" : ""}`));
      return;
    }
    const tenth = Math.floor((done * 10) / this.total);
    if (tenth > this.#lastTenth || done === this.total) {
      this.#lastTenth = tenth;
      Deno.stderr.writeSync(this.#enc.encode(`${line}\n`));
    }
  }
}

/** Errors that concern one input file: reported, and the run goes on with the next file. */
export function isPerFileError(e: unknown): e is EdgeClipError {
  return e instanceof EdgeClipError &&
    ["image_decode", "input_too_large", "source_unavailable"].includes(e.code);
}
