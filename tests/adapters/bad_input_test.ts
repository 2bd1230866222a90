// Bad adapter input through the public API: damaged weight files, configs with unknown fields or
// wrong types, methods and compositions CLIP cannot run, adapters made for a model of another
// size, missing and unexpected keys. Each must be an EdgeClipError with a stable code that names
// what was wrong.

import { ok, rejects, throws } from "node:assert/strict";
import {
  adapterSetupFromDict,
  BatchSplit,
  type Clip,
  EdgeClipError,
  loadClip,
  Stack,
} from "../../mod.ts";
import { AdapterHost } from "../../src/adapters/host.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { ALT_GOLDEN_DIR } from "../golden/clip_cases.ts";
import { goldenCase, readFolder, writeFolder } from "./_folders.ts";

const ignore = !goldenCase("seq_bn");
const code = (c: string, re?: RegExp) => (e: unknown) => {
  ok(e instanceof EdgeClipError, `not an EdgeClipError: ${e}`);
  ok(e.code === c, `code ${e.code}, want ${c}: ${e.message}`);
  if (re) ok(re.test(e.message), e.message);
  return true;
};
/** A test on the seq_bn model with the seq_bn adapter folder read; the Clip is disposed after. */
function badInput(
  name: string,
  fn: (clip: Clip, folder: ReturnType<typeof readFolder>) => unknown,
) {
  Deno.test({
    name,
    ignore,
    async fn() {
      const clip = await loadClip(goldenCase("seq_bn")!.modelDir);
      try {
        await fn(clip, readFolder("seq_bn", "seq_bn"));
      } finally {
        clip.dispose();
      }
    },
  });
}

badInput("bad adapters: damaged weight files", async (clip, { meta, t }) => {
  const files = writeFolder(meta, t);
  const st = files["adapter.safetensors"] as Uint8Array;
  for (const cut of [0, 7, 8, 100, st.length - 1]) {
    await rejects(
      clip.loadAdapter({ ...files, "adapter.safetensors": st.subarray(0, cut) }),
      code("adapter_format"),
    );
  }
  const dir = `${goldenCase("seq_bn")!.dir}/adapters/seq_bn`;
  const bin = Deno.readFileSync(`${dir}/pytorch_adapter.bin`);
  const binOnly = { "adapter_config.json": files["adapter_config.json"] };
  for (const cut of [10, bin.length >> 1, bin.length - 3]) {
    await rejects(
      clip.loadAdapter({ ...binOnly, "pytorch_adapter.bin": bin.subarray(0, cut) }),
      code("adapter_format"),
    );
  }
  const flipped = bin.slice();
  flipped[bin.length >> 1] ^= 0x55; // inside a storage: the CRC catches it
  await rejects(
    clip.loadAdapter({ ...binOnly, "pytorch_adapter.bin": flipped }),
    code("adapter_format"),
  );
  await rejects(clip.loadAdapter(binOnly), code("source_unavailable"));
  await rejects(
    clip.loadAdapter({ ...files, "adapter_config.json": "{not json" }),
    code("adapter_format"),
  );
});

badInput(
  "bad adapters: configs with unknown fields, wrong types, unsupported methods",
  async (clip, { meta, t }) => {
    const withCfg = (patch: Record<string, unknown>) =>
      writeFolder({ ...meta, config: { ...(meta.config as object), ...patch } }, t);
    // config patch → the code and message that must come back
    const patches: [Record<string, unknown>, string, RegExp?][] = [
      [{ fancy_new_switch: true }, "adapter_format", /fancy_new_switch/],
      [{ mh_adapter: "yes" }, "adapter_format", /mh_adapter/],
      [{ reduction_factor: "16" }, "adapter_format", /reduction_factor/],
      [{ leave_out: [-1] }, "adapter_format", /leave_out/],
      [{ scaling: "huge" }, "adapter_format", /scaling/],
      [{ non_linearity: "sparkle" }, "adapter_unsupported", /sparkle/],
      [{ residual_before_ln: "post_add" }, "adapter_unsupported"],
      [{ inv_adapter: "glow" }, "adapter_unsupported", /glow/i],
      [{ architecture: "prompt_tuning" }, "adapter_format"],
    ];
    for (const [patch, c, re] of patches) {
      await rejects(clip.loadAdapter(withCfg(patch)), code(c, re));
    }
    await rejects(
      clip.loadAdapter(
        writeFolder({ ...meta, config: { architecture: "prompt_tuning", prompt_length: 10 } }, t),
      ),
      code("adapter_unsupported", /prompt tuning/),
    );
    await rejects(
      clip.loadAdapter(writeFolder({ ...meta, config: "no_such_preset" }, t)),
      code("adapter_format"),
    );
    // integer scaling is rejected by the library's strict type check
    const intScaling = writeFolder(meta, t);
    intScaling["adapter_config.json"] = (intScaling["adapter_config.json"] as string).replace(
      '"scaling": 1.0',
      '"scaling": 1',
    );
    await rejects(clip.loadAdapter(intScaling), code("adapter_format", /scaling/));
    await rejects(
      clip.loadAdapter(writeFolder(meta, t), { overrides: { nonsense: 1 } }),
      code("adapter_format", /nonsense/),
    );
  },
);

badInput(
  "bad adapters: missing, unexpected and mis-shaped keys; other model sizes",
  async (clip, { meta, t }) => {
    const key = "text_model.encoder.layers.1.output_adapters.adapters.seq_bn.adapter_up.weight";
    const missing = new Map(t);
    missing.delete(key);
    await rejects(clip.loadAdapter(writeFolder(meta, missing)), (e) => {
      code("adapter_mismatch")(e);
      ok((e as EdgeClipError).context.key === key);
      return true;
    });
    const extra = new Map(t);
    extra.set("text_model.encoder.layers.7.output_adapters.adapters.seq_bn.adapter_up.bias", {
      shape: [64],
      data: new Float32Array(64),
    });
    await rejects(
      clip.loadAdapter(writeFolder(meta, extra)),
      code("adapter_mismatch", /layers\.7/),
    );
    const shaped = new Map(t);
    shaped.set(key, { shape: [64, 5], data: new Float32Array(320) });
    await rejects(clip.loadAdapter(writeFolder(meta, shaped)), (e) => {
      code("adapter_mismatch", /\[64, 5\]/)(e);
      const ctx = (e as EdgeClipError).context;
      ok(String(ctx.expected) === "64,4" && String(ctx.found) === "64,5");
      return true;
    });
    await rejects(
      clip.loadAdapter(writeFolder({ ...meta, model_type: "bert" }, t)),
      code("adapter_mismatch", /bert/),
    );
    clip.dispose();
    // the same adapter on a model with other widths and layer counts
    const host = new AdapterHost((await openModel(`${ALT_GOLDEN_DIR}/clip/model`)).model);
    await rejects(host.load(writeFolder(meta, t)), code("adapter_mismatch"));
  },
);

badInput(
  "bad setups: unknown names, Parallel, wrong batch splits, nesting",
  async (clip, { meta, t }) => {
    await clip.loadAdapter(writeFolder(meta, t));
    await rejects(clip.loadAdapter(writeFolder(meta, t)), code("adapter_setup", /already loaded/));
    throws(() => clip.setActiveAdapters("nope"), code("adapter_setup", /nope/));
    // Parallel is not exported (the library rejects it on CLIP); its dict form and a look-alike
    // object are refused clearly
    const single = { type: "single", children: ["seq_bn"] };
    const parallel = { type: "Parallel", children: [single, single] };
    throws(() => adapterSetupFromDict(parallel), code("adapter_unsupported", /Parallel/));
    throws(
      () => clip.setActiveAdapters(parallel as never),
      code("adapter_unsupported", /Parallel/),
    );
    throws(
      () =>
        clip.setActiveAdapters(new Stack(new Stack(new BatchSplit("seq_bn", { batchSizes: [1] })))),
      code("adapter_setup"),
    );
    const ids = { data: new Int32Array([49406, 320, 49407]), shape: [1, 3] };
    await rejects(
      clip.forward({ inputIds: ids }, {
        adapters: new BatchSplit("seq_bn", "seq_bn", { batchSizes: [1, 1] }),
      }),
      code("adapter_setup", /batch_sizes/),
    );
  },
);
