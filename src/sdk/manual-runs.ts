import { randomUUID } from "node:crypto";
import { type Timestamp, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ManualRunOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";

/*
 * The SDK's side of TriggerInstances and BackfillInstances: the request a `trigger` or
 * `backfill` call sends and its answer as words. The SDK makes the request id when the caller
 * gives none, so that a call retried after a lost reply finds its first run (DUPLICATE)
 * instead of starting a second one; that is what makes the retry on UNAVAILABLE safe.
 */

/** What a trigger or backfill did with one instance: ManualRunOutcome in lower case. */
export type ManualRunOutcomeName =
  | "accepted"
  | "queued"
  | "duplicate"
  | "busy"
  | "not_active"
  | "not_found"
  | "no_slots"
  | "unspecified";

const OUTCOME_NAMES: Record<ManualRunOutcome, ManualRunOutcomeName> = {
  [ManualRunOutcome.UNSPECIFIED]: "unspecified",
  [ManualRunOutcome.ACCEPTED]: "accepted",
  [ManualRunOutcome.QUEUED]: "queued",
  [ManualRunOutcome.DUPLICATE]: "duplicate",
  [ManualRunOutcome.BUSY]: "busy",
  [ManualRunOutcome.NOT_ACTIVE]: "not_active",
  [ManualRunOutcome.NOT_FOUND]: "not_found",
  [ManualRunOutcome.NO_SLOTS]: "no_slots",
};

/** A wire outcome as its name ("accepted"); a value this SDK does not know as "unspecified". */
export function manualRunOutcomeName(outcome: ManualRunOutcome): ManualRunOutcomeName {
  return OUTCOME_NAMES[outcome] ?? "unspecified";
}

/** Options of `Client.trigger`. */
export interface TriggerOptions {
  /**
   * 1 to 64 bytes. Send the same id again (a retry after a lost reply, a re-run of a script)
   * and nothing runs twice: the names answer "duplicate". Default: one the SDK makes.
   */
  readonly requestId?: string;
  /** Set when the instances were scheduled with this partition key. */
  readonly partitionKey?: string;
}

/** Options of `Client.backfill`: the range, slots after `start` and at or before `end`. */
export interface BackfillOptions extends TriggerOptions {
  /** Exclusive: a slot at exactly this time does not run. A Date or epoch milliseconds. */
  readonly start: Date | number;
  /** Inclusive, and not in the future (later slots are the schedule's to run). */
  readonly end: Date | number;
}

/** What `Client.trigger` did. */
export interface TriggerResult {
  /** The request id sent: the caller's, or the one the SDK made. */
  readonly requestId: string;
  /** One per name, in the order of the names. */
  readonly outcomes: ManualRunOutcomeName[];
}

/** What `Client.backfill` did. */
export interface BackfillResult extends TriggerResult {
  /** Per name, how many slots it will run (0 unless "accepted" or "queued"). */
  readonly slots: number[];
}

/** The request id to send: the caller's as given (the server checks it), else a fresh UUID. */
export function requestIdOf(options: TriggerOptions): string {
  return options.requestId === undefined || options.requestId === "" ? randomUUID() : options.requestId;
}

/** A range bound as a wire Timestamp; a time that is not one is refused naming the field. */
export function boundOf(field: "start" | "end", time: Date | number): Timestamp {
  const ms = typeof time === "number" ? time : time.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`${field}: is not a valid time`);
  return timestampFromMs(Math.round(ms));
}
