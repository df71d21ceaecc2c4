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
