// The npm package as a user gets it: `deno task build:npm`, `npm pack`, then `npm install` of the
// tarball into a fresh project (offline: the package has no dependencies). Built once per content
// of its sources: the host test files share tmp/hosts/<hash>/ instead of rebuilding each time.

import { must, ROOT, run } from "./_tools.ts";

/** An installed package. */
export interface Installed {
  /** The project that installed it (node_modules/edgeclip inside). */
  readonly project: string;
  /** The installed package folder. */
  readonly pkg: string;
  /** The packed tarball and its size in bytes. */
  readonly tarball: string;
  readonly tarballBytes: number;
}

/** Files whose content the package depends on. */
function* sources(dir = ROOT, rel = ""): Generator<string> {
  for (const e of [...Deno.readDirSync(dir + rel)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const p = rel + e.name;
    if (e.isDirectory) {
      if (rel === "" && !["src", "tools"].includes(e.name)) continue;
      yield* sources(dir, `${p}/`);
    } else if (rel !== "" || ["mod.ts", "server.ts", "deno.json", "README.md"].includes(e.name)) {
      yield p;
    }
  }
}

async function contentHash(): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const f of sources()) {
    parts.push(new TextEncoder().encode(f), await Deno.readFile(ROOT + f));
  }
  const all = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(d.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function build(dir: string): Promise<Installed> {
  const npm = `${dir}/npm`;
  await must(Deno.execPath(), ["run", "-A", `${ROOT}tools/npm/build.ts`, "--out", npm]);
  const packed = JSON.parse(
    await must("npm", ["pack", "--json", "--pack-destination", dir], { cwd: npm }),
  );
  const tarball = `${dir}/${packed[0].filename}`;
  const project = `${dir}/project`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(
    `${project}/package.json`,
    JSON.stringify({ name: "edgeclip-host-test", private: true, type: "module" }),
  );
  await must("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], {
    cwd: project,
  });
  return {
    project,
    pkg: `${project}/node_modules/edgeclip`,
    tarball,
    tarballBytes: (await Deno.stat(tarball)).size,
  };
}

/** The package built from the current sources, installed in a fresh project. */
export async function installedPackage(): Promise<Installed> {
  const base = `${ROOT}tmp/hosts`;
  const hash = await contentHash();
  const dir = `${base}/${hash}`;
  const done = `${dir}/installed.json`;
  try {
    return JSON.parse(await Deno.readTextFile(done));
  } catch { /* not built yet */ }
  await Deno.mkdir(base, { recursive: true });
  for (const e of Deno.readDirSync(base)) {
    await Deno.remove(`${base}/${e.name}`, { recursive: true }); // builds of older sources
  }
  await Deno.mkdir(dir);
  const installed = await build(dir);
  await Deno.writeTextFile(done, JSON.stringify(installed));
  return installed;
}

/** Runs `node` on a script inside the installed project. */
export function node(installed: Installed, args: string[], env: Record<string, string> = {}) {
  return run("node", args, { cwd: installed.project, env });
}
