import type { Delivery, DeliverySink } from "../../src/engine/delivery.ts";
import type { Engine } from "../../src/engine/engine.ts";

/**
 * A fast in-process worker for engine-level tests: records each delivery as
 * `instance@scheduledAt` in `seen` and acks its batch at once through `engine()`; any ack that
 * is not "ok" (or fails) lands in `failures`.
 */
export function ackingSink(engine: () => Engine, seen: string[], failures: unknown[]): DeliverySink {
  return {
    send(batch: readonly Delivery[]) {
      for (const d of batch) seen.push(`${d.instance}@${d.scheduledAt}`);
      engine()
        .ack(batch.map((d) => ({ leaseId: d.leaseId, failed: false })))
        .then(
          (statuses) => {
            for (const status of statuses) if (status !== "ok") failures.push(status);
          },
          (error: unknown) => failures.push(error),
        );
    },
    end() {},
  };
}

/** Waits (on the wall clock) until `condition` holds; throws naming `what` after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
