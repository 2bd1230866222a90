// The public surface is documented: `deno doc --lint` on the entry points (every exported symbol
// and every type it names is exported and has JSDoc), as JSR requires for a clean publish.

import { strictEqual } from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

Deno.test("docs: deno doc --lint mod.ts server.ts finds no problem", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts", "server.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, said);
});
