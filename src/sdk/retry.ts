import * as grpc from "@grpc/grpc-js";
import { toPartituraError } from "./errors.ts";

/** How an idempotent call is retried on UNAVAILABLE. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4; 1 turns retries off. */
  readonly attempts?: number;
  /** First backoff; doubles each time. Default 100 ms. */
  readonly initialMs?: number;
  /** Longest backoff. Default 2,000 ms. */
  readonly maxMs?: number;
}

/** The delay before retry number `n` (0-based): exponential with full jitter. */
export function backoffMs(n: number, options: RetryOptions = {}): number {
  return jittered(Math.min(options.maxMs ?? 2_000, (options.initialMs ?? 100) * 2 ** n));
}

/**
 * A delay between half of `capMs` and all of it, uniformly. The jitter spreads a crowd of
 * clients that lost the same server (a replica restarted under hundreds of workers) over the
 * window instead of sending them back at one instant.
 */
export function jittered(capMs: number): number {
  return Math.round(capMs / 2 + (Math.random() * capMs) / 2);
}

/**
 * Runs `call`, retrying on UNAVAILABLE with backoff; every failure comes out as a
 * PartituraError. Only for calls that are safe to repeat.
 */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 4);
  for (let n = 0; ; n++) {
    try {
      return await call();
    } catch (thrown) {
      const error = toPartituraError(thrown);
      if (error.code !== grpc.status.UNAVAILABLE || n + 1 >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(n, options)));
    }
  }
}
