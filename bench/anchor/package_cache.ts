// The int8 package the anchor benchmark runs: converted once from the HF folder into a cache
// (EDGECLIP_BENCH_CACHE, default ~/.cache/edgeclip-bench) by a child process, keyed by source
// size/mtime and the package format, so conversion never counts in a measured cold start.

import { PACKAGE_LAYOUT, PACKAGE_VERSION } from "../../src/package/format.ts";

const SELF = new URL("../anchor.ts", import.meta.url).pathname;
// -A: reading /proc/self (RSS, process age) needs all permissions in Deno 2
const PERMS = ["-A"];

function exists(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/** Cache path of the package converted from `hfDir` keeping `towers`. */
export function packagePath(hfDir: string, towers: string): string {
  const home = Deno.env.get("HOME") ?? "/tmp";
  const dir = Deno.env.get("EDGECLIP_BENCH_CACHE") ?? `${home}/.cache/edgeclip-bench`;
  const st = Deno.statSync(`${hfDir}/model.safetensors`);
  const base = hfDir.replace(/\/+$/, "").split("/").pop();
  const layout = PACKAGE_LAYOUT.replace(/\W+/g, "_");
  return `${dir}/${base}-${towers}-${layout}-v${PACKAGE_VERSION}-${st.size}-${
    st.mtime?.getTime() ?? 0
  }.safetensors`;
}

/**
 * The cached package path when it exists. Otherwise converts it in a child process, then runs
 * the measurement in a fresh child (which prints BENCH_JSON with convert_ms) and returns null.
 */
export async function ensurePackage(
  hfDir: string,
  towers: string,
  opt: Record<string, string>,
): Promise<string | null> {
  const path = packagePath(hfDir, towers);
  if (exists(path)) return path;
  if (opt.child) throw new Error(`package ${path} missing after conversion`);
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const t0 = performance.now();
  const conv = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMS,
      SELF,
      "--convert-only",
      "--from",
      hfDir,
      "--to",
      path,
      "--towers",
      towers,
    ],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!conv.success || !exists(path)) throw new Error(`conversion of ${hfDir} failed`);
  const convertMs = performance.now() - t0;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, SELF, ...Deno.args, "--child", "--convert-ms", convertMs.toFixed(0)],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!child.success) throw new Error("measuring child failed");
  return null;
}

/** `--convert-only --from DIR --to FILE --towers T`: the conversion child. */
export async function convertOnly(opt: Record<string, string>): Promise<void> {
  const { convertCommand } = await import("../../src/cli/convert.ts");
  const code = await convertCommand([
    "--from",
    opt.from,
    "--to",
    opt.to,
    "--towers",
    opt.towers,
    "--quiet",
  ]);
  if (code !== 0) Deno.exit(code);
}
