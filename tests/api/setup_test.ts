// API.md writes blocks as calls: Stack(...children), Average(...children, { weights }).

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  adapterSetupFromDict,
  Average,
  BatchSplit,
  EdgeClipError,
  Fuse,
  Split,
  Stack,
} from "../../mod.ts";

Deno.test("composition blocks are callable without new and with new", () => {
  const a = Stack("a", "b");
  const b = new Stack("a", "b");
  ok(a instanceof Stack && b instanceof Stack);
  strictEqual(a.type, "Stack");
  deepStrictEqual(a.children, b.children);
  const avg = Average("a", "b", { weights: [1, 3] });
  deepStrictEqual([...avg.weights], [0.25, 0.75]);
  ok(Fuse("a", "b") instanceof Fuse);
  ok(BatchSplit("a", "b", { batchSizes: [1, 2] }) instanceof BatchSplit);
  ok(Split("a", "b", { splits: [3, 4] }) instanceof Split);
  const d = adapterSetupFromDict({
    type: "Stack",
    children: [{ type: "single", children: ["x"] }],
  });
  ok(d instanceof Stack || typeof d === "string");
  throws(() => Stack(), (e) => e instanceof EdgeClipError);
});
