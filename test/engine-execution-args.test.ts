import test from "ava";
import { mergedArgs } from "../src/server/execution-mapping.ts";
import { structArgs } from "./store-conformance/fixtures.ts";

/* Execution args: the instance's Struct over the task's default_args, key by key. */

test("instance args win key by key over the task's defaults; nested values are replaced whole", (t) => {
  const defaults = structArgs({ queue: "default", retries: 3, opts: { a: 1, b: 2 } });
  const own = structArgs({ retries: 5, opts: { c: 3 }, user: "ada" });
  t.deepEqual(mergedArgs(defaults, own), { queue: "default", retries: 5, opts: { c: 3 }, user: "ada" });
});

test("either side alone is sent as it is; neither means no args", (t) => {
  const defaults = structArgs({ queue: "default" });
  const own = structArgs({ user: "ada" });
  const empty = new Uint8Array();
  t.deepEqual(mergedArgs(defaults, empty), { queue: "default" });
  t.is(mergedArgs(defaults, empty), mergedArgs(defaults, empty), "defaults decoded once per task");
  t.deepEqual(mergedArgs(empty, own), { user: "ada" });
  t.is(mergedArgs(empty, empty), undefined);
});
