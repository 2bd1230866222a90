// int4 vs int8 image tower on the anchor ViT-B/32: both vision-only packages converted (written
// to --out), then (1) B=1 image embedding time, the two models run alternately in one process
// (medians and their ratio; through loadClip, then in each kernel build), (2) memory: peak RSS (VmHWM) of a fresh process that loads one
// package and embeds one image, minus that of an empty Deno process.
//   deno run -A bench/anchor/int4_bench.ts --ref-dir <anchors>/models --out <dir> [--rounds N]
// Child mode (what (2) spawns): --child <package> | --child-empty.

import { loadClip } from "../../mod.ts";
import { openModel } from "../../src/checkpoint/open.ts";
import { NO_HOOKS } from "../../src/model/hooks.ts";
import { convertClip } from "../../src/convert/mod.ts";
import { imageBatch, readRefs } from "./inputs.ts";
import { rssKiB } from "./proc.ts";

const arg = (name: string) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
};
const refDir = arg("--ref-dir") ?? "../anchors-run/models";
const img = readRefs(refDir, "image");
const pixels = () => ({ data: imageBatch(img, 1), shape: [1, 3, 224, 224] });

if (Deno.args.includes("--child-empty")) {
  console.log(JSON.stringify(rssKiB()));
  Deno.exit(0);
}
const child = arg("--child");
if (child) {
  const clip = await loadClip(child);
  await clip.forward({ pixelValues: pixels() });
  console.log(JSON.stringify(rssKiB()));
  Deno.exit(0);
}

const out = arg("--out") ?? Deno.makeTempDirSync();
const rounds = Number(arg("--rounds") ?? 15);
const hf = `${refDir}/hf/clip-vitb32-random`;
const pkg = (d: string) => `${out}/clip-vitb32-vision-${d}.safetensors`;
for (const dtype of ["int8", "int4"] as const) {
  const f = await Deno.open(pkg(dtype), { write: true, create: true, truncate: true });
  const r = await convertClip(hf, { write: async (c) => void (await f.write(c)) }, {
    towers: "vision",
    dtype,
  });
  f.close();
  console.log(
    `${dtype}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB package, ${(r.ms / 1000).toFixed(1)} s`,
  );
}

// (1) time, alternating: loadClip's build (the best the host runs), then each build forced
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function alternate(label: string, embed: Record<"int8" | "int4", () => unknown>) {
  const times: Record<"int8" | "int4", number[]> = { int8: [], int4: [] };
  for (let r = 0; r < rounds + 2; r++) {
    for (const d of (r % 2 ? ["int4", "int8"] : ["int8", "int4"]) as ("int8" | "int4")[]) {
      const t0 = performance.now();
      await embed[d]();
      if (r >= 2) times[d].push(performance.now() - t0); // two warm-up rounds
    }
  }
  const [m8, m4] = [median(times.int8), median(times.int4)];
  console.log(
    `B=1 image embedding, ${label} (${rounds} alternating rounds, medians): int8 ${
      m8.toFixed(1)
    } ms, int4 ${m4.toFixed(1)} ms, ratio ${(m4 / m8).toFixed(3)}`,
  );
}
const clips = { int8: await loadClip(pkg("int8")), int4: await loadClip(pkg("int4")) };
await alternate("loadClip", {
  int8: () => clips.int8.forward({ pixelValues: pixels() }),
  int4: () => clips.int4.forward({ pixelValues: pixels() }),
});
clips.int8.dispose();
clips.int4.dispose();
for (const variant of ["relaxed", "simd128"] as const) {
  const m8 = (await openModel(pkg("int8"), { variant })).model;
  const m4 = (await openModel(pkg("int4"), { variant })).model;
  const px = pixels().data;
  await alternate(`${variant} build (encodeImage)`, {
    int8: () => m8.encodeImage(px, 1, NO_HOOKS),
    int4: () => m4.encodeImage(px, 1, NO_HOOKS),
  });
}

// (2) memory, one fresh process each
async function childHwm(args: string[]): Promise<number> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--ref-dir", refDir, ...args],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(p.stdout).trim().split("\n").pop()!).hwm_kib;
}
const empty = await childHwm(["--child-empty"]);
for (const d of ["int8", "int4"] as const) {
  const hwm = await childHwm(["--child", pkg(d)]);
  const size = Deno.statSync(pkg(d)).size;
  console.log(
    `${d}: peak RSS load + one image ${((hwm - empty) / 1024).toFixed(1)} MiB above an empty ` +
      `Deno (${(empty / 1024).toFixed(1)} MiB); package ${(size / 2 ** 20).toFixed(1)} MiB`,
  );
}
