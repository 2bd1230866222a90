// --model as a Hub id from the command line: downloaded into --cache-dir, then --offline from the
// cache alone; --revision reaches the URL (a missing one is a clear error, exit 1).

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { goldenPath } from "../_util/golden.ts";
import { startMockHub } from "../_util/mock_hub.ts";
import { noStack, runCli, scratchDir } from "./_run.ts";

const MODEL = goldenPath("clip", "model");

Deno.test(
  { name: "cli: a Hub id is cached by --cache-dir and read back --offline", ignore: !MODEL },
  async () => {
    const dir = await scratchDir();
    const hub = await startMockHub({ repos: { "org/clip": { dir: MODEL! } } });
    try {
      const embed = ["embed", "--model", "org/clip", "--cache-dir", `${dir}/cache`, "--quiet"];
      const first = await runCli([...embed, "--text", "a cat"], { HF_ENDPOINT: hub.url });
      strictEqual(first.code, 0, first.stderr);
      const local = await runCli(["embed", "--model", MODEL!, "--text", "a cat", "--quiet"]);
      deepStrictEqual(JSON.parse(first.stdout), JSON.parse(local.stdout));
      const downloads = hub.log.length;

      // offline, against an endpoint nothing listens on: only the cache can answer
      const offline = await runCli([...embed, "--offline", "--text", "a cat"], {
        HF_ENDPOINT: "http://127.0.0.1:9",
      });
      strictEqual(offline.code, 0, offline.stderr);
      deepStrictEqual(JSON.parse(offline.stdout), JSON.parse(local.stdout));
      strictEqual(hub.log.length, downloads);

      const missing = await runCli([...embed, "--revision", "v9", "--text", "a cat"], {
        HF_ENDPOINT: hub.url,
      });
      strictEqual(missing.code, 1, missing.stderr);
      ok(/resolve\/v9\/.*HTTP 404/.test(missing.stderr) && noStack(missing.stderr), missing.stderr);
      ok(hub.log.some((l) => l.path.includes("/resolve/v9/")));
    } finally {
      await hub.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
