import type { ClaimRequest, ClaimResult, Store } from "./store.ts";

/** Told the duration of every store call, and whether it failed. */
export type StoreObserver = (operation: string, seconds: number, failed: boolean) => void;

/** Told how many instances a claim of `task` took (claims with a limit of 0 only read, and are not told). */
export type ClaimObserver = (task: string, claimed: number) => void;

const TIMED = [
  "putTask",
  "getTask",
  "listTasks",
  "deleteTask",
  "hasInstances",
  "upsertInstances",
  "removeInstances",
  "getInstance",
  "listInstances",
  "pauseInstances",
  "resumeInstances",
  "requestManualRuns",
  "claim",
  "commit",
  "release",
  "extendLeases",
  "nextDueAt",
] as const;

/**
 * Wraps a store so every operation reports its latency (for the store-latency metric), and
 * every claim its size (the claim batch metric: one call per claim, never per instance),
 * without any adapter knowing about metrics. Other members (kind, ready, healthy, close, watch) reach
 * the adapter unchanged, bound to it: adapters keep state in private class fields, which only
 * the adapter itself may be `this` for.
 */
export function instrumentStore(store: Store, observe: StoreObserver, claimed?: ClaimObserver): Store {
  const members = new Map<PropertyKey, unknown>();
  for (const operation of TIMED) {
    const method = (store as unknown as Record<string, unknown>)[operation];
    if (typeof method !== "function") continue;
    const call = method as (...args: unknown[]) => Promise<unknown>;
    members.set(operation, async (...args: unknown[]): Promise<unknown> => {
      const started = process.hrtime.bigint();
      let failed = false;
      try {
        return await call.apply(store, args);
      } catch (thrown) {
        failed = true;
        throw thrown;
      } finally {
        observe(operation, Number(process.hrtime.bigint() - started) / 1e9, failed);
      }
    });
  }
  const timedClaim = members.get("claim") as Store["claim"] | undefined;
  if (claimed !== undefined && timedClaim !== undefined) {
    members.set("claim", async (request: ClaimRequest): Promise<ClaimResult> => {
      const result = await timedClaim(request);
      if (request.limit > 0) claimed(request.task, result.claimed.length);
      return result;
    });
  }
  return new Proxy(store, {
    get(target, property) {
      const member = members.get(property);
      if (member !== undefined) return member;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      members.set(property, bound);
      return bound;
    },
  });
}
