// `deno task shapes:samples`: writes the demo's sample images (models/shapes/samples) with the
// TypeScript generator (world.ts, not the one the model was trained on). Deterministic: the
// first scene of each wanted label from one seeded stream.

import { ALL_SHAPES, encodeScene, makeScene, type Scene } from "./world.ts";
import { Prng } from "../../tests/_util/prng.ts";

const WANTED = [
  "red circle",
  "blue square",
  "green triangle",
  "yellow star",
  "white cross",
  "orange hexagon",
  "blue hexagon",
  "black star",
  "purple hexagon",
];
const OUT = decodeURIComponent(new URL("../../models/shapes/samples/", import.meta.url).pathname);

const rng = new Prng(2026);
const found = new Map<string, Scene>();
for (let tries = 0; found.size < WANTED.length; tries++) {
  if (tries > 100_000) throw new Error("samples: wanted labels not drawn");
  const s = makeScene(rng, ALL_SHAPES);
  const label = `${s.colour} ${s.shape}`;
  if (WANTED.includes(label) && !found.has(label)) found.set(label, s);
}
await Deno.remove(OUT, { recursive: true }).catch(() => {});
await Deno.mkdir(OUT, { recursive: true });
for (const [i, label] of WANTED.entries()) {
  const s = found.get(label)!;
  const name = `${i + 1}_${label.replace(" ", "_")}.${s.format === "png" ? "png" : "jpg"}`;
  await Deno.writeFile(OUT + name, await encodeScene(s));
  console.log(`${name}  (diameter ${(s.frac * 100).toFixed(0)}%, noise σ ${s.noise.toFixed(1)})`);
}
