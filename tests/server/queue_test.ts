// The compute queue: one task at a time in arrival order, 503 beyond the wait list, tasks of
// departed clients dropped, and the slot released after failures.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { HttpError } from "../../src/server/error_response.ts";
import { ComputeQueue } from "../../src/server/queue.ts";

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

Deno.test("queue: tasks run one at a time, first come first served", async () => {
  const q = new ComputeQueue(10);
  const log: string[] = [];
  let running = 0;
  const task = (name: string, ms: number) =>
    q.run(async () => {
      running++;
      ok(running === 1, "two tasks ran together");
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      running--;
      return name;
    });
  const out = await Promise.all([task("a", 20), task("b", 1), task("c", 5)]);
  deepStrictEqual(out, ["a", "b", "c"]);
  deepStrictEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  strictEqual(q.busy, false);
  strictEqual(q.waiting, 0);
});

Deno.test("queue: a full wait list answers overloaded at once", async () => {
  const q = new ComputeQueue(2);
  const g = gate();
  const first = q.run(() => g.p);
  const waiting = [q.run(() => 1), q.run(() => 2)];
  strictEqual(q.waiting, 2);
  await rejects(q.run(() => 3), (e) => {
    ok(e instanceof HttpError && e.code === "overloaded");
    strictEqual(e.headers["retry-after"], "1");
    return true;
  });
  g.open();
  await first;
  deepStrictEqual(await Promise.all(waiting), [1, 2]);
  strictEqual(await q.run(() => 4), 4); // room again
});

Deno.test("queue: maxWaiting 0 serves one request and refuses the rest", async () => {
  const q = new ComputeQueue(0);
  const g = gate();
  const first = q.run(() => g.p);
  await rejects(q.run(() => 1), (e) => e instanceof HttpError && e.code === "overloaded");
  g.open();
  await first;
  strictEqual(await q.run(() => 2), 2);
});

Deno.test("queue: failures release the slot; aborted waiters never run", async () => {
  const q = new ComputeQueue(5);
  const g = gate();
  const first = q.run(async () => {
    await g.p;
    throw new Error("boom");
  });
  const gone = new AbortController();
  let ran = false;
  const dropped = q.run(() => {
    ran = true;
  }, () => gone.signal);
  const after = q.run(() => "after");
  gone.abort();
  g.open();
  await rejects(first, /boom/);
  await rejects(dropped, (e) => (e as Error).name === "AbortError");
  strictEqual(ran, false);
  strictEqual(await after, "after");
  strictEqual(q.busy, false);
});
