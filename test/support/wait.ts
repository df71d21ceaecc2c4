import { setTimeout as sleep } from "node:timers/promises";

/*
 * Waiting on real processes: the one place tests poll a condition. `waitFor` answers whether it
 * held in time (the test then asserts what it saw); `until` fails the test, naming what it
 * waited for.
 */

/** Polls `condition` every `everyMs` until it holds or `ms` pass; resolves to whether it held. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms = 15_000,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Polls `condition` until it holds; throws "`what`: not within N ms" when `ms` pass first. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  if (!(await waitFor(condition, ms))) throw new Error(`${what}: not within ${ms} ms`);
}
