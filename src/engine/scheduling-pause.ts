import type { Clock } from "../domain/clock.ts";
import { invalid } from "../domain/errors.ts";
import { MAX_BATCH, MAX_PAUSE_NOTE_BYTES } from "../domain/limits.ts";
import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import { selectPartition } from "../domain/selector.ts";
import type { InstanceRef, PauseOutcome, ResumeOutcome, Store } from "../store/store.ts";
import type { RetryObserver } from "./retries.ts";

/*
 * PauseInstances and ResumeInstances (issue 14) over the Store: validation, partition
 * selection and the wake-up a resume owes the engine, as a Schedule does.
 */

/** What pausing and resuming need of SchedulingService. */
export interface PauseDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly wake: (task: string, partition: number, readyAt: number) => void;
  /** Told how many dead letters were requeued or discarded (metrics). */
  readonly retries?: RetryObserver;
}

/** What RequeueDeadLetters or DiscardDeadLetters did with one instance. */
export type DeadLetterOutcome = "done" | "not_dead_lettered" | "not_found";

/** Which instances of a task a pause or resume names. */
export interface PauseTarget {
  readonly names: readonly string[];
  /** "" means: each name is hashed. */
  readonly partitionKey: string;
}

/** Pauses named instances of `task`; one outcome per name, in order. */
export async function pauseInstances(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
  note: string,
): Promise<PauseOutcome[]> {
  const refs = refsOf(task, target);
  if (Buffer.byteLength(note, "utf8") > MAX_PAUSE_NOTE_BYTES) {
    throw invalid("note", `must be at most ${MAX_PAUSE_NOTE_BYTES} bytes of UTF-8`);
  }
  const { unique, mentions } = distinct(refs);
  const results = await deps.store.pauseInstances({
    task: task.name,
    refs: unique,
    note,
    now: deps.clock.now(),
  });
  return mentions.map(({ index, repeat }) => {
    const outcome = results[index] ?? "not_found";
    // A name repeated in one call finds the instance its first mention paused.
    return repeat && outcome !== "not_found" ? "already_paused" : outcome;
  });
}

/**
 * Resumes named instances of `task` (with `deadLettered`, its dead letters instead of its
 * paused instances); one outcome per name, in order. Wakes their pollers.
 */
export async function resumeInstances(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
  skipMissed: boolean,
  deadLettered = false,
): Promise<ResumeOutcome[]> {
  return resumeRefs(deps, task, refsOf(task, target), skipMissed, deadLettered);
}

/**
 * Requeues dead letters: each runs its failed slot again with a fresh retry budget (the claim's
 * misfire policy applies to it, as to a resumed slot).
 */
export async function requeueDeadLetters(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
): Promise<DeadLetterOutcome[]> {
  const outcomes = await resumeInstances(deps, task, target, false, true);
  return deadLetterOutcomes(deps, task, "requeued", outcomes);
}

/**
 * Discards dead letters: the failed slot is given up, and each continues at the first slot
 * after now, or, when a one-off, is removed. A one-off is read first to tell; one requeued
 * between that read and its removal is removed all the same (the caller asked to discard it).
 */
export async function discardDeadLetters(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
): Promise<DeadLetterOutcome[]> {
  const refs = refsOf(task, target);
  const stored = await Promise.all(
    refs.map((ref) => deps.store.getInstance(task.name, ref.partition, ref.name)),
  );
  const oneOffs: InstanceRef[] = [];
  const rest: number[] = [];
  const outcomes = new Array<ResumeOutcome>(refs.length);
  stored.forEach((record, i) => {
    const ref = refs[i] as InstanceRef;
    if (record === undefined) outcomes[i] = "not_found";
    else if (record.paused?.deadLettered !== true) outcomes[i] = "not_paused";
    else if (record.schedule.kind === "at") {
      oneOffs.push(ref);
      outcomes[i] = "resumed";
    } else rest.push(i);
  });
  if (oneOffs.length > 0) await deps.store.removeInstances(task.name, distinct(oneOffs).unique);
  const moved = await resumeRefs(
    deps,
    task,
    rest.map((i) => refs[i] as InstanceRef),
    true,
    true,
  );
  rest.forEach((index, k) => {
    outcomes[index] = moved[k] ?? "not_found";
  });
  return deadLetterOutcomes(deps, task, "discarded", outcomes);
}

function deadLetterOutcomes(
  deps: PauseDeps,
  task: TaskRecord,
  event: "requeued" | "discarded",
  outcomes: readonly ResumeOutcome[],
): DeadLetterOutcome[] {
  const done = outcomes.filter((outcome) => outcome === "resumed").length;
  if (done > 0) deps.retries?.(task.name, event, done);
  return outcomes.map((outcome) =>
    outcome === "resumed" ? "done" : outcome === "not_paused" ? "not_dead_lettered" : "not_found",
  );
}

async function resumeRefs(
  deps: PauseDeps,
  task: TaskRecord,
  refs: readonly InstanceRef[],
  skipMissed: boolean,
  deadLettered: boolean,
): Promise<ResumeOutcome[]> {
  if (refs.length === 0) return [];
  const { unique, mentions } = distinct(refs);
  const results = await deps.store.resumeInstances({
    task: task.name,
    refs: unique,
    skipMissed,
    deadLettered,
    now: deps.clock.now(),
  });
  const earliest = new Map<number, number>();
  results.forEach((result, i) => {
    const partition = unique[i]?.partition;
    if (result.readyAt === undefined || partition === undefined) return;
    const known = earliest.get(partition);
    if (known === undefined || result.readyAt < known) earliest.set(partition, result.readyAt);
  });
  for (const [partition, at] of earliest) deps.wake(task.name, partition, at);
  return mentions.map(({ index, repeat }) => {
    const outcome = results[index]?.outcome ?? "not_found";
    // A name repeated in one call finds the instance its first mention resumed.
    return repeat && outcome !== "not_found" ? "not_paused" : outcome;
  });
}

/**
 * The refs with each instance once, and for every input position the index of its instance in
 * `unique` and whether an earlier position named it already. A store may write the refs of one
 * call concurrently (DynamoDB does), so a name given twice is sent once; its later mentions are
 * answered as a second call would answer them.
 */
export function distinct(refs: readonly InstanceRef[]): {
  unique: InstanceRef[];
  mentions: { index: number; repeat: boolean }[];
} {
  const unique: InstanceRef[] = [];
  const seen = new Map<string, number>();
  const mentions = refs.map((ref) => {
    const key = `${ref.partition}\u0000${ref.name}`;
    const known = seen.get(key);
    if (known !== undefined) return { index: known, repeat: true };
    const index = unique.push(ref) - 1;
    seen.set(key, index);
    return { index, repeat: false };
  });
  return { unique, mentions };
}

/** The refs of the named instances; INVALID_ARGUMENT for a bad name, key or count. */
export function refsOf(task: TaskRecord, target: PauseTarget): InstanceRef[] {
  const { names, partitionKey } = target;
  if (names.length === 0) throw invalid("names", "must name at least one instance");
  if (names.length > MAX_BATCH) throw invalid("names", `must be at most ${MAX_BATCH} a call`);
  if (partitionKey !== "") checkName("partition_key", partitionKey);
  return names.map((name, i) => {
    checkName(`names[${i}]`, name);
    // A static task's one instance lives in partition 0, named after the task.
    const partition = task.dynamic ? selectPartition(partitionKey || name, task.partitionCount) : 0;
    return { name, partition };
  });
}

/** Instances read a page while a whole partition is paused or resumed. */
const PARTITION_PAGE = 1_000;

/**
 * Pauses every active instance of one partition of `task` (PauseInstances with `partition`),
 * walking it page by page; returns how many it paused. Instances created during the walk may
 * or may not be reached (as for any listing).
 */
export async function pausePartition(
  deps: PauseDeps,
  task: TaskRecord,
  partition: number,
  note: string,
): Promise<number> {
  checkPartition(task, partition);
  if (Buffer.byteLength(note, "utf8") > MAX_PAUSE_NOTE_BYTES) {
    throw invalid("note", `must be at most ${MAX_PAUSE_NOTE_BYTES} bytes of UTF-8`);
  }
  let changed = 0;
  await walkPartition(deps, task, partition, async (page) => {
    const refs = page.filter((i) => i.paused === undefined).map((i) => ({ partition, name: i.name }));
    if (refs.length === 0) return;
    const outcomes = await deps.store.pauseInstances({ task: task.name, refs, note, now: deps.clock.now() });
    changed += outcomes.filter((outcome) => outcome === "paused").length;
  });
  return changed;
}

/**
 * Resumes every paused instance of one partition (dead letters stay); returns how many it
 * resumed. Wakes the partition's poller as a resume by names does.
 */
export async function resumePartition(
  deps: PauseDeps,
  task: TaskRecord,
  partition: number,
  skipMissed: boolean,
): Promise<number> {
  checkPartition(task, partition);
  let changed = 0;
  await walkPartition(deps, task, partition, async (page) => {
    const refs = page
      .filter((i) => i.paused !== undefined && i.paused.deadLettered !== true)
      .map((i) => ({ partition, name: i.name }));
    const outcomes = await resumeRefs(deps, task, refs, skipMissed, false);
    changed += outcomes.filter((outcome) => outcome === "resumed").length;
  });
  return changed;
}

function checkPartition(task: TaskRecord, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= task.partitionCount) {
    throw invalid(
      "partition",
      `must be below the task's partition_count ${task.partitionCount}, got ${partition}`,
    );
  }
}

async function walkPartition(
  deps: PauseDeps,
  task: TaskRecord,
  partition: number,
  visit: (page: readonly InstanceRecord[]) => Promise<void>,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await deps.store.listInstances({
      task: task.name,
      partition,
      limit: PARTITION_PAGE,
      cursor,
    });
    await visit(page.instances);
    cursor = page.cursor;
  } while (cursor !== undefined);
}
