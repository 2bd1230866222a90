// One cold start for bench/host_cold_start.ts, run unchanged by Deno and Node:
//   deno|node _host_probe.mjs MODULE MODEL IMAGE
// imports edgeclip from MODULE, loads MODEL, embeds a text and the image, and prints the
// process's peak RSS (VmHWM, Linux) as JSON once the first embeddings are out.

import { readFileSync } from "node:fs";
import process from "node:process";

const [module, model, image] = process.argv.slice(2);
const { loadClip } = await import(module);
const clip = await loadClip(model);
await clip.embedText(["a photo of a cat"]);
await clip.embedImage(readFileSync(image));
const status = readFileSync("/proc/self/status", "utf8");
const hwmKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)[1]);
console.log(JSON.stringify({ peakRssMiB: hwmKiB / 1024 }));
