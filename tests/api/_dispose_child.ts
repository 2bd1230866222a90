// Child process of dispose_test.ts, run with --expose-gc: builds a Clip with an adapter, runs a
// call, then (mode "dispose") disposes it while still holding the Clip, collects garbage and
// prints whether the model's kernels (and with them its WebAssembly memory) were freed.

import { Clip } from "../../src/api/clip.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { EdgeClipError } from "../../src/errors.ts";

const [modelDir, adapterDir, mode] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

/** A Clip that ran one adapter call, and a weak reference to its kernels. */
async function build(): Promise<{ clip: Clip; kernels: WeakRef<object> }> {
  const loaded = await openModel(modelDir);
  const clip = new Clip(loaded, new Error("no tokenizer"), new Error("no preprocessor"));
  await clip.loadAdapter(adapterDir, { name: "a" });
  clip.setActiveAdapters("a");
  await clip.forward({ inputIds: { data: Int32Array.of(49406, 320, 49407), shape: [1, 3] } });
  return { clip, kernels: new WeakRef(loaded.kernels) };
}

const { clip, kernels } = await build();
if (mode === "dispose") clip.dispose();
for (let i = 0; i < 3; i++) {
  await new Promise((r) => setTimeout(r, 0)); // WeakRef targets live until the job ends
  gc();
}
let after = "ran";
try {
  await clip.forward({ inputIds: { data: Int32Array.of(49406, 49407), shape: [1, 2] } });
} catch (e) {
  after = e instanceof EdgeClipError ? e.code : String(e);
}
console.log(JSON.stringify({ collected: kernels.deref() === undefined, after }));
