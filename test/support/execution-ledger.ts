import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Clients } from "./clients.ts";
import { waitFor } from "./wait.ts";

/*
 * The ledger of a fault test: every (instance, slot) a Worker's handler started, whatever the
 * SDK. The test schedules one-off instances (one slot each, so the expected set is exact and an
 * instance left over after the run is an ack that never landed), breaks something while
 * executions are in flight, and checks the ledger: every slot ran, and a slot that ran twice
 * is explained only by a lease that expired, i.e. the repeat started after the first
 * delivery's lease ran out. Tests whose leases outlast the whole run therefore allow no
 * duplicate at all.
 */

/** One handler start, as the worker saw it. */
export interface LedgerEntry {
  readonly instance: string;
  /** The slot (scheduled_at), epoch ms. */
  readonly slot: number;
  readonly attempt: number;
  /** When the handler started, epoch ms (wall clock of the same machine). */
  readonly at: number;
  /** The lease expiry the delivery carried, epoch ms. */
  readonly leaseExpiresAt: number;
}

/** What a ledger shows against the slots that were scheduled. */
export interface LedgerCheck {
  /** Scheduled slots that never ran. */
  readonly missing: string[];
  /** Repeats that started before the earlier delivery's lease expired: a real duplicate. */
  readonly unexplained: LedgerEntry[];
  /** Repeats after an expired lease (at-least-once allows them). */
  readonly expired: LedgerEntry[];
}

const key = (instance: string, slot: number) => `${instance}@${new Date(slot).toISOString()}`;

/** Compares a ledger with the scheduled (instance, slot) pairs. */
export function checkLedger(
  entries: readonly LedgerEntry[],
  scheduled: readonly { readonly instance: string; readonly slot: number }[],
): LedgerCheck {
  const runs = new Map<string, LedgerEntry[]>();
  for (const entry of [...entries].sort((a, b) => a.at - b.at)) {
    const k = key(entry.instance, entry.slot);
    runs.set(k, [...(runs.get(k) ?? []), entry]);
  }
  const missing = scheduled.map((s) => key(s.instance, s.slot)).filter((k) => !runs.has(k));
  const unexplained: LedgerEntry[] = [];
  const expired: LedgerEntry[] = [];
  for (const list of runs.values()) {
    list.forEach((entry, i) => {
      if (i === 0) return;
      // Every earlier holder's lease must have run out (a heartbeat only makes it later).
      const explained = list.slice(0, i).every((earlier) => entry.at >= earlier.leaseExpiresAt);
      (explained ? expired : unexplained).push(entry);
    });
  }
  return { missing, unexplained, expired };
}

/** The one-offs of a fault test: `count` instances due `spacingMs` apart from `startMs`. */
export function oneOffs(count: number, startMs: number, spacingMs: number) {
  return Array.from({ length: count }, (_, i) => ({ instance: `item-${i}`, slot: startMs + i * spacingMs }));
}

/** Schedules the one-offs (in one call) on `task`. */
export async function scheduleOneOffs(
  clients: Pick<Clients, "scheduler">,
  task: string,
  slots: readonly { readonly instance: string; readonly slot: number }[],
): Promise<void> {
  await clients.scheduler.schedule({
    task,
    instances: slots.map((s) => ({
      name: s.instance,
      schedule: { kind: { case: "at" as const, value: timestampFromMs(s.slot) } },
    })),
  });
}

/** Waits until no instance of `task` is left (every one-off acked); resolves to whether none is. */
export function allAcked(clients: Pick<Clients, "scheduler">, task: string, ms = 20_000): Promise<boolean> {
  return waitFor(
    async () => {
      const { instances } = await clients.scheduler.listInstances({ task }).catch(() => ({ instances: [1] }));
      return instances.length === 0;
    },
    ms,
    100,
  );
}
