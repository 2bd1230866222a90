// The committed kernel modules must be what assembly/ compiles to today, and must pass the
// ABI/SIMD checks of build.ts (run as a subprocess so the compiler stays out of this process).

import { strictEqual } from "node:assert/strict";

Deno.test("generated kernel modules are fresh (deno task build --check)", async () => {
  const root = new URL("..", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "build.ts", "--check"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  strictEqual(out.code, 0, text);
});
