// Cold start and peak memory per host: process start → first text and image embedding, and the
// process's peak RSS then, for Deno (mod.ts), Node (the npm package, packed and installed as a
// user gets it) and workerd (examples/cloudflare-worker, the model fetched by URL). Hosts run
// interleaved, `-r N` rounds (default 5), medians reported. Linux only (/proc VmHWM).
//   deno run -A bench/host_cold_start.ts            (the golden tiny model, f32)
//   deno run -A bench/host_cold_start.ts --vit-b32  (a random-weight ViT-B/32 int8 package, both
//                                                    towers; built once under tmp/bench_vitb32/)

import { installedPackage } from "../tests/hosts/_package.ts";
import { MODEL_DIR, serveModel } from "../tests/hosts/_probe.ts";
import { must, ROOT } from "../tests/hosts/_tools.ts";
import { buildWorker, postWhenUp, withWorkerd } from "../tests/hosts/_workerd.ts";
import { vitB32Folder } from "./_models.ts";

const IMAGE = `${MODEL_DIR}/../../images/sub420_225x223_q75.jpg`;
const rounds = Number(Deno.args[Deno.args.indexOf("-r") + 1]) || 5;
const vitB32 = Deno.args.includes("--vit-b32");

/** The model to load: [folder served by URL, the name inside it ("" for the folder itself)]. */
async function model(): Promise<[string, string]> {
  if (!vitB32) return [MODEL_DIR!, ""];
  const dir = `${ROOT}tmp/bench_vitb32`;
  const pkg = "clip-vit-b32-int8.safetensors";
  try {
    await Deno.stat(`${dir}/${pkg}`);
    return [dir, pkg];
  } catch { /* build it */ }
  await Deno.mkdir(`${dir}/hf`, { recursive: true });
  for (const [name, data] of Object.entries(vitB32Folder())) {
    if (typeof data === "string") await Deno.writeTextFile(`${dir}/hf/${name}`, data);
    else await Deno.writeFile(`${dir}/hf/${name}`, data);
  }
  await must(Deno.execPath(), [
    "run",
    "-A",
    `${ROOT}src/cli/main.ts`,
    "convert",
    "--from",
    `${dir}/hf`,
    "--to",
    `${dir}/${pkg}`,
  ]);
  await Deno.remove(`${dir}/hf`, { recursive: true });
  return [dir, pkg];
}

/** Spawn → the probe's line (after its first embeddings): [ms, peak RSS MiB]. */
async function probeProcess(cmd: string, args: string[], cwd: string): Promise<[number, number]> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null", stderr: "inherit" })
    .output();
  const ms = performance.now() - t0;
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${text}`);
  return [ms, JSON.parse(text).peakRssMiB];
}

function peakRssMiB(pid: number): number {
  const s = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(s)![1]) / 1024;
}

async function workerdOnce(worker: string, url: string): Promise<[number, number]> {
  const image = await Deno.readFile(IMAGE);
  const body = {
    input: [
      "a photo of a cat",
      { type: "image_url", image_url: { url: `data:image/jpeg;base64,${image.toBase64()}` } },
    ],
  };
  let result: [number, number] = [0, 0];
  await withWorkerd(worker, "config.capnp", { EDGECLIP_MODEL: url }, async (base, t0, pid) => {
    const res = await postWhenUp(base, body);
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`workerd answered ${res.status}: ${await res.text()}`);
    await res.body?.cancel();
    result = [ms, peakRssMiB(pid)];
  });
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const [dir, name] = await model();
const path = name ? `${dir}/${name}` : dir;
const installed = await installedPackage();
await Deno.copyFile(`${ROOT}bench/_host_probe.mjs`, `${installed.project}/_host_probe.mjs`);
const worker = await buildWorker(installed.project);
const server = serveModel(dir);
const url = `http://127.0.0.1:${server.addr.port}/${name}`;
const hosts: Record<string, () => Promise<[number, number]>> = {
  deno: () =>
    probeProcess(Deno.execPath(), [
      "run",
      "-A",
      `${ROOT}bench/_host_probe.mjs`,
      new URL("../mod.ts", import.meta.url).href,
      path,
      IMAGE,
    ], ROOT),
  node: () => probeProcess("node", ["_host_probe.mjs", "edgeclip", path, IMAGE], installed.project),
  workerd: () => workerdOnce(worker, url),
};
const got: Record<string, [number, number][]> = { deno: [], node: [], workerd: [] };
try {
  for (const h of Object.keys(hosts)) await hosts[h](); // warm the caches (transpile, bundle)
  for (let r = 0; r < rounds; r++) {
    for (const h of Object.keys(hosts)) got[h].push(await hosts[h]());
  }
} finally {
  await server.shutdown();
}
console.log(`${vitB32 ? "ViT-B/32 int8 package" : "golden tiny model (f32)"}, ${rounds} rounds`);
console.log(`packed npm package: ${installed.tarballBytes} bytes`);
for (const [h, runs] of Object.entries(got)) {
  const ms = median(runs.map((x) => x[0])), rss = median(runs.map((x) => x[1]));
  console.log(`${h}: cold start ${ms.toFixed(0)} ms, peak RSS ${rss.toFixed(0)} MiB`);
}
