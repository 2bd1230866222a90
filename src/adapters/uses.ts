// Who uses which adapters and fusions: the active setup, the fusions over an adapter, and every
// call in flight or pending operation (each holds a Use for its whole duration, across awaits).
// Deleting asks here why it must refuse.

import type { LoadedFusion } from "./adapter.ts";
import { type Block, Fuse, isBlock } from "./composition.ts";

/** The adapters and fusions one call or operation uses. */
export interface Use {
  /** For messages: "a call still running", "a merge in progress". */
  readonly what: string;
  readonly adapters: ReadonlySet<string>;
  /** Fusion names (what a Fuse block looks its fusion up by). */
  readonly fusions: ReadonlySet<string>;
}

/**
 * The names a setup uses. Tolerant: a setup is recorded before it is checked (a call waits for
 * loads queued before it), so anything that is not a name or a block adds nothing.
 */
export function usesOf(setup: unknown, what: string): Use {
  const adapters = new Set<string>(), fusions = new Set<string>();
  const walk = (s: unknown) => {
    if (typeof s === "string") adapters.add(s);
    else if (isBlock(s)) {
      if (s instanceof Fuse) fusions.add(s.name);
      s.children.forEach(walk);
    } else if (Array.isArray(s)) s.forEach(walk); // a list of names (loadFusion, merge)
  };
  walk(setup);
  return { what, adapters, fusions };
}

/** Why adapter or fusion `name` cannot be deleted now, or undefined when nothing uses it. */
export function whyInUse(
  name: string,
  kind: "adapter" | "fusion",
  by: { active: Block | null; fusions: Iterable<LoadedFusion>; uses: Iterable<Use> },
): string | undefined {
  const holds = (u: Use) => (kind === "adapter" ? u.adapters : u.fusions).has(name);
  if (by.active && holds(usesOf(by.active, ""))) {
    return "the active setup uses it (setActiveAdapters(null) or another setup first)";
  }
  for (const f of by.fusions) {
    if (f.adapterNames.includes(name)) {
      return `the fusion ${f.name} is loaded over it (deleteFusion(${
        JSON.stringify(f.adapterNames)
      }) first)`;
    }
  }
  for (const u of by.uses) if (holds(u)) return `${u.what} uses it`;
  return undefined;
}
