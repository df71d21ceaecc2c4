import type { Clock } from "../domain/clock.ts";
import { invalid } from "../domain/errors.ts";
import { MAX_BATCH, MAX_PAUSE_NOTE_BYTES } from "../domain/limits.ts";
import type { TaskRecord } from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import { selectPartition } from "../domain/selector.ts";
import type { InstanceRef, PauseOutcome, ResumeOutcome, Store } from "../store/store.ts";

/*
 * PauseInstances and ResumeInstances (issue 14) over the Store: validation, partition
 * selection and the wake-up a resume owes the engine, as a Schedule does.
 */

/** What pausing and resuming need of SchedulingService. */
export interface PauseDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly wake: (task: string, partition: number, readyAt: number) => void;
}

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

/** Resumes named instances of `task`; one outcome per name, in order. Wakes their pollers. */
export async function resumeInstances(
  deps: PauseDeps,
  task: TaskRecord,
  target: PauseTarget,
  skipMissed: boolean,
): Promise<ResumeOutcome[]> {
  const { unique, mentions } = distinct(refsOf(task, target));
  const results = await deps.store.resumeInstances({
    task: task.name,
    refs: unique,
    skipMissed,
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
function distinct(refs: readonly InstanceRef[]): {
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
function refsOf(task: TaskRecord, target: PauseTarget): InstanceRef[] {
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
