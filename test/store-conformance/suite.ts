import test from "ava";
import { boundsCases } from "./bounds.ts";
import { claimCases } from "./claim.ts";
import { commitCases } from "./commit.ts";
import { dataCases } from "./data.ts";
import { deadLetterCases } from "./dead-letters.ts";
import { extendCases } from "./extend.ts";
import { fencingCases } from "./fencing.ts";
import type { OpenStore, StoreCases } from "./fixtures.ts";
import { jitterCases } from "./jitter.ts";
import { lifecycleCases } from "./lifecycle.ts";
import { manualCases } from "./manual.ts";
import { memberCases } from "./members.ts";
import { nextDueCases } from "./next-due.ts";
import { pagingCases } from "./paging.ts";
import { pauseCases } from "./pause.ts";
import { releaseCases } from "./release.ts";
import { runCases } from "./runs.ts";
import { taskCases } from "./tasks.ts";
import { upsertCases } from "./upsert.ts";
import { watchCases } from "./watch.ts";

export type { OpenStore } from "./fixtures.ts";

/** Every case of the Store contract, by concern. */
export const CONFORMANCE_CASES: Readonly<Record<string, StoreCases>> = {
  tasks: taskCases,
  upsert: upsertCases,
  paging: pagingCases,
  claim: claimCases,
  commit: commitCases,
  release: releaseCases,
  extend: extendCases,
  fencing: fencingCases,
  "next due": nextDueCases,
  data: dataCases,
  lifecycle: lifecycleCases,
  watch: watchCases,
  pause: pauseCases,
  manual: manualCases,
  "dead letters": deadLetterCases,
  runs: runCases,
  jitter: jitterCases,
  bounds: boundsCases,
  members: memberCases,
};

/**
 * Registers the Store conformance suite as ava tests titled `label › concern › case`. Each
 * test calls `open()` for a fresh, empty store (its own file, key namespace or table), awaits
 * `ready()`, runs, and closes the store even when the case fails. Call it once per adapter
 * configuration from a test file, at module level:
 *
 *   registerConformance("redis", () => openRedisStore({ url, namespace: uniqueNamespace() }));
 */
export function registerConformance(label: string, open: OpenStore): void {
  for (const [concern, cases] of Object.entries(CONFORMANCE_CASES)) {
    for (const [title, body] of Object.entries(cases)) {
      test(`${label} › ${concern} › ${title}`, async (t) => {
        const store = await open();
        try {
          await store.ready();
          await body(t, store);
        } finally {
          await store.close();
        }
      });
    }
  }
}
