// Soak: the `serve` command on 127.0.0.1 with the golden model, fed rounds of mixed good and bad
// requests by 8 concurrent clients, some of which hang up mid-body or mid-answer. Reports per
// round the server's RSS, the status counts and what the server wrote to stderr. Expected: no
// 5xx, no stderr line (client hang-ups are not server faults), RSS flat from round to round.
//   deno run -A bench/soak_bench.ts [--rounds 5] [--per-round 1000] [--clients 8] [--only NAME]
// Not a timed test: a benchmark script (Linux: RSS from /proc/<pid>/status).

import { Prng } from "../tests/_util/prng.ts";
import { firstLine } from "../tests/_util/process.ts";
import { encodeJpeg, encodePng, syntheticRgb } from "./_encoders.ts";

const golden = Deno.env.get("CLIP_GOLDEN_DIR") ??
  decodeURIComponent(new URL("../../shared/golden", import.meta.url).pathname);
const MAIN = decodeURIComponent(new URL("../src/cli/main.ts", import.meta.url).pathname);

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const ROUNDS = flag("rounds", 5), PER_ROUND = flag("per-round", 1000), CLIENTS = flag("clients", 8);
const ORIGIN = "https://app.example.com";
/** Only the requests whose name contains this (to find which kind moves the RSS). */
const ONLY = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";

// ---- the server ------------------------------------------------------------------------------

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-net",
    MAIN,
    "serve",
    "--model",
    `${golden}/clip/model`,
    "--port",
    "0",
    "--cors",
    ORIGIN,
    "--max-queue",
    "64",
  ],
  env: { NO_COLOR: "1" },
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
}).spawn();
const stderrLines: string[] = [];
const stderrDone = (async () => {
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    stderrLines.push(...chunk.split("\n").filter((l) => l.length > 0));
  }
})();
const { line: first, reader: out } = await firstLine(
  child.stdout,
  "the server ended before listening",
);
const base = /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(first)![1];
const port = Number(new URL(base).port);

function rss(): number {
  const s = Deno.readTextFileSync(`/proc/${child.pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(s)![1]) / 1024;
}

// ---- the requests ----------------------------------------------------------------------------

const png = Deno.readFileSync(
  `${golden}/images/${
    [...Deno.readDirSync(`${golden}/images`)].find((e) => e.name.endsWith(".png"))!.name
  }`,
);
const pngUrl = `data:image/png;base64,${png.toBase64()}`;
const jpeg = encodeJpeg(syntheticRgb(640, 480), 640, 480, 90);
const jpegUrl = `data:image/jpeg;base64,${jpeg.toBase64()}`;
const flat = await encodePng(new Uint8Array(3000 * 3000 * 3).fill(90), 3000, 3000); // over maxPixels
const flatUrl = `data:image/png;base64,${flat.toBase64()}`;

type Kind = "good" | "bad" | "abort";
interface Shot {
  kind: Kind;
  name: string;
  run: () => Promise<number | string>; // a status, or what happened to an aborted request
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", origin: ORIGIN, ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

async function status(path: string, init?: RequestInit): Promise<number> {
  const res = await fetch(`${base}${path}`, init);
  await res.arrayBuffer();
  return res.status;
}

/** A raw connection that sends `text` and hangs up (after `wait` ms, or once the answer starts). */
async function hangUp(text: string, wait: number | "answer"): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(text));
    if (wait === "answer") await conn.read(new Uint8Array(16));
    else await new Promise((r) => setTimeout(r, wait));
  } finally {
    conn.close();
  }
  return wait === "answer" ? "hung up mid-answer" : "hung up mid-body";
}

function head(path: string, length: number): string {
  return `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
    `content-length: ${length}\r\n\r\n`;
}

const big = JSON.stringify({ input: Array.from({ length: 32 }, (_, i) => `a long caption ${i}`) });
const SHOTS: Shot[] = [
  // good
  {
    kind: "good",
    name: "embed texts",
    run: () => status("/v1/embeddings", json({ input: ["a cat", "a dog"] })),
  },
  {
    kind: "good",
    name: "embed png",
    run: () =>
      status(
        "/v1/embeddings",
        json({ input: [{ type: "image_url", image_url: { url: pngUrl } }] }),
      ),
  },
  {
    kind: "good",
    name: "embed jpeg + text",
    run: () =>
      status(
        "/v1/embeddings",
        json({
          input: ["x", { type: "image_url", image_url: { url: jpegUrl } }],
          encoding_format: "base64",
        }),
      ),
  },
  {
    kind: "good",
    name: "classify",
    run: () =>
      status("/v1/classify", json({ image: pngUrl, labels: ["cat", "dog", "car"], topK: 2 })),
  },
  {
    kind: "good",
    name: "classify preset",
    run: () =>
      status(
        "/v1/classify",
        json({ image: jpegUrl, labels: ["cat", "dog"], template: "clip-imagenet-7" }),
      ),
  },
  { kind: "good", name: "healthz", run: () => status("/healthz", { headers: { origin: ORIGIN } }) },
  {
    kind: "good",
    name: "preflight",
    run: () =>
      status("/v1/classify", {
        method: "OPTIONS",
        headers: { origin: ORIGIN, "access-control-request-method": "POST" },
      }),
  },
  // bad
  { kind: "bad", name: "not json", run: () => status("/v1/embeddings", json("{nope")) },
  {
    kind: "bad",
    name: "unknown field",
    run: () => status("/v1/embeddings", json({ input: "x", constructor: 1 })),
  },
  {
    kind: "bad",
    name: "wrong content type",
    run: () => status("/v1/embeddings", { method: "POST", body: "x" }),
  },
  {
    kind: "bad",
    name: "body over limit",
    run: () => status("/v1/embeddings", json({ input: "x".repeat(7 * 2 ** 20) })),
  },
  {
    kind: "bad",
    name: "text over limit",
    run: () => status("/v1/embeddings", json({ input: "y".repeat(5000) })),
  },
  {
    kind: "bad",
    name: "bad base64 image",
    run: () => status("/v1/classify", json({ image: "data:image/png;base64,AAAA", labels: ["a"] })),
  },
  {
    kind: "bad",
    name: "image over maxPixels",
    run: () => status("/v1/classify", json({ image: flatUrl, labels: ["a"] })),
  },
  {
    kind: "bad",
    name: "too many labels",
    run: () => status("/v1/classify", json({ image: pngUrl, labels: Array(1001).fill("a") })),
  },
  {
    kind: "bad",
    name: "template without {}",
    run: () => status("/v1/classify", json({ image: pngUrl, labels: ["a"], template: "toString" })),
  },
  {
    kind: "bad",
    name: "too long, no truncation",
    run: () => status("/v1/embeddings", json({ input: "word ".repeat(200), truncate: false })),
  },
  {
    kind: "bad",
    name: "unknown adapter",
    run: () => status("/v1/embeddings", json({ input: "x", adapters: "hasOwnProperty" })),
  },
  { kind: "bad", name: "no route", run: () => status("/__proto__") },
  { kind: "bad", name: "wrong method", run: () => status("/v1/classify") },
  {
    kind: "bad",
    name: "other origin preflight",
    run: () =>
      status("/v1/classify", { method: "OPTIONS", headers: { origin: "https://evil.example" } }),
  },
  // clients that go away
  {
    kind: "abort",
    name: "hang up mid-body",
    run: () => hangUp(head("/v1/embeddings", big.length) + big.slice(0, 30), 5),
  },
  {
    kind: "abort",
    name: "hang up mid-body (image)",
    run: () => hangUp(head("/v1/classify", 100_000) + `{"image": "${pngUrl.slice(0, 2000)}`, 2),
  },
  {
    kind: "abort",
    name: "hang up mid-answer",
    run: () => hangUp(head("/v1/embeddings", big.length) + big, "answer"),
  },
  {
    kind: "abort",
    name: "fetch aborted",
    run: async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 1);
      try {
        return await status("/v1/embeddings", { ...json(big), signal: ac.signal });
      } catch {
        return "aborted by the client";
      }
    },
  },
];

// ---- rounds ----------------------------------------------------------------------------------

const rng = new Prng(0x50a4);
const rows = [];
const start = rss();
for (let round = 1; round <= ROUNDS; round++) {
  const plan = Array.from({ length: PER_ROUND }, () => {
    const r = rng.next();
    const kind = r < 0.55 ? "good" : r < 0.85 ? "bad" : "abort";
    const pool = SHOTS.filter((s) => s.kind === kind && (!ONLY || s.name.includes(ONLY)));
    return pool.length ? pool[rng.int(0, pool.length - 1)] : undefined;
  }).filter((s) => s !== undefined);
  const counts = new Map<string, number>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < plan.length) {
      const shot = plan[next++];
      let outcome: number | string;
      try {
        outcome = await shot.run();
      } catch (e) {
        outcome = `client error: ${(e as Error).name}`;
      }
      const key = typeof outcome === "number" ? String(outcome) : outcome;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 300)); // let the server settle before reading RSS
  const row = {
    round,
    requests: PER_ROUND,
    seconds: +seconds.toFixed(1),
    rssMiB: +rss().toFixed(1),
    "5xx": [...counts].filter(([k]) => /^5\d\d$/.test(k)).reduce((n, [, v]) => n + v, 0),
    stderrLines: stderrLines.length,
    statuses: Object.fromEntries([...counts].sort()),
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}

child.kill("SIGTERM");
await child.status;
await out.cancel();
await stderrDone;
console.log(`server RSS before the first round: ${start.toFixed(1)} MiB`);
console.table(rows.map(({ statuses: _, ...r }) => r));
console.log(`stderr (${stderrLines.length} lines):`);
for (const l of stderrLines) console.log(`  ${l}`);
