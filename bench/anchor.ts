// edgeclip in the anchors' interleaved benchmark (../shared/anchors/README.md, "Adding another
// runtime"): takes the flags run_anchors.sh appends, prints one `BENCH_JSON {...}` line.
//   deno task bench:anchor --tower image --dtype int8 --batches 1,8 --ref-dir <anchors>/models
//   run_anchors.sh -s "ortweb-deno-t1 ortnode-node-t1" -x 'edgeclip=deno task --cwd <project> bench:anchor'
// It ignores --model and loads <ref-dir>/hf/clip-vitb32-random (the ONNX models' exact weights);
// --dtype int8 runs an edgeclip package converted from that folder once (cached; conversion time
// reported as convert_ms, outside cold start: the measuring process is then a fresh child).
// Cold start = process creation → model ready (includes Deno's own start-up, unlike the anchors'
// script-start figure, which is reported too as script_cold_start_ms).

import { cosine, imageBatch, readRefs, textBatch } from "./anchor/inputs.ts";
import { convertOnly, ensurePackage } from "./anchor/package_cache.ts";
import { processAgeMs, rssKiB } from "./anchor/proc.ts";

const T_SCRIPT = performance.now();

function parseFlags(argv: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) continue;
    const k = argv[i].slice(2);
    o[k] = i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : "true";
  }
  return o;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN;
};

/** Resolves a path given relative to the directory the task was started from. */
function fromInitCwd(p: string): string {
  if (p.startsWith("/")) return p;
  const base = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  return `${base.replace(/\/$/, "")}/${p}`;
}

/** Runs the benchmark into `out`; false when a child process measured and printed instead. */
async function measure(
  opt: Record<string, string>,
  out: Record<string, unknown>,
): Promise<boolean> {
  const tower = opt.tower === "text" ? "text" : "image";
  const refDir = fromInitCwd(opt["ref-dir"] ?? "../models");
  const hfDir = `${refDir}/hf/clip-vitb32-random`;
  const int8 = opt.dtype === "int8";
  const towers = tower === "image" ? "vision" : "text";
  const source = int8 ? await ensurePackage(hfDir, towers, opt) : hfDir;
  if (source === null) return false;
  const tImport = performance.now();
  const { openModel } = await import("../src/checkpoint/open.ts");
  const { NO_HOOKS } = await import("../src/model/hooks.ts");
  const tLoad = performance.now();
  // --int8-precision balanced|fast|high: loadClip's int8Precision
  const { Q8_POLICIES } = await import("../src/model/q8_policy.ts");
  const precision = (opt["int8-precision"] ?? "balanced") as keyof typeof Q8_POLICIES;
  if (!Object.hasOwn(Q8_POLICIES, precision)) {
    throw new Error(`unknown --int8-precision ${precision}`);
  }
  const m = await openModel(source, {
    dtype: int8 ? "int8" : "f32",
    towers,
    q8Policy: Q8_POLICIES[precision],
  });
  if (tower === "text") {
    // a text call needs the tokenizer built: count it in the cold start
    const { loadTokenizer } = await import("../src/api/text.ts");
    (await loadTokenizer(m.files))();
  }
  const tReady = performance.now();
  // the activation formats the tower's int8 layers run (the policy's), e.g. "u7 q/k/v/fc1, u12
  // out/fc2"
  const l0 = (m.model.vision ?? m.model.text)?.layers[0];
  const byFormat = new Map<string, string[]>();
  for (
    const [name, lin] of Object.entries({
      q: l0?.qProj,
      k: l0?.kProj,
      v: l0?.vProj,
      out: l0?.outProj,
      fc1: l0?.fc1,
      fc2: l0?.fc2,
    })
  ) {
    const f = ["u8", "u7", "u12"][(lin as { fmt?: number } | undefined)?.fmt ?? -1] ?? "?";
    byFormat.set(f, [...byFormat.get(f) ?? [], name]);
  }
  const act = byFormat.size === 1
    ? [...byFormat.keys()][0]
    : [...byFormat].map(([f, names]) => `${f} ${names.join("/")}`).join(", ");
  Object.assign(out, {
    version: `edgeclip 0.1.0 ${int8 ? "int8" : "fp32"}${
      int8 ? ` (package ${m.metadata["edgeclip.q8_layout"]}, ${act} activations)` : ""
    }, ${m.kernels.variant} build`,
    import_ms: tLoad - tImport,
    load_ms: tReady - tLoad,
    cold_start_ms: processAgeMs(),
    script_cold_start_ms: tReady - T_SCRIPT,
    mem_after_create: rssKiB(),
    wasm_mib: m.kernels.memoryStats.top / 2 ** 20,
  });
  const refs = readRefs(refDir, tower);
  const model = m.model;
  const batches: Record<string, unknown> = {};
  for (const B of (opt.batches ?? "1").split(",").map(Number)) {
    // inputs built once per batch size: the runs themselves allocate only their outputs
    const pixels = tower === "image" ? imageBatch(refs, B) : undefined;
    const seqs = tower === "text"
      ? textBatch(refs, B, (ids) => model.text!.poolIndex(ids)).map((ids) => ({ ids }))
      : [];
    const run = () =>
      pixels
        ? model.encodeImage(pixels, B, NO_HOOKS).embeds!
        : model.encodeText(seqs, NO_HOOKS).embeds!;
    const t0 = performance.now();
    let y = run();
    const first = performance.now() - t0;
    for (let i = 1; i < Number(opt.warmup ?? 3); i++) y = run();
    const n = B > 1 && opt["runs-large"] ? Number(opt["runs-large"]) : Number(opt.runs ?? 10);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      y = run();
      times.push(performance.now() - t);
    }
    const cos: number[] = [];
    for (let b = 0; b < Math.min(B, refs.count); b++) {
      cos.push(
        cosine(y.subarray(b * 512, b * 512 + 512), refs.embeds.subarray(b * 512, b * 512 + 512)),
      );
    }
    batches[B] = {
      first_run_ms: first,
      median_ms: median(times),
      min_ms: Math.min(...times),
      times_ms: times.map((t) => +t.toFixed(2)),
      cos_vs_torch_min: Math.min(...cos),
      ...rssKiB(),
    };
  }
  out.batches = batches;
  out.wasm_peak_mib = m.kernels.memoryStats.peak / 2 ** 20;
  out.peak_rss_mib = rssKiB().hwm_kib / 1024;
  return true;
}

if (import.meta.main) {
  const opt = parseFlags(Deno.args);
  const out: Record<string, unknown> = {
    label: opt.label || "edgeclip",
    runtime: "edgeclip",
    host: `deno ${Deno.version.deno} (v8 ${Deno.version.v8})`,
    model: "hf/clip-vitb32-random",
    tower: opt.tower,
    dtype: opt.dtype,
    threads: 1,
    ok: true,
  };
  if (opt["convert-ms"]) out.convert_ms = Number(opt["convert-ms"]);
  if (opt["convert-only"]) {
    await convertOnly(opt);
    Deno.exit(0);
  }
  let print = true;
  try {
    print = await measure(opt, out);
  } catch (e) {
    out.ok = false;
    out.error = String((e as Error)?.stack ?? e).slice(0, 800);
  }
  if (print) console.log("BENCH_JSON " + JSON.stringify(out));
  Deno.exit(0);
}
