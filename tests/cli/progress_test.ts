// The CLI's progress line: a bar with percent and sizes, or a byte count when the total is unknown.

import { strictEqual } from "node:assert/strict";
import { progressLine } from "../../src/cli/progress.ts";

Deno.test("cli progress: the bar fills with the bytes loaded", () => {
  const MB = 2 ** 20;
  strictEqual(
    progressLine({ file: "model.safetensors", loaded: 0, total: 600 * MB }),
    `model.safetensors [${"-".repeat(30)}]   0%  0.0/600 MB`,
  );
  strictEqual(
    progressLine({ file: "model.safetensors", loaded: 300 * MB, total: 600 * MB }),
    `model.safetensors [${"#".repeat(15)}${"-".repeat(15)}]  50%  300/600 MB`,
  );
  strictEqual(
    progressLine({ file: "m", loaded: 600 * MB, total: 600 * MB }),
    `m [${"#".repeat(30)}] 100%  600/600 MB`,
  );
  strictEqual(progressLine({ file: "m", loaded: 5 * MB, total: undefined }), "m 5.0 MB");
});
