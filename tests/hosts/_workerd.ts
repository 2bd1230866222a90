// workerd driving for the host test and the host benchmark: the pinned binary, the Worker example
// built against an installed npm package, and a workerd process serving it on 127.0.0.1.

import { must, ROOT } from "./_tools.ts";

const EXAMPLE = `${ROOT}examples/cloudflare-worker/`;

/** The example bundled against the package installed in `project`; returns its folder. */
export async function buildWorker(project: string): Promise<string> {
  const worker = `${project}/worker`;
  await Deno.remove(worker, { recursive: true }).catch(() => {});
  await Deno.mkdir(worker);
  for (const f of ["worker.js", "config.capnp", "build.ts"]) {
    await Deno.copyFile(EXAMPLE + f, `${worker}/${f}`);
  }
  await must(Deno.execPath(), ["run", "-A", "build.ts"], { cwd: worker });
  return worker;
}

/** The workerd binary of the version deno.json pins, from Deno's npm cache. */
export async function workerdBinary(): Promise<string> {
  const spec: string = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).imports.workerd;
  const version = spec.slice(spec.lastIndexOf("@") + 1);
  const os = { linux: "linux", darwin: "darwin", windows: "windows" }[Deno.build.os as string];
  const arch = { x86_64: "64", aarch64: "arm64" }[Deno.build.arch];
  const info = JSON.parse(await must(Deno.execPath(), ["info", "--json"]));
  const exe = Deno.build.os === "windows" ? "workerd.exe" : "workerd";
  return `${info.npmCache}/registry.npmjs.org/@cloudflare/workerd-${os}-${arch}/${version}/bin/${exe}`;
}

/** The pinned workerd binary (present once `deno install` has cached the npm package). */
export const WORKERD: string = await workerdBinary();

/** A free port on 127.0.0.1 (workerd takes its socket address on the command line). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/**
 * Runs workerd on `config` until `use` returns; `use` gets the base URL, the spawn time and the
 * process id.
 * Returns what workerd printed.
 */
export async function withWorkerd(
  dir: string,
  config: string,
  env: Record<string, string>,
  use: (base: string, started: number, pid: number) => Promise<void>,
): Promise<string> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(WORKERD, {
    args: ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`],
    cwd: dir,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  let failure: unknown;
  try {
    await use(`http://127.0.0.1:${port}`, started, child.pid);
  } catch (e) {
    failure = e;
  }
  try {
    child.kill();
  } catch { /* already gone */ }
  await child.status;
  const said = (await log).join("\n");
  if (failure) throw new Error(`${failure}\nworkerd said:\n${said}`);
  return said;
}

/** POSTs `body` to /v1/embeddings, retrying while workerd is not listening yet. */
export async function postWhenUp(base: string, body: unknown): Promise<Response> {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      return await fetch(`${base}/v1/embeddings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
