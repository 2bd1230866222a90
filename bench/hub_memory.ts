// Peak memory of loading a model by Hub id, by URL and from bytes, against loading its int8
// package from a local file (issue 12's targets). Each case runs in a fresh process that loads the
// model, reads its peak RSS (VmHWM) and then embeds a text and an image; a mock Hub
// (tests/_util/mock_hub.ts, redirecting weights to a second "CDN" port) runs in its own process
// so its memory is not counted. Cases are interleaved, each run --reps times; medians reported.
//   deno run -A bench/hub_memory.ts --hf HF_DIR [--reps 3] [--work tmp/hub-bench]
// HF_DIR: an f32 CLIP folder (config.json, model.safetensors, vocab.json, merges.txt,
// preprocessor_config.json), e.g. a random-weight ViT-B/32. Linux only (/proc/self/status).
// Targets: hub int8 ≤ 1.25× local; URL ≤ 1.1× local; bytes − their size ≤ 1.1× local;
// one tower by URL − an empty process ≤ 110 MB; hub and offline embeddings equal local's.

// A child imports nothing but the library: node:util (the parent's flag parser) alone adds ~12 MiB
// to a Deno process, which, in the empty baseline too, hid that much of what a load costs.

const MiB = 2 ** 20;

function peak(): number {
  const s = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(s)![1]) * 1024;
}

// ---- child: one case ------------------------------------------------------------------------

interface Case {
  kind: "empty" | "local" | "hub" | "url" | "bytes";
  source?: string;
  options?: Record<string, unknown>;
}

async function child(c: Case): Promise<void> {
  if (c.kind === "empty") {
    console.log(JSON.stringify({ peak: peak() }));
    return;
  }
  const { loadClip } = await import("../mod.ts");
  let given = 0, source: Parameters<typeof loadClip>[0] = c.source!;
  if (c.kind === "bytes") {
    const bytes = await Deno.readFile(c.source!);
    given = bytes.length;
    source = { "model.safetensors": bytes };
  }
  const t0 = performance.now();
  const clip = await loadClip(source, c.options ?? {});
  const ms = performance.now() - t0;
  const loadPeak = peak();
  const emb: number[][] = [];
  if (c.options?.towers !== "vision") {
    emb.push([...(await clip.embedText(["a photo of a cat"]))[0]]);
  }
  if (c.options?.towers !== "text") {
    const data = Uint8Array.from({ length: 224 * 224 * 4 }, (_, i) => (i * 31) % 253);
    emb.push([...(await clip.embedImage([{ data, width: 224, height: 224 }]))[0]]);
  }
  // the peak a user meets includes the first calls (tokenizer tables, image buffers, scratch)
  console.log(JSON.stringify({ peak: loadPeak, callPeak: peak(), given, ms, emb }));
}

// ---- parent ---------------------------------------------------------------------------------

async function run(
  c: Case,
): Promise<{ peak: number; callPeak?: number; given: number; ms: number; emb: number[][] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "--child", JSON.stringify(c)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${JSON.stringify(c)} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text.trim().split("\n").pop()!);
}

/** The mock Hub in a process of its own; resolves to its URL. */
async function startHub(repos: Record<string, { dir: string }>) {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "--serve", JSON.stringify(repos)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { firstLine } = await import("../tests/_util/process.ts");
  const { line, reader } = await firstLine(proc.stdout, "the mock Hub did not start");
  return {
    url: line.trim(),
    async stop() {
      proc.kill();
      await proc.status;
      reader.cancel().catch(() => {});
    },
  };
}

async function serve(repos: Record<string, { dir: string }>): Promise<void> {
  const { startMockHub } = await import("../tests/_util/mock_hub.ts");
  const hub = await startMockHub({ repos });
  // the mock hashes each large file when first asked: do it before any load is timed
  for (const [id, { dir }] of Object.entries(repos)) {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.name.endsWith(".safetensors")) continue;
      const r = await fetch(`${hub.url}/${id}/resolve/main/${e.name}`, {
        method: "HEAD",
        redirect: "manual",
      });
      await r.body?.cancel();
    }
  }
  console.log(hub.url);
  await new Promise(() => {}); // until killed
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => `${(b / MiB).toFixed(1)} MiB`;

function same(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((v, i) => v.forEach((x, j) => (d = Math.max(d, Math.abs(x - b[i][j])))));
  return d;
}

async function main(): Promise<void> {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      hf: { type: "string" },
      reps: { type: "string", default: "3" },
      work: { type: "string", default: "tmp/hub-bench" },
      serve: { type: "string" },
    },
  });
  if (values.serve) return await serve(JSON.parse(values.serve));
  if (!values.hf) throw new Error("usage: bench/hub_memory.ts --hf HF_DIR [--reps N]");
  const hf = await Deno.realPath(values.hf), work = values.work!, reps = Number(values.reps);
  await Deno.mkdir(`${work}/pkg`, { recursive: true });
  const pkg = `${await Deno.realPath(work)}/pkg/model-int8.safetensors`;
  try {
    await Deno.stat(pkg);
  } catch {
    console.error(`converting ${hf} → ${pkg} …`);
    const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "convert", "--from", hf, "--to", pkg],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) throw new Error("convert failed");
  }
  const hub = await startHub({ "bench/vitb32": { dir: hf }, "bench/pkg": { dir: `${work}/pkg` } });
  const url = `${hub.url}/bench/pkg/resolve/main/model-int8.safetensors`;
  const cases: Record<string, (rep: number) => Case> = {
    "empty process": () => ({ kind: "empty" }),
    "local package": () => ({ kind: "local", source: pkg }),
    "hub id, int8, cold cache": (rep) => ({
      kind: "hub",
      source: "bench/vitb32",
      options: { dtype: "int8", hubEndpoint: hub.url, cacheDir: `${work}/cache-${rep}` },
    }),
    "package by URL": () => ({ kind: "url", source: url }),
    "package as bytes": () => ({ kind: "bytes", source: pkg }),
    "vision tower by URL": () => ({ kind: "url", source: url, options: { towers: "vision" } }),
    "text tower by URL": () => ({ kind: "url", source: url, options: { towers: "text" } }),
    "vision tower, local": () => ({ kind: "local", source: pkg, options: { towers: "vision" } }),
    "text tower, local": () => ({ kind: "local", source: pkg, options: { towers: "text" } }),
  };
  const got: Record<string, Awaited<ReturnType<typeof run>>[]> = {};
  try {
    for (let rep = 0; rep < reps; rep++) {
      await Deno.remove(`${work}/cache-${rep}`, { recursive: true }).catch(() => {});
      for (const [name, make] of Object.entries(cases)) {
        (got[name] ??= []).push(await run(make(rep)));
        console.error(`rep ${rep + 1}/${reps} ${name}: ${mb(got[name].at(-1)!.peak)}`);
      }
    }
  } finally {
    await hub.stop();
  }
  // the server gone: offline from each cold load's cache
  got["hub id, int8, offline (cache only)"] = [];
  for (let rep = 0; rep < reps; rep++) {
    got["hub id, int8, offline (cache only)"].push(
      await run({
        kind: "hub",
        source: "bench/vitb32",
        options: {
          dtype: "int8",
          hubEndpoint: "http://127.0.0.1:9",
          cacheDir: `${work}/cache-${rep}`,
          offline: true,
        },
      }),
    );
  }
  const p = (name: string) => median(got[name].map((r) => r.peak));
  const local = p("local package"), empty = p("empty process");
  console.log(`\npeak RSS, median of ${reps} (VmHWM after the load, before any embedding)\n`);
  console.log("| case | peak RSS | load ms | vs local package | target |");
  console.log("| --- | --- | --- | --- | --- |");
  const row = (name: string, value: number, target: string, vs = value / local) =>
    console.log(
      `| ${name} | ${mb(value)} | ${
        got[name] ? median(got[name].map((r) => r.ms ?? 0)).toFixed(0) : ""
      } | ${vs.toFixed(3)}× | ${target} |`,
    );
  row("empty process", empty, "");
  row("local package", local, "");
  row("hub id, int8, cold cache", p("hub id, int8, cold cache"), "≤ 1.25×");
  row("hub id, int8, offline (cache only)", p("hub id, int8, offline (cache only)"), "");
  row("package by URL", p("package by URL"), "≤ 1.1×");
  const given = got["package as bytes"][0].given;
  row("package as bytes", p("package as bytes") - given, "≤ 1.1× (minus the bytes)");
  for (const t of ["vision", "text"]) {
    const byUrl = p(`${t} tower by URL`), loc = p(`${t} tower, local`);
    const call = median(got[`${t} tower by URL`].map((r) => r.callPeak ?? r.peak));
    console.log(
      `| ${t} tower by URL | ${mb(byUrl)} (${mb(byUrl - empty)} over empty; local ${
        mb(loc - empty)
      }; after its first ${t === "text" ? "text" : "image"} ${
        mb(call - empty)
      }) | | | ≤ 110 MB (104.9 MiB) over empty |`,
    );
  }
  const ref = got["local package"][0].emb;
  for (
    const name of [
      "hub id, int8, cold cache",
      "hub id, int8, offline (cache only)",
      "package by URL",
      "package as bytes",
    ]
  ) {
    const d = Math.max(...got[name].map((r) => same(r.emb, ref)));
    console.log(`embeddings, ${name} vs local package: max |Δ| = ${d}`);
  }
  for (let rep = 0; rep < reps; rep++) {
    await Deno.remove(`${work}/cache-${rep}`, { recursive: true }).catch(() => {});
  }
}

if (Deno.args[0] === "--child") await child(JSON.parse(Deno.args[1]));
else await main();
