// The linear-memory allocator (src/wasm/memory.ts) against a model of what is live: random
// sequences of long-lived allocations, frees and nested scratch scopes never overlap, stay 64-byte
// aligned, keep every block's bytes, reuse freed space and leave nothing behind once all is freed.
// Then the typed face (owners, scratch scopes, views) on a kernel instance.

import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError } from "../../src/errors.ts";
import { ALIGN, Heap } from "../../src/wasm/memory.ts";
import { Kernels } from "../../src/wasm/kernels.ts";
import { forAll } from "../_util/property.ts";

interface Region {
  readonly p: number;
  readonly size: number;
  readonly tag: number;
  /** Scratch scope depth it was taken in; 0 = long-lived. */
  readonly level: number;
}

function newHeap(): Heap {
  return new Heap(new WebAssembly.Memory({ initial: 1, maximum: 65536 }), 1000);
}

function stamp(h: Heap, r: Region): void {
  if (r.size) h.u8(r.p, r.size).fill(r.tag);
}

function intact(h: Heap, r: Region): void {
  if (r.size && !h.u8(r.p, r.size).every((b) => b === r.tag)) {
    throw new Error(`block at ${r.p} (${r.size} B, tag ${r.tag}) was overwritten`);
  }
}

function noOverlap(live: readonly Region[]): void {
  const s = live.filter((r) => r.size > 0).sort((a, b) => a.p - b.p);
  for (let i = 1; i < s.length; i++) {
    if (s[i - 1].p + s[i - 1].size > s[i].p) {
      throw new Error(`[${s[i - 1].p}, +${s[i - 1].size}) overlaps [${s[i].p}, +${s[i].size})`);
    }
  }
}

const SIZES = [0, 1, 63, 64, 65, 100, 1000, 4096, 65536];

Deno.test("heap: random alloc / free / scratch sequences against a model", () => {
  forAll("heap", 40, (r) => ({ steps: r.int(50, 400), big: r.next() < 0.3 }), (c, r) => {
    const h = newHeap();
    const live: Region[] = [], marks: number[] = [];
    let tag = 1, peakLive = 0;
    const size = () => r.next() < 0.8 ? r.pick(SIZES) : r.int(1, c.big ? 300_000 : 5000);
    const take = (p: number, n: number, level: number) => {
      strictEqual(p % ALIGN, 0, `pointer ${p} is not ${ALIGN}-byte aligned`);
      ok(p >= h.base, `pointer ${p} below the heap base`);
      const reg = { p, size: n, tag: tag = (tag % 250) + 1, level };
      stamp(h, reg);
      live.push(reg);
    };
    for (let step = 0; step < c.steps; step++) {
      const op = r.next();
      const depth = marks.length;
      if (op < 0.3) {
        const n = size();
        take(h.alloc(n), n, 0);
      } else if (op < 0.5) {
        const long = live.filter((x) => x.level === 0);
        if (!long.length) continue;
        const x = r.pick(long);
        intact(h, x);
        h.free(x.p);
        live.splice(live.indexOf(x), 1);
      } else if (op < 0.6 && depth < 4) {
        marks.push(h.mark());
      } else if (op < 0.85 && depth > 0) {
        const n = size();
        take(h.scratch(n), n, depth);
      } else if (depth > 0) {
        // closing a scope frees its scratch, never a long-lived block taken inside it
        for (const x of live.filter((x) => x.level === depth)) {
          intact(h, x);
          live.splice(live.indexOf(x), 1);
        }
        h.reset(marks.pop()!);
      }
      noOverlap(live);
      const bytes = live.reduce((a, x) => a + x.size, 0);
      peakLive = Math.max(peakLive, bytes);
      ok(h.stats.live >= bytes, "live bytes cover the live regions");
    }
    for (const x of live) intact(h, x);
    while (marks.length) h.reset(marks.pop()!);
    for (const x of live.filter((x) => x.level === 0)) h.free(x.p);
    // zero leaks: the heap is empty again
    deepStrictEqual([h.stats.top, h.stats.live, h.stats.free, h.depth], [h.base, 0, 0, 0]);
    // bounded growth: never far above what was live at once (holes and chunk tails)
    ok(h.stats.peak - h.base <= 3 * peakLive + 64 * 1024, `peak ${h.stats.peak}, live ${peakLive}`);
  });
});

Deno.test("heap: freed blocks are reused (best fit), neighbours coalesce, the top shrinks", () => {
  const h = newHeap();
  const a = h.alloc(1000), b = h.alloc(5000), c = h.alloc(1000);
  const top = h.stats.top;
  h.free(b);
  strictEqual(h.alloc(4000), b, "a smaller block goes into the hole");
  const rest = h.alloc(900); // the hole's remainder (5056 − 4032 B)
  strictEqual(rest, b + 4032);
  strictEqual(h.stats.top, top, "no growth while holes fit");
  h.free(a), h.free(b), h.free(rest);
  strictEqual(h.alloc(6000), a, "freed neighbours merged into one hole");
  h.free(a);
  h.free(c); // the last block: the heap ends at its base again
  deepStrictEqual([h.stats.top, h.stats.free, h.stats.live], [h.base, 0, 0]);
  throws(() => h.free(c), EdgeClipError, "a double free is refused");
});

Deno.test("heap: a reset never frees long-lived blocks taken inside the scope", () => {
  const h = newHeap();
  const m = h.mark();
  const s1 = h.scratch(100);
  const long = h.alloc(100_000); // above the scratch chunk
  h.u8(long, 100_000).fill(7);
  const s2 = h.scratch(200_000); // a new chunk above the long-lived block
  ok(s2 > long && s1 < long);
  h.u8(s2, 200_000).fill(9);
  h.reset(m);
  ok(h.u8(long, 100_000).every((v) => v === 7));
  // the next scope's scratch never lands on it
  const m2 = h.mark();
  const s3 = h.scratch(300_000);
  ok(s3 + 300_000 <= long || s3 >= long + 100_000);
  h.reset(m2);
  h.free(long);
  deepStrictEqual([h.stats.top, h.stats.live], [h.base, 0]);
});

Deno.test("heap: scratch only inside a scope; a call's scratch starts where the last one did", () => {
  const h = newHeap();
  throws(() => h.scratch(8), /outside a scratch scope/);
  const first = [];
  for (let i = 0; i < 3; i++) {
    const m = h.mark();
    first.push(h.scratch(1000));
    h.scratch(50_000);
    h.reset(m);
  }
  strictEqual(new Set(first).size, 1, "the same address every call: no growth");
  strictEqual(h.stats.top, h.base);
});

Deno.test("owner: free gives back everything it took; a freed owner takes nothing", () => {
  const k = Kernels.create();
  const before = k.memoryStats;
  const o = k.owner();
  o.vec(1000), o.mat(30, 70), o.buf("i8", 12345), o.packedQ8(25, 40), o.packedF32(9, 33);
  ok(o.bytes > 0 && k.memoryStats.live > before.live);
  o.free();
  deepStrictEqual([k.memoryStats.live, k.memoryStats.top], [before.live, before.top]);
  throws(() => o.vec(1), /owner that was freed/);
  o.free(); // twice is harmless
  // owned memory survives scratch scopes around it
  const o2 = k.owner();
  const v = k.scratch(() => {
    k.mat(100, 100);
    return o2.vecFrom([1, 2, 3]);
  });
  k.scratch(() => k.mat(300, 300));
  deepStrictEqual(Array.from(k.readBuf(v)), [1, 2, 3]);
  o2.free();
});

Deno.test("kernels: scratch scopes are synchronous; views refuse to outlive growth", async () => {
  const k = Kernels.create();
  throws(() => k.mat(2, 2), /outside a scratch scope/);
  throws(() => k.scratch(() => Promise.resolve()), /must not span an await/);
  const o = k.owner();
  const v = o.vec(16);
  await rejects(
    k.withBytes(v, async () => {
      await Promise.resolve();
      o.vec(4 << 20); // memory grows while the view is out
    }),
    /grew while a view/,
  );
  strictEqual(k.withView(v, (f) => f.length), 16);
  throws(() => k.scratch(() => k.withView(k.view(k.mat(4, 4), 0, 2, 0, 2), () => 0)), /strided/);
  o.free();
});
