// deadline (io/http.ts): the stall timer of downloads, built on AbortSignal.timeout instead of
// setTimeout (which makes Deno load its Node timers, +3.5 MiB of RSS).

import { ok, strictEqual } from "node:assert/strict";
import { deadline } from "../../src/io/http.ts";

Deno.test("deadline: fires once after its time unless called off first", async () => {
  let late = 0;
  deadline(20, () => late++);
  const off = deadline(20, () => late += 100);
  off();
  await new Promise<void>((r) => deadline(80, r));
  strictEqual(late, 1);
});

Deno.test("deadline: one called off holds no process open, and no Node timers load", async () => {
  const url = new URL("../../src/io/http.ts", import.meta.url).href;
  const code = `
    let touched = false;
    Object.defineProperty(globalThis, "setTimeout", { get() { touched = true; return () => 0; } });
    const { deadline } = await import(${JSON.stringify(url)});
    deadline(30_000, () => console.log("fired"))();
    console.log(touched ? "setTimeout used" : "ok");
  `;
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  strictEqual(new TextDecoder().decode(out.stdout).trim(), "ok");
  ok(performance.now() - t0 < 20_000, "the process waited for the deadline");
});
