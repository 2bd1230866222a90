// The hosts behind io/host.ts: Deno, Node (run here through Deno's Node compatibility) and the
// host without a file system, on the same file: whole reads, random access, stat, errors, env.

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type Host, host } from "../../src/io/host.ts";
import { denoHost } from "../../src/io/host_deno.ts";
import { nodeHost } from "../../src/io/host_node.ts";
import { noFileSystemHost } from "../../src/io/host_none.ts";
import { EdgeClipError } from "../../src/errors.ts";
import { ALT_GOLDEN_DIR } from "../golden/clip_cases.ts";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

async function scratchFile(bytes: Uint8Array): Promise<string> {
  await Deno.mkdir(`${ROOT}tmp`, { recursive: true });
  const path = await Deno.makeTempFile({ dir: `${ROOT}tmp`, prefix: "host_test_" });
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("host: Deno picks the Deno host", () => {
  strictEqual(host.name, "deno");
});

for (const [name, h] of [["deno", denoHost()], ["node", nodeHost()]] as [string, Host][]) {
  Deno.test(`host ${name}: whole reads, ranges, stat, missing files, env`, async () => {
    ok(h, `${name} host not detected`);
    const bytes = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 31 + 7) & 255);
    const path = await scratchFile(bytes);
    try {
      const all = await h.readFile(path);
      deepStrictEqual(all, bytes);
      // a copy, as from Deno (a Node Buffer's slice is a view)
      const part = all.slice(0, 4);
      part[0] ^= 255;
      strictEqual(all[0], bytes[0]);
      deepStrictEqual(await h.readFile(new URL(`file://${path}`)), bytes);
      const info = await h.stat(path);
      deepStrictEqual(info, { isFile: true, isDirectory: false, size: bytes.length });
      strictEqual((await h.stat(`${ROOT}tmp`)).isDirectory, true);
      const ra = await h.open(path);
      strictEqual(ra.size, bytes.length);
      for (const [off, len] of [[0, 1], [65_535, 3], [1, 70_000], [70_000, 1], [123, 0]]) {
        const dest = new Uint8Array(len);
        await ra.read(off, dest);
        deepStrictEqual(dest, bytes.subarray(off, off + len), `${off}+${len}`);
      }
      await rejects(ra.read(69_999, new Uint8Array(4)), RangeError);
      ra.close();
      for (const call of [h.readFile, h.stat, h.open]) {
        const err = await call(`${path}.missing`).catch((e) => e);
        strictEqual(h.explain(err), "no such file");
      }
      strictEqual(h.env("PATH"), Deno.env.get("PATH"));
      strictEqual(h.env("EDGECLIP_SURELY_UNSET_VARIABLE"), undefined);
    } finally {
      await Deno.remove(path);
    }
  });
}

Deno.test("host none: every file call names the path and says to pass a URL or bytes", async () => {
  const h = noFileSystemHost();
  strictEqual(h.name, "none");
  for (const call of [h.readFile, h.stat, h.open]) {
    const err = await call("models/clip/config.json").catch((e) => e);
    ok(err instanceof EdgeClipError && err.code === "source_unavailable", String(err));
    ok(err.message.includes("models/clip/config.json"), err.message);
    ok(/no file system/.test(err.message) && /URL/.test(err.message), err.message);
    ok(/no file system; pass a URL/.test(h.explain(err)), h.explain(err));
  }
  strictEqual(h.env("PATH"), undefined);
});

Deno.test("host: under Deno, importing and using the library never wakes Deno's Node layer", async () => {
  // `globalThis.process` is a getter that boots Deno's Node compatibility layer (~5 MiB of RSS):
  // a child process traps it, then imports mod.ts, loads a model from a path and embeds an image
  const model = `${ALT_GOLDEN_DIR}/clip/model`;
  const code = `
    let touched = "";
    Object.defineProperty(globalThis, "process", {
      get() { touched ||= new Error().stack; return undefined; },
      configurable: true,
    });
    const { loadClip } = await import(${
    JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
  });
    const clip = await loadClip(${JSON.stringify(model)});
    await clip.embedImage({ data: new Uint8Array(16 * 16 * 3).fill(9), width: 16, height: 16 });
    console.log(touched || "untouched");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  ok(out.success, new TextDecoder().decode(out.stderr));
  strictEqual(text, "untouched");
});
