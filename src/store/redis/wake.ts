import { toError } from "../../domain/errors.ts";
import type { WakeListener } from "../store.ts";
import type { RedisClient, WakeTarget } from "./scripts.ts";

/*
 * Wake-ups across replicas. The upsert, commit and release scripts PUBLISH "readyAt:tag" (the
 * tag being "partition:task") on one channel per namespace, and only when the partition's
 * earliest ready time became sooner, so a busy deployment publishes little and an idle one
 * nothing.
 *
 * Why one classic channel and not sharded pub/sub (SPUBLISH per slot): a replica needs every
 * wake-up of the partitions it owns, which on a cluster spread over all slots; sharded channels
 * would mean a subscription per shard channel per node, re-made at every re-sharding. A classic
 * PUBLISH reaches every subscriber wherever it is connected, at the price of crossing the
 * cluster bus, which at a few messages per partition per second is nothing.
 */

/** The wake target of one partition. */
export function wakeTarget(channel: string, task: string, partition: number): WakeTarget {
  return { channel, tag: `${partition}:${task}` };
}

/** Parses a wake-up message; undefined for one that is not ours. */
export function parseWake(message: string): { task: string; partition: number; readyAt: number } | undefined {
  const first = message.indexOf(":");
  const second = message.indexOf(":", first + 1);
  if (first <= 0 || second <= first + 1) return undefined;
  const readyAt = Number(message.slice(0, first));
  const partition = Number(message.slice(first + 1, second));
  if (!Number.isSafeInteger(readyAt) || !Number.isSafeInteger(partition)) return undefined;
  return { task: message.slice(second + 1), partition, readyAt };
}

/**
 * One dedicated subscriber connection per store, opened on the first watch() and closed with
 * the last; ioredis re-subscribes by itself after a reconnect.
 */
export class WakeSubscriber {
  readonly #listeners = new Set<WakeListener>();
  readonly #gapListeners = new Set<() => void>();
  #subscriber: RedisClient | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    readonly client: RedisClient,
    readonly channel: string,
    /** Told when subscribing fails; the subscription is retried at every reconnect. */
    readonly onError: (error: Error) => void,
  ) {}

  /** Adds a listener (and one told of gaps); returns the function that removes them. */
  watch(listener: WakeListener, onGap?: () => void): () => void {
    this.#listeners.add(listener);
    if (onGap !== undefined) this.#gapListeners.add(onGap);
    if (this.#subscriber === undefined) this.#open();
    return () => {
      this.#listeners.delete(listener);
      if (onGap !== undefined) this.#gapListeners.delete(onGap);
      if (this.#listeners.size === 0) void this.close();
    };
  }

  #open(): void {
    const subscriber = this.client.duplicate();
    this.#subscriber = subscriber;
    this.#closing = undefined;
    subscriber.on("message", (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const wake = parseWake(message);
      if (wake === undefined) return;
      for (const listener of this.#listeners) listener(wake.task, wake.partition, wake.readyAt);
    });
    // ioredis emits "error" for every failed reconnect; without a listener Node would crash.
    const failed = (thrown: unknown) => this.onError(toError(thrown));
    subscriber.on("error", failed);
    // Subscribing at every "ready" covers a first connect that failed and was retried;
    // SUBSCRIBE to a channel already subscribed is a no-op.
    // Pub/sub keeps nothing for an absent subscriber: after a reconnect, whatever was
    // published meanwhile is lost, so the watchers are told to look everywhere once.
    let connectedBefore = false;
    subscriber.on("ready", () => {
      subscriber.subscribe(this.channel).then(() => {
        if (connectedBefore) for (const onGap of this.#gapListeners) onGap();
        connectedBefore = true;
      }, failed);
    });
    subscriber.connect().catch(failed);
  }

  /** Closes the subscriber connection. Idempotent. */
  close(): Promise<void> {
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return this.#closing ?? Promise.resolve();
    this.#subscriber = undefined;
    this.#closing = subscriber.quit().then(
      () => undefined,
      // quit() fails when the connection is already down; disconnect() ends it either way.
      () => subscriber.disconnect(),
    );
    return this.#closing;
  }
}
