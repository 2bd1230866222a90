// Typed readers of adapter_config.json fields: each names the field and what it found when the
// value has the wrong type, as adapter_format errors. Unknown fields are errors too: a runtime
// cannot guess what an unknown switch would have changed.

import { EdgeClipError } from "../errors.ts";

export type Dict = Record<string, unknown>;

/** A malformed config: adapter_format, with the field in the context. */
export function bad(msg: string, ctx: Record<string, unknown> = {}): never {
  throw new EdgeClipError("adapter_format", `adapter config: ${msg}`, ctx);
}
/** A well-formed config asking for what the library (or this runtime) cannot run on CLIP. */
export function unsupported(msg: string, ctx: Record<string, unknown> = {}): never {
  throw new EdgeClipError("adapter_unsupported", msg, ctx);
}

/** A JSON object (not null, not an array). */
export const isDict = (v: unknown): v is Dict => !!v && typeof v === "object" && !Array.isArray(v);

/** A required boolean (JSON true/false only: no 0/1 or strings). */
export function bool(d: Dict, k: string): boolean {
  const v = d[k];
  if (typeof v !== "boolean") {
    bad(`${k} must be true or false, found ${JSON.stringify(v)}`, { key: k });
  }
  return v;
}
/** A finite number, optionally an integer and at least `min`. */
export function num(d: Dict, k: string, o: { int?: boolean; min?: number } = {}): number {
  const v = d[k];
  if (
    typeof v !== "number" || !Number.isFinite(v) || (o.int && !Number.isInteger(v)) ||
    (o.min !== undefined && v < o.min)
  ) {
    bad(
      `${k} must be ${o.int ? "an integer" : "a number"}${
        o.min !== undefined ? ` ≥ ${o.min}` : ""
      }, found ${JSON.stringify(v)}`,
      { key: k },
    );
  }
  return v;
}
/** A number, or null when absent or null. */
export function optNum(d: Dict, k: string): number | null {
  return d[k] === null || d[k] === undefined ? null : num(d, k);
}
/** A required string. */
export function str(d: Dict, k: string): string {
  const v = d[k];
  if (typeof v !== "string") bad(`${k} must be a string, found ${JSON.stringify(v)}`, { key: k });
  return v;
}
/** A string, or null when absent or null. */
export function optStr(d: Dict, k: string): string | null {
  return d[k] === null || d[k] === undefined ? null : str(d, k);
}
/** A list of global layer ids (non-negative integers); absent = []. */
export function intList(d: Dict, k: string): number[] {
  const v = d[k] ?? [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0)) {
    bad(`${k} must be a list of layer ids, found ${JSON.stringify(v)}`, { key: k });
  }
  return [...v];
}

/** Every field of `d` must be one of `known`; `what` names the config class in the message. */
export function checkFields(d: Dict, known: Iterable<string>, what: string): void {
  const set = new Set(known);
  for (const k of Object.keys(d)) {
    if (!set.has(k)) {
      bad(
        `unknown field ${
          JSON.stringify(k)
        } in a ${what} config; this runtime cannot tell what it changes`,
        {
          key: k,
        },
      );
    }
  }
}
