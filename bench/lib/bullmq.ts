import type { ConnectionOptions, Queue } from "bullmq";
import { connect, deleteContaining, freshNamespace } from "./redis.ts";

/*
 * BullMQ runs on the same Redis, in a key prefix of its own (BullMQ's `prefix` option), and
 * the prefix is deleted afterwards. Its Worker needs `maxRetriesPerRequest: null`.
 */

/** Connection options for BullMQ from a redis:// URL. */
export function bullmqConnection(url: string): ConnectionOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    maxRetriesPerRequest: null,
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

/** A fresh BullMQ prefix for one scenario, and its clean-up. */
export function bullmqPrefix(
  scenario: string,
  redisUrl: string,
): { prefix: string; cleanup(): Promise<void> } {
  const prefix = freshNamespace(`bullmq-${scenario}`);
  return {
    prefix,
    cleanup: async () => {
      const redis = connect(redisUrl);
      try {
        await deleteContaining(redis, prefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** The slot a job scheduler's job stands for: its id is `repeat:<scheduler id>:<slot ms>`. */
export function slotOfJobId(id: string | undefined): number {
  return Number(id?.slice(id.lastIndexOf(":") + 1));
}

/**
 * Upserts `count` job schedulers, `concurrency` calls in flight (there is no batch call);
 * `repeat(i)` gives each one's repeat options.
 */
export async function upsertSchedulers(
  queue: Queue,
  count: number,
  concurrency: number,
  repeat: (i: number) => { every: number; startDate?: number },
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await queue.upsertJobScheduler(`s${i}`, repeat(i), {
        name: "tick",
        data: { user: `u${i}` },
        opts: { removeOnComplete: true, removeOnFail: true },
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return (performance.now() - started) / 1000;
}
