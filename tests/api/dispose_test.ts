// Clip.dispose() releases the model and adapter memory while the Clip object is still referenced:
// a child process with an exposed garbage collector checks that the kernels become unreachable
// (and, as a control, that they stay alive without dispose), and that later calls throw disposed.

import { deepStrictEqual } from "node:assert/strict";
import { resolve } from "../golden/clip_cases.ts";
import { goldenCase } from "../adapters/_folders.ts";

const c = goldenCase("seq_bn");
const child = new URL("./_dispose_child.ts", import.meta.url).pathname;

async function run(mode: "dispose" | "keep"): Promise<{ collected: boolean; after: string }> {
  const adapter = resolve(c!.dir, c!.json.adapters[0].path);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "--allow-read",
      "--allow-env",
      child,
      c!.modelDir,
      adapter,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(text.trim().split("\n").pop()!);
}

Deno.test(
  { name: "dispose: the kernels are freed while the Clip is still held", ignore: !c },
  async () => {
    deepStrictEqual(await run("dispose"), { collected: true, after: "disposed" });
    deepStrictEqual(await run("keep"), { collected: false, after: "ran" });
  },
);
