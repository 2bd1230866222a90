// `deno task demo`, the README's main job, as a subprocess: on the repository alone (the embedded
// shapes model, its samples and its adapter) and with a model and labels of the caller's.

import { ok, strictEqual } from "node:assert/strict";
import { goldenPath } from "../_util/golden.ts";
import { noStack, runCli } from "./_run.ts";

Deno.test("cli: demo classifies the samples with and without the hexagon adapter", async () => {
  const r = await runCli(["demo"]);
  strictEqual(r.code, 0, r.stderr);
  ok(r.stdout.includes("clip-shapes-int8.safetensors (int8;"), r.stdout);
  const rows = r.stdout.split("\n").filter((l) => /^ {2}\d+_\w+\.(png|jpg) /.test(l));
  strictEqual(rows.length, 9, r.stdout);
  // each row: the answer without the adapter, then with it, each marked against the file name
  for (const row of rows) strictEqual([...row.matchAll(/[✓✗]/g)].length, 2, row);
  const hexagons = rows.filter((l) => l.includes("_hexagon."));
  // marks per row: [without, with]; the adapter is what names hexagons
  const marks = hexagons.map((l) => [...l.matchAll(/[✓✗]/g)].map((m) => m[0]));
  const named = (col: number) => marks.filter((m) => m[col] === "✓").length;
  ok(
    named(1) >= 2 && named(1) > named(0),
    `hexagons named ${named(0)} → ${named(1)}:\n${r.stdout}`,
  );
  ok(/Text search/.test(r.stdout) && /ms per image/.test(r.stdout), r.stdout);
});

Deno.test("cli: demo refuses bad arguments with a message, no stack", async () => {
  const extra = await runCli(["demo", "extra"]);
  strictEqual(extra.code, 2);
  const noLabels = await runCli(["demo", "--model", "some/model"]);
  strictEqual(noLabels.code, 2);
  ok(/--labels/.test(noLabels.stderr) && noStack(noLabels.stderr), noLabels.stderr);
  const noImages = await runCli(["demo", "--images", "/nonexistent/images"]);
  strictEqual(noImages.code, 1);
  ok(noStack(noImages.stderr), noImages.stderr);
});

const MODEL = goldenPath("clip", "model"), IMAGES = goldenPath("images");
Deno.test({
  name: "cli: demo runs a model and labels of the caller's",
  ignore: !MODEL || !IMAGES,
  async fn() {
    const r = await runCli(["demo", "--model", MODEL!, "--images", IMAGES!, "--labels", "a,b"]);
    strictEqual(r.code, 0, r.stderr);
    ok(/over 2 labels/.test(r.stdout) && !/Text search/.test(r.stdout), r.stdout);
  },
});
