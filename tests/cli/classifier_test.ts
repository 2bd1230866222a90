// convert --classifier and classify without --labels, end to end through the command line; and
// the server's /v1/classify without labels on the package made.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { createHandler } from "../../server.ts";
import { goldenPath } from "../_util/golden.ts";
import { answer, dataUrl, post } from "../server/_helpers.ts";
import { noStack, runCli, scratchDir } from "./_run.ts";

const MODEL = goldenPath("clip", "model");
const PNG = goldenPath("images", "la_200x150.png");
const ignore = !MODEL || !PNG;

Deno.test(
  { name: "cli: convert --classifier, then classify and serve without labels", ignore },
  async () => {
    const dir = await scratchDir();
    try {
      const labels = ["cat", "dog", "a red square"];
      await Deno.writeTextFile(
        `${dir}/labels.txt`,
        `${labels[0]}\n\n ${labels[1]} \r\n${labels[2]}\n`,
      );
      const out = `${dir}/c.safetensors`;
      const base = ["convert", "--from", MODEL!, "--to", out, "--classifier", `${dir}/labels.txt`];
      const made = await runCli([...base, "--template", "a {}.", "--template", "the {}", "-q"]);
      strictEqual(made.code, 0, made.stderr);
      const line = JSON.parse(made.stdout);
      strictEqual(line.towers, "vision");
      strictEqual(line.labels, 3);
      const full = await loadClip(MODEL!, { dtype: "int8" });
      const want = await full.classify(PNG!, labels, { template: ["a {}.", "the {}"], topK: 2 });
      const r = await runCli(["classify", "--model", out, PNG!, "--top-k", "2"]);
      strictEqual(r.code, 0, r.stderr);
      deepStrictEqual(JSON.parse(r.stdout), { file: PNG, results: want });
      // text on a classifier package: a model error naming the code
      const text = await runCli(["classify", "--model", out, PNG!, "--labels", "cat"]);
      strictEqual(text.code, 1, text.stderr);
      ok(/\[tower_missing\]/.test(text.stderr) && noStack(text.stderr), text.stderr);
      // templates without labels, or for a convert without --classifier: usage errors
      for (
        const args of [
          ["classify", "--model", out, PNG!, "--template", "a {}"],
          [...base, "--towers", "text"],
          ["convert", "--from", MODEL!, "--to", out, "--template-preset", "clip-imagenet-7"],
          [...base.slice(0, -1), `${dir}/none.txt`],
        ]
      ) {
        const bad = await runCli(args);
        ok(bad.code !== 0 && noStack(bad.stderr), `${args.join(" ")}: ${bad.stderr}`);
      }
      const handler = createHandler(await loadClip(out), { modelName: "c" });
      const res = await answer(
        await handler(post("/v1/classify", { image: dataUrl(PNG!), topK: 2 })),
      );
      strictEqual(res.status, 200);
      deepStrictEqual(res.body.results, want);
      const asked = await answer(
        await handler(post("/v1/classify", { image: dataUrl(PNG!), labels: ["cat"] })),
      );
      strictEqual(asked.status, 400);
      strictEqual(asked.body.error.code, "tower_missing");
      const health = await answer(await handler(new Request("http://localhost/healthz")));
      strictEqual(health.body.labels, 3);
      // a full model still needs labels
      const fullHandler = createHandler(full, { modelName: "f" });
      const none = await answer(await fullHandler(post("/v1/classify", { image: dataUrl(PNG!) })));
      strictEqual(none.status, 400);
      strictEqual(none.body.error.code, "invalid_input");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
