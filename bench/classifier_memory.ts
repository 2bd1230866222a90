// Peak RSS of a process that loads a package and runs one image, above an empty Deno process:
// what a host with a memory cap (Workers, Vercel Edge: 128 MB) must hold. Each case runs in a
// fresh process (warm Deno cache), several times, interleaved with the empty baseline (medians),
// and says where the bytes went at the peak, from /proc/self/smaps and the allocator's figures:
// the weights in linear memory, the rest of linear memory (load and call scratch), the Deno
// binary's pages the run touched (module loading, V8's compilers), other anonymous memory (the JS
// heap, compiled code), malloc, files.
//   deno run -A bench/classifier_memory.ts --package P.safetensors [--package Q…] [--runs 3]
//     [--image FILE]   (default: a synthetic 640×480 JPEG)
// A classifier package is classified (labels omitted); any other package embeds the image. The
// README's figures: a random ViT-B/32 folder converted twice,
//   deno task convert --from HF --to vision.safetensors --towers vision
//   deno task convert --from HF --to cls.safetensors --classifier labels.txt   (1,000 lines)
// Linux only (/proc/self/status, /proc/self/smaps).

// The empty process is a script of its own (written to a temporary file): a dynamic import with a
// literal specifier, as the child's, puts the whole module graph into the process that holds it.

const MiB = 2 ** 20;

function hwm(): number {
  const s = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(s)![1]) / 1024;
}

/** RSS by mapping kind, MiB. */
function smaps(): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = "";
  for (const line of Deno.readTextFileSync("/proc/self/smaps").split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const path = m[1];
      kind = path === Deno.execPath()
        ? "deno binary"
        : path.startsWith("/")
        ? "other files"
        : path === "[heap]"
        ? "malloc"
        : path.startsWith("[")
        ? "other"
        : "anonymous"; // linear memory included
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) out[kind] = (out[kind] ?? 0) + Number(r[1]) / 1024;
  }
  return out;
}

/** The child: loads `pkg`, runs one image, prints its figures at the end as one JSON line. */
async function child(pkg: string, imagePath: string): Promise<void> {
  const { clipFromLoaded } = await import("../src/api/load.ts");
  const { openModel } = await import("../src/checkpoint/open.ts");
  const image = await Deno.readFile(imagePath);
  const loaded = await openModel(pkg);
  const clip = await clipFromLoaded(loaded);
  const afterLoad = hwm();
  const labels = clip.labels;
  const what = labels ? `classify(image), ${labels.length} labels` : "embedImage(image)";
  if (labels) await clip.classify(image, null, { topK: 5 });
  else await clip.embedImage(image);
  const mem = loaded.kernels.memoryStats;
  const u = Deno.memoryUsage();
  // the weights: what the model's owner holds (the allocator's live bytes outside any call)
  const weights = loaded.model.owner.bytes;
  console.log(JSON.stringify({
    what,
    peak: hwm(),
    afterLoad,
    smaps: smaps(),
    weights: weights / MiB,
    wasmMemory: mem.memory / MiB,
    jsHeap: u.heapTotal / MiB,
    jsExternal: u.external / MiB,
  }));
}

async function runChild(
  args: string[],
  script = import.meta.filename!,
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`child ${args.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function flag(name: string): string[] {
  const out: string[] = [];
  Deno.args.forEach((a, i) => a === `--${name}` && Deno.args[i + 1] && out.push(Deno.args[i + 1]));
  return out;
}

// deno-lint-ignore no-explicit-any
type Run = any;

function report(pkg: string, runs: Run[], empty: Run[]): void {
  const mid = [...runs].sort((a, b) => a.peak - b.peak)[Math.floor(runs.length / 2)];
  const base = median(empty.map((e) => e.peak));
  const s = mid.smaps;
  const delta = (k: string) => (s[k] ?? 0) - (median(empty.map((x) => x.smaps[k] ?? 0)));
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log(`\n${pkg}: ${mid.what}`);
  console.log(
    `  peak RSS ${mid.peak.toFixed(1)} MiB (runs: ${
      runs.map((r) => r.peak.toFixed(1)).join(", ")
    })` +
      `, above the empty process: ${(mid.peak - base).toFixed(1)} MiB`,
  );
  console.log(`  RSS at the end, above the empty process, by kind (MiB):`);
  console.log(`  ${f(mid.weights)}  weights in linear memory`);
  console.log(
    `  ${f(mid.wasmMemory - mid.weights)}  rest of linear memory (load and call scratch)`,
  );
  console.log(
    `  ${f(delta("deno binary"))}  Deno binary pages touched (module loading, V8 compilers)`,
  );
  console.log(
    `  ${f(delta("anonymous") - mid.wasmMemory)}  other anonymous: JS heap ${
      mid.jsHeap.toFixed(1)
    } MiB ` +
      `(empty ${empty[0].jsHeap.toFixed(1)}), array buffers ${
        mid.jsExternal.toFixed(1)
      }, compiled code`,
  );
  console.log(`  ${f(delta("malloc"))}  malloc (runtime, I/O)`);
  console.log(`  ${f(delta("other files") + delta("other"))}  other files and mappings`);
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") await child(Deno.args[1], Deno.args[2]);
  else {
    const runs = Number(flag("runs")[0] ?? 3);
    const packages = flag("package");
    if (!packages.length) throw new Error("give --package P.safetensors (one or more)");
    let image = flag("image")[0];
    if (!image) {
      // a 640×480 JPEG, the size of a typical request, written once for every child
      const { encodeJpeg, syntheticRgb } = await import("./_encoders.ts");
      image = await Deno.makeTempFile({ suffix: ".jpg" });
      await Deno.writeFile(image, encodeJpeg(syntheticRgb(640, 480), 640, 480));
    }
    const emptyScript = await Deno.makeTempFile({ suffix: ".ts" });
    await Deno.writeTextFile(
      emptyScript,
      `const MiB = 2 ** 20;\n${hwm}\n${smaps}\n` +
        "console.log(JSON.stringify({ peak: hwm(), " +
        "jsHeap: Deno.memoryUsage().heapTotal / MiB, smaps: smaps() }));\n",
    );
    const empty: Run[] = [];
    const results = new Map<string, Run[]>(packages.map((p) => [p, []]));
    for (let r = 0; r < runs; r++) {
      // interleaved: the machine's load drifts
      empty.push(await runChild([], emptyScript));
      for (const p of packages) results.get(p)!.push(await runChild(["--child", p, image]));
    }
    if (!flag("image")[0]) await Deno.remove(image);
    await Deno.remove(emptyScript);
    const base = median(empty.map((e) => e.peak));
    console.log(`empty Deno process: peak RSS ${base.toFixed(1)} MiB (median of ${runs})`);
    for (const [p, rs] of results) report(p, rs, empty);
  }
}
