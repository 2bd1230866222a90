// The outside programs the host tests drive (node, npm, chromium, workerd): found on PATH or where
// .ci/run installs them. Absent on a developer machine, a suite is ignored with one notice naming
// what to install; under CI (CI set) an absent tool fails the run instead.

/** The repository root (absolute, with a trailing slash). */
export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** Runs a command; returns its exit code and output (never throws for a missing program). */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: -1, stdout: "", stderr: String(e) };
  }
}

/** Like run(), but throws with the output when the command fails. */
export async function must(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

const noticed = new Set<string>();

/**
 * Whether `tool` (found by `probe` succeeding) is there. When it is not: under CI, throws; else
 * prints one notice for the suite and returns false, so its tests show as ignored.
 */
export async function have(tool: string, probe: () => Promise<boolean>, hint: string) {
  if (await probe()) return true;
  if (Deno.env.get("CI")) throw new Error(`CI must provide ${tool} (${hint})`);
  if (!noticed.has(tool)) {
    noticed.add(tool);
    console.log(`NOTICE: ${tool} is absent, so its host tests are ignored; ${hint}`);
  }
  return false;
}

/** Node ≥ 20 and npm on PATH. */
export function haveNode(): Promise<boolean> {
  return have("node ≥ 20 with npm", async () => {
    const v = await run("node", ["--version"]);
    const major = Number(/^v(\d+)/.exec(v.stdout)?.[1] ?? 0);
    return major >= 20 && (await run("npm", ["--version"])).code === 0;
  }, "install Node 20 or newer to run them");
}

/** A temporary folder under the repository's git-ignored tmp/ (tests may write only under .). */
export async function scratch(prefix: string): Promise<string> {
  await Deno.mkdir(`${ROOT}tmp`, { recursive: true });
  return await Deno.makeTempDir({ dir: `${ROOT}tmp`, prefix });
}

/** Polls `url` until it answers (any status) or `ms` pass. */
export async function waitForHttp(url: string, ms: number, alive?: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      return;
    } catch {
      if (Date.now() > end || (alive && !alive())) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
