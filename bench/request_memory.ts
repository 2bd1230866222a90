// Transient memory of one HTTP request by image size and body size: for each case a fresh
// server process (the golden model behind createHandler) takes warm-up requests, resets its
// peak-RSS counter, answers the measured request over loopback, and reports its peak RSS above
// the baseline. Part 1 lifts the limits and sweeps sizes (the cost per megapixel and per MiB of
// body); part 2 keeps createHandler's defaults and sends the largest requests they let through.
// These are the figures behind the defaults (DEFAULT_LIMITS in src/server/handler.ts).
//   deno run -A --v8-flags=--expose-gc bench/request_memory.ts [--quick | --defaults-only]
//     [--vit-b32]   (a random-weight ViT-B/32, int8, instead of the golden tiny model)
//     [--only TEXT] (only the cases whose name contains TEXT)
// Linux only (/proc/self/status VmHWM, /proc/self/clear_refs).

import { createHandler } from "../server.ts";
import { DEFAULT_LIMITS } from "../src/server/handler.ts";
import { loadClip } from "../mod.ts";
import { encodeJpeg, encodePng, syntheticRgb } from "./_encoders.ts";
import { firstLine } from "../tests/_util/process.ts";
import { vitB32Folder } from "./_models.ts";

const MiB = 2 ** 20;
const golden = Deno.env.get("CLIP_GOLDEN_DIR") ??
  decodeURIComponent(new URL("../../shared/golden", import.meta.url).pathname);

function status(): { rss: number; hwm: number } {
  const s = Deno.readTextFileSync("/proc/self/status");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)![1]) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { for (let i = 0; i < 3; i++) g(); }
}

// ---- server side ---------------------------------------------------------------------------

async function serve(defaults: boolean, vitB32: boolean): Promise<void> {
  // the golden tiny model, or a random-weight ViT-B/32 quantized to int8 at load
  const clip = vitB32
    ? await loadClip(vitB32Folder(), { dtype: "int8" })
    : await loadClip(`${golden}/clip/model`);
  gc();
  const big = 2 ** 31 - 1;
  const lifted = { maxBodyBytes: big, maxImageBytes: big, maxPixels: big, maxTextChars: big };
  const handler = createHandler(clip, {
    ...(defaults ? {} : lifted),
    onError: (e) => console.error(e),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/__reset") {
      gc();
      Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // VmHWM := VmRSS
      return Response.json(status());
    }
    if (path === "/__peak") {
      const peak = status();
      gc();
      return Response.json({ ...peak, after: status().rss });
    }
    return await handler(req);
  });
  console.log((server.addr as Deno.NetAddr).port);
  await server.finished;
}

// ---- client side ---------------------------------------------------------------------------

interface Case {
  name: string;
  mpx: number;
  /** The route (default /v1/embeddings). */
  path?: string;
  body: () => Uint8Array | Promise<Uint8Array>;
}

/** An embeddings request body holding the images as data URLs. */
function request(...images: [string, Uint8Array][]): Uint8Array {
  const input = images.map(([mime, bytes]) => ({
    type: "image_url",
    image_url: { url: `data:${mime};base64,${bytes.toBase64()}` },
  }));
  return new TextEncoder().encode(JSON.stringify({ input }));
}

/** A 4:3 image of about `mpx` megapixels (or exactly w × h). */
function side(mpx: number): [number, number] {
  const w = Math.round(Math.sqrt(mpx * 1e6 * 4 / 3));
  return [w, Math.round((w * 3) / 4)];
}

function noise(n: number): Uint8Array {
  const rgb = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) crypto.getRandomValues(rgb.subarray(o, o + 65536));
  return rgb;
}

const flatPng = async (w: number, h: number) =>
  ["image/png", await encodePng(new Uint8Array(w * h * 3).fill(200), w, h)] as [string, Uint8Array];
const photoJpeg = (w: number, h: number, q = 92) =>
  ["image/jpeg", encodeJpeg(syntheticRgb(w, h), w, h, q)] as [string, Uint8Array];
const noisePng = async (w: number, h: number) =>
  ["image/png", await encodePng(noise(w * h * 3), w, h)] as [string, Uint8Array];

async function measure(c: Case, defaults: boolean): Promise<Record<string, unknown>> {
  const script = new URL(import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      script,
      "--serve",
      ...(defaults ? ["--defaults"] : []),
      ...(Deno.args.includes("--vit-b32") ? ["--vit-b32"] : []),
    ],
    env: { CLIP_GOLDEN_DIR: golden },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { line, reader } = await firstLine(child.stdout, "the server ended before listening");
  const base = `http://127.0.0.1:${line.trim()}`;
  try {
    const post = async (path: string, body: Uint8Array | string) => {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body as BodyInit,
      });
      return { status: res.status, json: await res.json() };
    };
    // warm-up, as a server that has served traffic: JIT, kernel memory for both towers, and
    // V8's young generation grown by a text batch (a one-time ~30 MB, not per request)
    await post("/v1/embeddings", request(await flatPng(256, 192)));
    await post("/v1/embeddings", JSON.stringify({ input: Array(64).fill("a photo of a cat") }));
    const body = await c.body();
    const before = (await post("/__reset", "")).json;
    const r = await post(c.path ?? "/v1/embeddings", body);
    const peak = (await post("/__peak", "")).json;
    return {
      case: c.name,
      mpx: c.mpx,
      bodyMiB: +(body.length / MiB).toFixed(2),
      status: r.status,
      baselineMB: +(before.rss / 1e6).toFixed(1),
      transientMB: +((peak.hwm - before.rss) / 1e6).toFixed(1),
      retainedMB: +((peak.after - before.rss) / 1e6).toFixed(1),
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel();
  }
}

if (Deno.args.includes("--serve")) {
  await serve(Deno.args.includes("--defaults"), Deno.args.includes("--vit-b32"));
} else {
  const quick = Deno.args.includes("--quick");
  const sizes = quick ? [1, 4, 16] : [0.5, 1, 2, 4, 8, 16, 32];
  const sweep: Case[] = [
    ...sizes.map((m) => ({
      name: "flat PNG",
      mpx: m,
      body: async () => request(await flatPng(...side(m))),
    })),
    ...sizes.filter((m) => m <= 16).map((m) => ({
      name: "photo JPEG q92",
      mpx: m,
      body: () => request(photoJpeg(...side(m))),
    })),
    ...(quick ? [1, 4] : [0.5, 1, 2, 4]).map((m) => ({
      name: "noise PNG",
      mpx: m,
      body: async () => request(await noisePng(...side(m))),
    })),
  ];
  // Part 2: the largest requests the defaults accept (each checked to answer 200)
  const S = Math.sqrt(DEFAULT_LIMITS.maxPixels); // 2048
  const px = (w: number, h: number) => +(w * h / 1e6).toFixed(2);
  const side4MiB = Math.floor(Math.sqrt((DEFAULT_LIMITS.maxImageBytes - 4096) / 3.01));
  const atLimits: Case[] = [
    {
      name: "flat PNG at maxPixels",
      mpx: px(S, S),
      body: async () => request(await flatPng(S, S)),
    },
    {
      name: "photo JPEG q98 at maxPixels",
      mpx: px(S, S),
      body: () => request(photoJpeg(S, S, 98)),
    },
    {
      name: "noise PNG near maxImageBytes",
      mpx: px(side4MiB, side4MiB),
      body: async () => request(await noisePng(side4MiB, side4MiB)),
    },
    {
      name: "3 noise PNGs, body near maxBodyBytes",
      mpx: px(660, 660) * 3,
      body: async () => request(...await Promise.all([0, 1, 2].map(() => noisePng(660, 660)))),
    },
    {
      name: "classify: 1000 labels × 2 templates (maxPrompts)",
      mpx: 0.31,
      path: "/v1/classify",
      body: () => {
        const [, jpeg] = photoJpeg(640, 480);
        return new TextEncoder().encode(JSON.stringify({
          image: `data:image/jpeg;base64,${jpeg.toBase64()}`,
          labels: Array.from({ length: 1000 }, (_, i) => `object number ${i}`),
          // 2 × 1000 = 2000 ≤ maxPrompts (2048)
          template: ["a photo of a {}.", "itap of a {}."],
        }));
      },
    },
    ...["猫", "é", "a"].map((ch) => ({
      name: `64 texts of maxTextChars × ${ch}`,
      mpx: 0,
      body: () =>
        Promise.resolve(new TextEncoder().encode(JSON.stringify({
          input: Array.from({ length: 64 }, () => ch.repeat(DEFAULT_LIMITS.maxTextChars)),
        }))),
    })),
  ];
  const parts = Deno.args.includes("--defaults-only")
    ? [["createHandler defaults", atLimits, true] as const]
    : [
      ["limits lifted", sweep, false] as const,
      ["createHandler defaults", atLimits, true] as const,
    ];
  for (const [title, cases, defaults] of parts) {
    const rows = [];
    const only = Deno.args.indexOf("--only");
    for (const c of cases) {
      if (only >= 0 && !c.name.includes(Deno.args[only + 1])) continue;
      const row = await measure(c, defaults);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    console.log(title);
    console.table(rows);
  }
}
