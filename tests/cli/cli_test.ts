// The CLI as a subprocess: outputs and exit codes (0 ok, 1 model/input error, 2 usage error).

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { loadClip } from "../../mod.ts";
import { goldenPath } from "../_util/golden.ts";
import { noStack, runCli, scratchDir } from "./_run.ts";

const MODEL = goldenPath("clip", "model");
const IMAGES = goldenPath("images");
const PNGS = IMAGES
  ? [...Deno.readDirSync(IMAGES)].map((e) => e.name).filter((n) => n.endsWith(".png")).sort()
    .map((n) => `${IMAGES}/${n}`)
  : [];
const ignore = !MODEL || PNGS.length < 2;

Deno.test(
  { name: "cli: embed prints JSON lines equal to the library's, in order", ignore },
  async () => {
    const clip = await loadClip(MODEL!);
    const r = await runCli([
      "embed",
      "--model",
      MODEL!,
      "--text",
      "a cat",
      PNGS[0],
      "--text",
      "",
      PNGS[1],
    ]);
    strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const [t0, t1] = await clip.embedText(["a cat", ""]);
    const [i0, i1] = await clip.embedImage([PNGS[0], PNGS[1]]);
    deepStrictEqual(lines, [
      { index: 0, text: "a cat", embedding: Array.from(t0) },
      { index: 1, file: PNGS[0], embedding: Array.from(i0) },
      { index: 2, text: "", embedding: Array.from(t1) },
      { index: 3, file: PNGS[1], embedding: Array.from(i1) },
    ]);
    const raw = await runCli(["embed", "--model", MODEL!, "--no-normalize", "--text", "a cat"]);
    const [u] = await clip.embedText("a cat", { normalize: false });
    deepStrictEqual(JSON.parse(raw.stdout).embedding, Array.from(u));
  },
);

Deno.test(
  { name: "cli: embed over a folder: progress, bad files reported, exit 1", ignore },
  async () => {
    const dir = await scratchDir();
    try {
      await Deno.mkdir(`${dir}/sub`);
      for (let i = 0; i < 8; i++) {
        await Deno.copyFile(
          PNGS[i % PNGS.length],
          `${dir}/sub/img${i}.png`,
        );
      }
      await Deno.writeTextFile(`${dir}/broken.png`, "not a png");
      await Deno.writeTextFile(`${dir}/notes.txt`, "skipped: not an image name");
      const r = await runCli(["embed", "--model", MODEL!, dir]);
      strictEqual(r.code, 1, r.stderr);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      deepStrictEqual(
        lines.map((l) => l.file),
        Array.from({ length: 8 }, (_, i) => `${dir}/sub/img${i}.png`),
      );
      deepStrictEqual(lines.map((l) => l.index), [1, 2, 3, 4, 5, 6, 7, 8]);
      ok(r.stderr.includes(`${dir}/broken.png`) && /image_decode/.test(r.stderr), r.stderr);
      ok(/9\/9/.test(r.stderr), `progress: ${r.stderr}`);
      ok(/1 of 9/.test(r.stderr) && noStack(r.stderr), r.stderr);
      const quiet = await runCli(["embed", "--model", MODEL!, "--quiet", `${dir}/sub`]);
      strictEqual(quiet.code, 0);
      strictEqual(quiet.stderr, "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test({ name: "cli: usage errors exit 2, model errors exit 1", ignore }, async () => {
  const usage: string[][] = [
    [],
    ["nope"],
    ["embed", "--model", MODEL!],
    ["embed", "--text", "x"],
    ["embed", "--model", MODEL!, "--text"],
    ["embed", "--model", MODEL!, "--bogus", "--text", "x"],
    ["embed", "--model", MODEL!, "--dtype", "f16", "--text", "x"],
    ["classify", "--model", MODEL!, PNGS[0]],
    ["classify", "--model", MODEL!, PNGS[0], "--labels", "cat,,dog"],
    ["classify", "--model", MODEL!, PNGS[0], "--labels", "cat", "--template", "no slot"],
    ["classify", "--model", MODEL!, PNGS[0], "--labels", "cat", "--top-k", "0"],
    ["classify", "--model", MODEL!, "--labels", "cat"],
    ["serve", "--model", MODEL!, "--port", "70000"],
    ["serve", "--model", MODEL!, "--port", "http"],
  ];
  for (const args of usage) {
    const r = await runCli(args);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    ok(/usage:/.test(r.stderr) && noStack(r.stderr), r.stderr);
  }
  const runtime: string[][] = [
    ["embed", "--model", "/nonexistent/model", "--text", "x"],
    ["embed", "--model", MODEL!, "/nonexistent.png"],
    ["classify", "--model", MODEL!, "--labels", "a,b", "/nonexistent.png"],
    ["embed", "--model", MODEL!, "--adapter", "/nonexistent/adapter", "--text", "x"],
    ["embed", "--model", MODEL!, "--dtype", "int8", "--text", "x"],
  ];
  for (const args of runtime) {
    const r = await runCli(args);
    if (args.includes("int8") && r.code === 0) continue; // int8 loading has landed
    strictEqual(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    ok(/^error: .+\[[a-z_]+\]$/m.test(r.stderr) && noStack(r.stderr), r.stderr);
  }
  for (const args of [["--help"], ["embed", "--help"], ["serve", "-h"], ["help"]]) {
    const r = await runCli(args);
    strictEqual(r.code, 0);
    ok(/usage:/.test(r.stdout));
  }
});

Deno.test({ name: "cli: classify prints ranked labels per image", ignore }, async () => {
  const clip = await loadClip(MODEL!);
  const labels = ["cat", "dog", "bird"];
  const templates = ["a photo of a {}.", "art of a {}"];
  const args = ["classify", "--model", MODEL!, PNGS[0], PNGS[1], "--labels", "cat, dog,bird"];
  const r = await runCli([
    ...args,
    "--template",
    templates[0],
    "--template",
    templates[1],
    "--top-k",
    "2",
  ]);
  strictEqual(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  deepStrictEqual(lines, [
    {
      file: PNGS[0],
      results: await clip.classify(PNGS[0], labels, { template: templates, topK: 2 }),
    },
    {
      file: PNGS[1],
      results: await clip.classify(PNGS[1], labels, { template: templates, topK: 2 }),
    },
  ]);
});

Deno.test(
  { name: "cli: classify --template-preset runs a preset's prompt ensemble", ignore },
  async () => {
    const clip = await loadClip(MODEL!);
    const labels = ["cat", "dog"];
    const base = ["classify", "--model", MODEL!, PNGS[0], "--labels", "cat,dog"];
    const r = await runCli([...base, "--template-preset", "clip-imagenet-7"]);
    strictEqual(r.code, 0, r.stderr);
    deepStrictEqual(JSON.parse(r.stdout), {
      file: PNGS[0],
      results: await clip.classify(PNGS[0], labels, { template: "clip-imagenet-7" }),
    });
    for (
      const extra of [
        ["--template-preset", "imagenet"],
        ["--template-preset", "clip-imagenet-7", "--template", "a {}"],
      ]
    ) {
      const bad = await runCli([...base, ...extra]);
      strictEqual(bad.code, 2, bad.stderr);
      ok(/template/.test(bad.stderr) && noStack(bad.stderr), bad.stderr);
    }
    clip.dispose();
  },
);

Deno.test({
  name: "cli: a package runs int8 without --dtype; an explicit --dtype it cannot run is refused",
  ignore,
}, async () => {
  const dir = await scratchDir();
  try {
    const pkg = `${dir}/tiny.safetensors`;
    const conv = await runCli(["convert", "--from", MODEL!, "--to", pkg, "--quiet"]);
    strictEqual(conv.code, 0, conv.stderr);
    const base = ["classify", "--model", pkg, PNGS[0], "--labels", "cat,dog"];
    const want = await (await loadClip(pkg)).classify(PNGS[0], ["cat", "dog"]);
    for (const extra of [[], ["--dtype", "int8"]]) {
      const r = await runCli([...base, ...extra]);
      strictEqual(r.code, 0, r.stderr);
      deepStrictEqual(JSON.parse(r.stdout).results, want);
    }
    const f32 = await runCli([...base, "--dtype", "f32"]);
    strictEqual(f32.code, 1, f32.stderr);
    ok(/int8 edgeclip package/.test(f32.stderr) && noStack(f32.stderr), f32.stderr);
    // a Hugging Face folder still runs f32 by default
    const folder = await runCli(["embed", "--model", MODEL!, "--text", "x"]);
    strictEqual(folder.code, 0, folder.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({ name: "cli: convert --help is full; --to a directory is a usage error" }, async () => {
  const help = await runCli(["convert", "--help"]);
  strictEqual(help.code, 0);
  for (const flag of ["--from", "--to", "--towers", "--dtype", "--adapter", "--merge", "--quiet"]) {
    ok(help.stdout.includes(`  ${flag}`), `${flag} missing from:\n${help.stdout}`);
  }
  const dir = await scratchDir();
  try {
    for (const to of [dir, `${dir}/`]) {
      const r = await runCli(["convert", "--from", MODEL ?? dir, "--to", to]);
      strictEqual(r.code, 2, r.stderr);
      ok(/is a directory/.test(r.stderr) && !/os error/.test(r.stderr), r.stderr);
    }
    const r = await runCli(["convert", "--from", MODEL ?? dir, "--to", `${dir}/no/such/p.st`]);
    strictEqual(r.code, 1, r.stderr);
    ok(/folder does not exist/.test(r.stderr) && !/os error/.test(r.stderr), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: flag errors are balanced sentences; a near miss suggests the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["classify", "--modl", "m"], /^error: unknown flag --modl \(did you mean --model\?\)$/m],
    [["serve", "--prot", "1"], /^error: unknown flag --prot \(did you mean --port\?\)$/m],
    [["embed", "--txt", "a"], /did you mean --text\?/],
    [
      ["embed", "-x"],
      /^error: unknown flag -x \(an argument that starts with "-" goes after "--"\)$/m,
    ],
    [["classify", "--model"], /^error: --model needs a value$/m],
    [["classify", "--quiet=yes"], /^error: --quiet takes no value$/m],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    strictEqual(r.code, 2, r.stderr);
    const first = r.stderr.split("\n")[0];
    ok(re.test(r.stderr), r.stderr);
    for (const q of ["'", '"']) ok(first.split(q).length % 2 === 1, `unbalanced ${q}: ${first}`);
    strictEqual(first.split("(").length, first.split(")").length, first);
  }
});
