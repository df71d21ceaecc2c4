import type { Logger } from "pino";
import type { Clock } from "../../domain/clock.ts";
import { toError } from "../../domain/errors.ts";
import { MAX_MEMBERS } from "../../domain/limits.ts";
import type { LiveMember, MemberRecord } from "../../domain/member.ts";
import type { MembershipTimings } from "../../domain/ownership-mode.ts";
import { rendezvousOwners } from "../../domain/rendezvous.ts";
import { combineHashes, stableHash } from "../../domain/stable-hash.ts";
import type { Store } from "../../store/store.ts";
import {
  type AddressOf,
  ChangeListeners,
  type MapReplica,
  type Ownership,
  type PartitionMap,
} from "./ownership.ts";

/** The membership methods of a store (all three are required in membership mode). */
export type MembershipStore = Required<Pick<Store, "heartbeatMember" | "listMembers" | "removeMember">>;

/** What MembershipOwnership needs. */
export interface MembershipOptions {
  readonly store: MembershipStore;
  readonly clock: Clock;
  readonly id: string;
  readonly address: AddressOf;
  readonly timings: MembershipTimings;
  readonly logger: Logger;
  /** Told the eligible member count after each change (metrics). */
  readonly changed?: (members: number) => void;
}

/**
 * Membership ownership. Every `heartbeatMs` a tick writes this replica's record (live for
 * `memberTtlMs`) and re-reads the live members; owners are bounded-load rendezvous over the
 * eligible members (live, and started at least `joinDelayMs` ago), computed alike everywhere.
 *
 * A partitioned replica (its heartbeats fail) keeps its last view, but members in it expire at
 * their recorded expiry, and it counts itself out once its own last successful heartbeat is
 * older than the TTL: from then on it owns nothing. That is the moment the others stop seeing
 * its record, so the partition moves without a gap of two owners for longer than clock skew
 * (and two owners would be harmless anyway: the store fences claims). When the store answers
 * again it is a member at once (its start time is old, so no new join delay).
 */
export class MembershipOwnership implements Ownership {
  readonly mode = "membership";
  readonly #o: MembershipOptions;
  readonly #startedAt: number;
  readonly #listeners = new ChangeListeners();
  #members: readonly LiveMember[] = [];
  #lastBeatOk: number | undefined;
  #signature = "";
  #eligible: readonly MemberRecord[] = [];
  #cache = new Map<string, string[]>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #left = false;

  constructor(options: MembershipOptions) {
    this.#o = options;
    this.#startedAt = options.clock.now();
  }

  /** This replica's record as it heartbeats it. */
  #self(): MemberRecord {
    return { id: this.#o.id, address: this.#o.address(), startedAt: this.#startedAt };
  }

  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      this.#timer = setTimeout(() => {
        void this.tick().finally(() => {
          if (this.#stopping === undefined) loop();
        });
      }, this.#o.timings.heartbeatMs);
    };
    if (this.#stopping === undefined) loop();
  }

  /**
   * One heartbeat and read, then a re-evaluation. A tick whose store calls still hang from
   * the previous one only re-evaluates, so time alone still expires members (and ourselves).
   * Exposed for tests that drive time with a manual clock.
   */
  async tick(): Promise<void> {
    if (this.#stopping !== undefined) return;
    if (this.#inFlight === undefined) {
      this.#inFlight = this.#beat().finally(() => {
        this.#inFlight = undefined;
      });
      await this.#inFlight;
    }
    this.evaluate();
  }

  async #beat(): Promise<void> {
    const { store, clock, timings, logger } = this.#o;
    const now = clock.now();
    try {
      await store.heartbeatMember(this.#self(), timings.memberTtlMs, now);
      this.#lastBeatOk = now;
      const members = await store.listMembers(clock.now());
      this.#members = members.slice(0, MAX_MEMBERS);
    } catch (thrown) {
      logger.warn({ err: toError(thrown) }, "membership heartbeat failed");
    }
  }

  /** Recomputes the eligible members at the clock's now; tells listeners when they changed. */
  evaluate(): void {
    const { clock, timings, id } = this.#o;
    const now = clock.now();
    const selfAlive =
      !this.#left &&
      this.#lastBeatOk !== undefined &&
      now - this.#lastBeatOk < timings.memberTtlMs &&
      now >= this.#startedAt + timings.joinDelayMs;
    const eligible = this.#members.filter(
      (m) => m.id !== id && m.expiresAt > now && now >= m.startedAt + timings.joinDelayMs,
    );
    const all: MemberRecord[] = selfAlive ? [...eligible, this.#self()] : [...eligible];
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const signature = all.map((m) => `${m.id}@${m.address}`).join("\n");
    if (signature === this.#signature) return;
    const before = this.#eligible.map((m) => m.id);
    this.#signature = signature;
    this.#eligible = all;
    this.#cache = new Map();
    const ids = all.map((m) => m.id);
    this.#o.logger.info(
      {
        members: ids,
        joined: ids.filter((m) => !before.includes(m)),
        left: before.filter((m) => !ids.includes(m)),
        self: selfAlive,
      },
      "membership changed",
    );
    this.#o.changed?.(all.length);
    this.#listeners.emit((thrown) =>
      this.#o.logger.error({ err: toError(thrown) }, "ownership change listener failed"),
    );
  }

  #owners(task: string, partitionCount: number): string[] {
    const key = `${partitionCount}\u0000${task}`;
    let owners = this.#cache.get(key);
    if (owners === undefined) {
      owners = rendezvousOwners(
        task,
        partitionCount,
        this.#eligible.map((m) => m.id),
      );
      this.#cache.set(key, owners);
    }
    return owners;
  }

  owns(task: string, partition: number, partitionCount: number): boolean {
    return this.#owners(task, partitionCount)[partition] === this.#o.id;
  }

  owned(task: string, partitionCount: number): number[] {
    const owned: number[] = [];
    this.#owners(task, partitionCount).forEach((owner, p) => {
      if (owner === this.#o.id) owned.push(p);
    });
    return owned;
  }

  map(task: string, partitionCount: number): PartitionMap {
    const owners = this.#owners(task, partitionCount);
    const replicas: MapReplica[] = this.#eligible.map((m) => ({
      id: m.id,
      address: m.address,
      partitions: owners.flatMap((owner, p) => (owner === m.id ? [p] : [])),
    }));
    // The same members and partition count give the same version on every replica.
    const version = BigInt(combineHashes(stableHash(this.#signature), stableHash(`${partitionCount}`)));
    return { version: version === 0n ? 1n : version, replicas };
  }

  onChange(listener: () => void): () => void {
    return this.#listeners.add(listener);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      // Own nothing first, then delete the record so the others take over at their next tick.
      this.#left = true;
      this.evaluate();
      try {
        await this.#o.store.removeMember(this.#o.id);
      } catch (thrown) {
        this.#o.logger.warn(
          { err: toError(thrown) },
          "could not delete the member record; it expires by itself",
        );
      }
    })();
    return this.#stopping;
  }
}
