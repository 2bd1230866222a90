// Adapters over a model's lifetime through the public API: deleteAdapter / deleteFusion give the
// memory back and are refused (adapter_in_use) while anything uses the adapter — the active setup,
// a loaded fusion, a call still running, a pending merge, or a merge already done; and the
// maxAdapterBytes budget refuses a load that would pass it, giving back what it took.

import { ok, rejects, strictEqual, throws } from "node:assert/strict";
import { EdgeClipError, Fuse, loadClip, Stack } from "../../mod.ts";
import { AdapterHost } from "../../src/adapters/host.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { resolve } from "../golden/clip_cases.ts";
import { goldenCase, readFolder, writeFolder } from "./_folders.ts";

const ignore = !goldenCase("seq_bn") || !goldenCase("fuse_dynamic") || !goldenCase("lora") ||
  !goldenCase("mam");
const MIB = 2 ** 20;

const code = (c: string, re?: RegExp) => (e: unknown) => {
  ok(e instanceof EdgeClipError, `not an EdgeClipError: ${e}`);
  ok(e.code === c, `code ${e.code}, want ${c}: ${e.message}`);
  if (re) ok(re.test(e.message), e.message);
  return true;
};
const inUse = (re: RegExp) => code("adapter_in_use", re);

/** The folder of adapter `name` of golden case `caseName`, in memory. */
const folder = (caseName: string, name = caseName) => {
  const { meta, t } = readFolder(caseName, name);
  return writeFolder(meta, t);
};

/** Raw RGB pixels: every image is decoded after an await, so a call spans many turns. */
const images = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    data: new Uint8Array(24 * 16 * 3).fill(40 + i),
    width: 24,
    height: 16,
  }));

Deno.test(
  { name: "deleteAdapter: frees, forgets, and the name can be loaded again", ignore },
  async () => {
    const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
    const name = await clip.loadAdapter(folder("seq_bn"));
    const before = await clip.embedText("a cat", { adapters: name });
    clip.deleteAdapter(name);
    strictEqual(clip.adapterNames.length, 0);
    await rejects(clip.embedText("a cat", { adapters: name }), code("adapter_setup", /seq_bn/));
    throws(() => clip.deleteAdapter(name), code("adapter_setup", /no adapter named "seq_bn"/));
    await clip.loadAdapter(folder("seq_bn"));
    const again = await clip.embedText("a cat", { adapters: name });
    ok(before[0].every((v, i) => Object.is(v, again[0][i])), "the reloaded adapter is the same");
    clip.dispose();
  },
);

Deno.test({ name: "deleteAdapter: refused while the active setup uses it", ignore }, async () => {
  const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
  await clip.loadAdapter(folder("seq_bn"));
  clip.setActiveAdapters(new Stack("seq_bn"));
  throws(() => clip.deleteAdapter("seq_bn"), inUse(/active setup/));
  clip.setActiveAdapters(null);
  clip.deleteAdapter("seq_bn");
  clip.dispose();
});

Deno.test(
  { name: "deleteAdapter / deleteFusion: a loaded fusion holds its adapters", ignore },
  async () => {
    const c = goldenCase("fuse_dynamic")!;
    const clip = await loadClip(c.modelDir);
    for (const a of c.json.adapters) await clip.loadAdapter(resolve(c.dir, a.path));
    const names = c.json.fusion!.name.split(",");
    await clip.loadFusion(resolve(c.dir, c.json.fusion!.path), names);
    throws(() => clip.deleteAdapter(names[1]), inUse(/fusion fuse_a,fuse_b,fuse_c.*deleteFusion/));
    // a loaded fusion is not replaced under running calls: delete it first
    await rejects(
      clip.loadFusion(resolve(c.dir, c.json.fusion!.path), names),
      code("adapter_setup", /already loaded/),
    );
    // the fusion itself: refused while the active setup or a running call fuses with it
    clip.setActiveAdapters(new Fuse(...names));
    throws(() => clip.deleteFusion(names), inUse(/active setup/));
    clip.setActiveAdapters(null);
    const running = clip.embedText(["a", "b"], { adapters: new Fuse(...names) });
    throws(() => clip.deleteFusion(names), inUse(/call still running/));
    await running;
    clip.deleteFusion(names);
    throws(() => clip.deleteFusion(names), code("adapter_setup", /no fusion/));
    await rejects(
      clip.embedText("a", { adapters: new Fuse(...names) }),
      code("adapter_setup", /no fusion/),
    );
    for (const n of names) clip.deleteAdapter(n);
    strictEqual(clip.adapterNames.length, 0);
    clip.dispose();
  },
);

Deno.test(
  { name: "deleteAdapter: refused while a call that uses it is running", ignore },
  async () => {
    const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
    await clip.loadAdapter(folder("seq_bn"));
    // named by the call, across the awaits of 20 image decodes (two batches)
    const byName = clip.embedImage(images(20), { adapters: "seq_bn" });
    throws(() => clip.deleteAdapter("seq_bn"), inUse(/call still running/));
    await byName;
    // taken from the active setup when the call started, then the active setup changed
    clip.setActiveAdapters("seq_bn");
    const byActive = clip.classify(images(1)[0], ["cat", "dog"]);
    clip.setActiveAdapters(null);
    throws(() => clip.deleteAdapter("seq_bn"), inUse(/call still running/));
    await byActive;
    // a failed call lets go too
    const failing = clip.embedText(["a", "b"], {
      adapters: new Stack("seq_bn", "nope"),
    });
    throws(() => clip.deleteAdapter("seq_bn"), inUse(/call still running/));
    await rejects(failing, code("adapter_setup", /nope/));
    clip.deleteAdapter("seq_bn");
    clip.dispose();
  },
);

Deno.test({ name: "deleteAdapter: refused while merging and once merged", ignore }, async () => {
  const clip = await loadClip(goldenCase("lora")!.modelDir);
  await clip.loadAdapter(folder("lora"));
  const merging = clip.mergeAdapter("lora");
  throws(() => clip.deleteAdapter("lora"), inUse(/merge in progress/));
  await merging;
  throws(
    () => clip.deleteAdapter("lora"),
    inUse(/merged into the base weights.*cannot be un-merged/),
  );
  clip.dispose();
});

Deno.test(
  { name: "maxAdapterBytes: a load past the budget fails and gives back", ignore },
  async () => {
    const files = folder("seq_bn");
    await rejects(
      loadClip(goldenCase("seq_bn")!.modelDir, { maxAdapterBytes: -1 }),
      code("invalid_input", /maxAdapterBytes/),
    );
    // the adapter's size, measured on a model without a budget
    const m = await openModel(goldenCase("seq_bn")!.modelDir);
    const free = new AdapterHost(m.model);
    await free.load(files);
    const size = free.bytes;
    ok(size > 16 * 1024, `seq_bn holds ${size} bytes`);
    // room for one copy: the second load is refused, names the budget and takes nothing
    const host = new AdapterHost(m.model, { maxBytes: size + size / 2 });
    await host.load(files, { name: "one" });
    const stats = m.kernels.memoryStats;
    for (let i = 0; i < 20; i++) {
      await rejects(
        host.load(files, { name: "two" }),
        code("input_too_large", new RegExp(`maxAdapterBytes \\(${size + size / 2};`)),
      );
    }
    strictEqual(m.kernels.memoryStats.live, stats.live, "the refused loads gave back everything");
    strictEqual(m.kernels.memoryStats.memory, stats.memory, "the memory did not grow");
    deepNames(host.names, ["one"]);
    host.delete("one");
    strictEqual(host.bytes, 0);
    await host.load(files, { name: "two" });
    // through loadClip: the same refusal, with the error's context
    const clip = await loadClip(goldenCase("seq_bn")!.modelDir, { maxAdapterBytes: size - 1 });
    await rejects(clip.loadAdapter(files), (e) => {
      code("input_too_large")(e);
      strictEqual((e as EdgeClipError).context.budget, size - 1);
      return true;
    });
    strictEqual(clip.adapterNames.length, 0);
    clip.dispose();
  },
);

function deepNames(got: string[], want: string[]) {
  strictEqual(JSON.stringify(got), JSON.stringify(want));
}

Deno.test({
  name: "memory: 100 load / delete cycles through the API grow linear memory by < 4 MiB",
  ignore,
  async fn() {
    // mam: prefix tuning (states computed at load through temporary memory) and bottlenecks
    const m = await openModel(goldenCase("mam")!.modelDir);
    const host = new AdapterHost(m.model);
    const files = folder("mam");
    const before = m.kernels.memoryStats;
    for (let i = 0; i < 100; i++) {
      await host.load(files);
      ok(host.bytes > 64 * 1024, `the adapter holds its weights (${host.bytes} B)`);
      host.delete("mam");
    }
    const after = m.kernels.memoryStats;
    ok(after.memory - before.memory < 4 * MIB, `grew ${(after.memory - before.memory) / MIB} MiB`);
    strictEqual(after.live, before.live, "every delete gave back all the load took");
  },
});
