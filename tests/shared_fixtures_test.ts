// The shared fixtures (../shared/golden, or $CLIP_GOLDEN_DIR) are the project's workbench, not part
// of the repository: on a clone with nothing beside it, the suites that need them are skipped and
// this test says so once, naming them. A $CLIP_GOLDEN_DIR that does not exist fails here (and in
// every suite that asks for it), so a typo can never turn the conformance suites into "ignored".

import { ok } from "node:assert/strict";
import { GOLDEN_ENV, goldenDir, goldenPresent } from "./_util/golden.ts";

const TESTS = decodeURIComponent(new URL("./", import.meta.url).pathname);

function* walk(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}${e.name}`;
    if (e.isDirectory) yield* walk(`${p}/`);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

/** Test files that import tests/_util/golden.ts, directly or through other test modules. */
function suitesNeedingGolden(): string[] {
  const deps = new Map<string, string[]>();
  for (const file of walk(TESTS)) {
    const src = Deno.readTextFileSync(file);
    const dir = file.slice(0, file.lastIndexOf("/") + 1);
    const rel = [...src.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)]
      .map((m) => decodeURIComponent(new URL(m[1], `file://${dir}`).pathname));
    deps.set(file, rel);
  }
  const golden = `${TESTS}_util/golden.ts`;
  const memo = new Map<string, boolean>();
  const needs = (f: string, seen: Set<string>): boolean => {
    if (f === golden) return true;
    if (memo.has(f)) return memo.get(f)!;
    if (seen.has(f)) return false;
    seen.add(f);
    const r = (deps.get(f) ?? []).some((d) => needs(d, seen));
    memo.set(f, r);
    return r;
  };
  return [...deps.keys()]
    .filter((f) => f.endsWith("_test.ts") && f !== `${TESTS}shared_fixtures_test.ts`)
    .filter((f) => needs(f, new Set()))
    .map((f) => `tests/${f.slice(TESTS.length)}`)
    .sort();
}

Deno.test("shared fixtures: present, or the suites that need them are named as skipped", () => {
  if (goldenPresent()) {
    ok(Deno.statSync(goldenDir()).isDirectory, `${goldenDir()} is not a folder`);
    return;
  }
  const suites = suitesNeedingGolden();
  ok(suites.length > 0, "the scan found no suite that reads the golden fixtures");
  console.log(
    `NOTICE: the shared golden fixtures are absent (${goldenDir()}); set ${GOLDEN_ENV} to a ` +
      `fixture folder to run them. These ${suites.length} suites skip their golden cases ` +
      `(shown as "ignored"):\n  ${suites.join("\n  ")}`,
  );
});
