import { randomUUID } from "node:crypto";
import { backfillRange } from "../domain/backfill.ts";
import { invalid, quote } from "../domain/errors.ts";
import { MAX_BACKFILL_NAMES, MAX_BACKFILL_SLOTS, MAX_REQUEST_ID_BYTES } from "../domain/limits.ts";
import type { ManualKind, TaskRecord } from "../domain/model.ts";
import type { InstanceRef, ManualOutcome, ManualRunItem } from "../store/store.ts";
import { distinct, type PauseDeps, type PauseTarget, refsOf } from "./scheduling-pause.ts";

/*
 * TriggerInstances and BackfillInstances (issue 14) over the Store: validation, the request id,
 * the backfill's slots per instance, and the wake-up an accepted run owes the engine. The
 * store arms or queues each run (transitions.ts manualRequested); the engine delivers an armed
 * one outside the misfire policy (deliver.ts) and the commit of its last slot ends it.
 */

/** What a trigger or backfill did with one instance: the store's answer, or no slot in range. */
export type ManualRunOutcome = ManualOutcome | "no_slots";

/** The answer of a trigger or backfill call. */
export interface ManualRunResult {
  /** The request id used: the caller's, or one made for it. */
  readonly requestId: string;
  /** One per name, in request order. */
  readonly outcomes: ManualRunOutcome[];
  /** Per name, the slots it will run (0 unless accepted or queued). */
  readonly slots: number[];
}

/** The range of a backfill: slots after startMs, at or before endMs. */
export interface BackfillWindow {
  readonly startMs: number;
  readonly endMs: number;
}

/** Runs the named instances of `task` once now, outside their schedule. */
export async function triggerInstances(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
  requestId: string,
): Promise<ManualRunResult> {
  const id = requestIdOf(requestId);
  const refs = refsOf(task, target);
  const now = deps.clock.now();
  const items = refs.map((ref) => ({ ref, first: now, end: now, count: 1 }));
  return request(deps, task, "triggered", id, items, now);
}

/**
 * Runs the slots of `window` of each named instance, oldest first, one at a time. Refused
 * whole (INVALID_ARGUMENT, nothing stored) when one instance's range holds more than
 * MAX_BACKFILL_SLOTS slots.
 */
export async function backfillInstances(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
  window: BackfillWindow,
  requestId: string,
): Promise<ManualRunResult> {
  const id = requestIdOf(requestId);
  if (target.names.length > MAX_BACKFILL_NAMES) {
    throw invalid("names", `must be at most ${MAX_BACKFILL_NAMES} a BackfillInstances call`);
  }
  const refs = refsOf(task, target);
  const now = deps.clock.now();
  const { startMs, endMs } = window;
  if (!Number.isFinite(startMs)) throw invalid("start", "is required");
  if (!Number.isFinite(endMs)) throw invalid("end", "is required");
  if (endMs <= startMs) throw invalid("end", "must be after start");
  if (endMs > now) throw invalid("end", "must not be in the future: later slots are the schedule's to run");
  const stored = await Promise.all(
    refs.map((ref) => deps.store.getInstance(task.name, ref.partition, ref.name)),
  );
  const items: (PlannedRun | undefined)[] = refs.map((ref, i) => {
    const record = stored[i];
    if (record === undefined) return undefined;
    const range = backfillRange(record.schedule, record.nextRunAt, startMs, endMs, MAX_BACKFILL_SLOTS);
    if (range.count > MAX_BACKFILL_SLOTS) {
      throw invalid(
        "end",
        `the range holds more than ${MAX_BACKFILL_SLOTS} slots of instance ${quote(ref.name)}; ` +
          `at most ${MAX_BACKFILL_SLOTS} a call: split the range`,
      );
    }
    if (range.first === undefined || range.last === undefined) return { ref, first: 0, end: 0, count: 0 };
    return { ref, first: range.first, end: range.last, count: range.count };
  });
  return request(deps, task, "backfill", id, items, now);
}

/** One instance's run as planned: no slot when count is 0; undefined when not stored. */
interface PlannedRun {
  readonly ref: InstanceRef;
  readonly first: number;
  readonly end: number;
  readonly count: number;
}

async function request(
  deps: PauseDeps,
  task: TaskRecord,
  kind: ManualKind,
  id: string,
  planned: readonly (PlannedRun | undefined)[],
  now: number,
): Promise<ManualRunResult> {
  const sendable: PlannedRun[] = [];
  for (const run of planned) if (run !== undefined && run.count > 0) sendable.push(run);
  const { mentions } = distinct(sendable.map((run) => run.ref));
  // `unique` is in order of first mention, so the first mentions build the items in its order.
  const items: ManualRunItem[] = [];
  sendable.forEach((run, k) => {
    if (mentions[k]?.repeat === false) items.push({ ref: run.ref, id, kind, first: run.first, end: run.end });
  });
  const answers =
    items.length === 0 ? [] : await deps.store.requestManualRuns({ task: task.name, items, now });
  const woken = new Set<number>();
  answers.forEach((answer, i) => {
    const partition = (items[i] as ManualRunItem).ref.partition;
    if (answer === "accepted" && !woken.has(partition)) {
      woken.add(partition);
      deps.wake(task.name, partition, now);
    }
  });
  const outcomes: ManualRunOutcome[] = [];
  const slots: number[] = [];
  let k = 0;
  for (const run of planned) {
    if (run === undefined) {
      outcomes.push("not_found");
      slots.push(0);
      continue;
    }
    if (run.count === 0) {
      outcomes.push("no_slots");
      slots.push(0);
      continue;
    }
    const mention = mentions[k++] as { index: number; repeat: boolean };
    const answer = answers[mention.index] ?? "not_found";
    // A name repeated in one call finds the run its first mention asked for.
    const outcome = mention.repeat && (answer === "accepted" || answer === "queued") ? "duplicate" : answer;
    outcomes.push(outcome);
    slots.push(outcome === "accepted" || outcome === "queued" ? run.count : 0);
  }
  return { requestId: id, outcomes, slots };
}

/** The caller's request id, checked, or a new one when it sent none. */
function requestIdOf(requestId: string): string {
  if (requestId === "") return randomUUID();
  if (Buffer.byteLength(requestId, "utf8") > MAX_REQUEST_ID_BYTES) {
    throw invalid("request_id", `must be at most ${MAX_REQUEST_ID_BYTES} bytes of UTF-8`);
  }
  return requestId;
}
