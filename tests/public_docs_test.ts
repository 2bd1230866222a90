// The public surface is documented: `deno doc --lint` on the entry points (every exported symbol
// and every type it names is exported and has JSDoc), as JSR requires for a clean publish; and the
// JSR package publishes (dry run).

import { strictEqual } from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

/** Runs `deno <args>` in `cwd` and fails with everything it said unless it exits 0. */
async function denoSucceeds(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, said);
}

Deno.test("docs: deno doc --lint mod.ts server.ts finds no problem", async () => {
  await denoSucceeds(["doc", "--lint", "mod.ts", "server.ts"], ROOT);
});

Deno.test("docs: the JSR package publishes (dry run) once deno.json names a license", async () => {
  // The license is the owners' choice (README, Install): the dry run is made on a copy of the
  // published files whose deno.json names one, so anything else that breaks publishing fails here.
  await Deno.mkdir(`${ROOT}tmp`, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: `${ROOT}tmp`, prefix: "publish_" });
  try {
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
    for (const path of config.publish.include as string[]) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}${path}`, `${dir}/`] }).output();
    }
    config.license = "Apache-2.0";
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config, null, 2));
    await denoSucceeds(["publish", "--dry-run", "--allow-dirty"], dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
