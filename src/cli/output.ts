// Writing results: JSON lines on stdout, per-file problems on stderr.

import type { EdgeClipError } from "../errors.ts";

const enc = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let o = 0; o < bytes.length;) o += file.writeSync(bytes.subarray(o));
}

/** One JSON line on stdout. */
export function printLine(value: unknown): void {
  writeAll(Deno.stdout, enc.encode(`${JSON.stringify(value)}\n`));
}

/** Plain text on stdout. */
export function printText(text: string): void {
  writeAll(Deno.stdout, enc.encode(`${text}\n`));
}

/** A message on stderr. */
export function printError(text: string): void {
  writeAll(Deno.stderr, enc.encode(`${text}\n`));
}

/** A file that failed while the run goes on. */
export function reportFileError(file: string, e: EdgeClipError): void {
  printError(`error: ${file}: ${e.message} [${e.code}]`);
}
