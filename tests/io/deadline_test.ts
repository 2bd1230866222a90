// deadline and stallGuard (io/http.ts): the stall timers of downloads, built on
// AbortSignal.timeout instead of setTimeout (which makes Deno load its Node timers, +3.5 MiB of
// RSS); the guard of a body's reads arms one timeout signal for many reads.

import { ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { deadline, stallGuard } from "../../src/io/http.ts";

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

const sleep = (ms: number) => new Promise<void>((r) => deadline(ms, r));
const stall = () => new EdgeClipError("source_network", "stalled");

Deno.test("stallGuard: reads in time pass, on one timeout signal for many of them", async () => {
  const timeout = AbortSignal.timeout;
  let armed = 0;
  AbortSignal.timeout = (ms) => (armed++, timeout.call(AbortSignal, ms));
  try {
    let cancelled = 0;
    const guarded = stallGuard(() => cancelled++, stall, 200);
    for (let i = 0; i < 300; i++) strictEqual(await guarded(() => Promise.resolve(i)), i);
    strictEqual(cancelled, 0);
    ok(armed <= 2, `${armed} timeout signals for 300 reads`);
  } finally {
    AbortSignal.timeout = timeout;
  }
});

Deno.test("stallGuard: a read that gets nothing in time is cancelled and fails", async () => {
  let cancelled = 0;
  const guarded = stallGuard(() => cancelled++, stall, 40);
  let never: () => void = () => {};
  const t0 = performance.now();
  await rejects(guarded(() => new Promise<void>((r) => (never = r))), /stalled/);
  ok(performance.now() - t0 >= 35, "failed before its time");
  strictEqual(cancelled, 1);
  never();
});

Deno.test("stallGuard: a read after a pause gets its whole time, not the signal's rest", async () => {
  const guarded = stallGuard(() => {}, stall, 80);
  await guarded(() => Promise.resolve()); // arms the signal
  await sleep(50);
  // 60 ms: past the signal armed 50 ms ago, within this read's own 80
  strictEqual(await guarded(() => sleep(60).then(() => "late but in time")), "late but in time");
});
