// Where the golden fixtures live: $CLIP_GOLDEN_DIR, default ../shared/golden (relative to the
// repository root), so any fixture folder of the same schema runs with no code change. Users get
// the repository alone: without the default folder the suites that need it are skipped (and
// tests/shared_fixtures_test.ts says which, once); a CLIP_GOLDEN_DIR that does not exist fails.

import { exists } from "./files.ts";

const ROOT = new URL("../../", import.meta.url);

/** The variable that points at a fixture folder. */
export const GOLDEN_ENV = "CLIP_GOLDEN_DIR";

/** True when $CLIP_GOLDEN_DIR is set: its fixtures are then required, never skipped. */
export function goldenRequired(): boolean {
  return (Deno.env.get(GOLDEN_ENV) ?? "").length > 0;
}

/** Absolute path of the golden fixture folder (which may not exist). */
export function goldenDir(): string {
  const env = Deno.env.get(GOLDEN_ENV);
  const dir = env && env.length > 0 ? env : "../shared/golden";
  const url = dir.startsWith("/")
    ? new URL(`file://${dir}/`)
    : new URL(dir.replace(/\/?$/, "/"), ROOT);
  return decodeURIComponent(url.pathname).replace(/\/$/, "");
}

/** True when the golden folder exists; throws when $CLIP_GOLDEN_DIR names a missing folder. */
export function goldenPresent(): boolean {
  const dir = goldenDir();
  if (exists(dir)) return true;
  if (goldenRequired()) {
    // a typo must fail the run, not turn the conformance suites into "ignored"
    throw new Error(`${GOLDEN_ENV}=${Deno.env.get(GOLDEN_ENV)} does not exist (resolved: ${dir})`);
  }
  return false;
}

/**
 * Path inside the golden folder, or null when that part of the fixtures is absent (a fixture
 * folder of the same schema may hold only some parts). Throws when $CLIP_GOLDEN_DIR is set but
 * does not exist.
 */
export function goldenPath(...parts: string[]): string | null {
  if (!goldenPresent()) return null;
  const p = [goldenDir(), ...parts].join("/");
  return exists(p) ? p : null;
}
