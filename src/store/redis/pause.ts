import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type {
  InstanceRef,
  ManualOutcome,
  ManualRunRequest,
  PauseOutcome,
  PauseRequest,
  ResumeRequest,
  ResumeResult,
} from "../store.ts";
import { resumedInstance } from "../transitions.ts";
import type { KeyLayout } from "./keys.ts";
import { perPartition } from "./partition-groups.ts";
import { decodeRecord, RECORD_FORMAT_DEAD_LETTERED, RECORD_FORMAT_PAUSED } from "./record-codec.ts";
import type { RedisClient, ResumeArgs, Scripts } from "./scripts.ts";
import { wakeTarget } from "./wake.ts";

/*
 * Store.pauseInstances, resumeInstances and requestManualRuns on Redis (issue 14): one script
 * call per partition group (lua/pause.lua, lua/resume.lua, lua/manual.lua), every key in the
 * partition's hash tag.
 *
 * Resume needs the slot to resume at, which for skip_missed is schedule arithmetic (a cron in a
 * time zone) that Lua cannot do. So the records are read first, transitions.ts computes the
 * slot, and the script applies it only while the stored slot is still the one read; an item a
 * commit moved meanwhile is read and sent again, a bounded number of times.
 */

/** What the functions here work with: the store's client, key layout and scripts. */
export interface PauseContext {
  readonly client: RedisClient;
  readonly keys: KeyLayout;
  readonly scripts: Scripts;
}

/** Rounds of read-and-resume before an instance that keeps changing is reported UNAVAILABLE. */
const MAX_RESUME_ROUNDS = 5;

const where = (task: string) => (ref: InstanceRef) => ({ task, partition: ref.partition });

/** Store.pauseInstances. */
export function pauseInstances(context: PauseContext, request: PauseRequest): Promise<PauseOutcome[]> {
  const { task, refs, note, now } = request;
  return perPartition(refs, where(task), ({ partition, items }) =>
    context.scripts.pause(
      context.keys.partition(task, partition),
      now,
      note,
      items.map((ref) => ref.name),
    ),
  );
}

/** Store.requestManualRuns: one manual.lua call per partition group. */
export function requestManualRuns(
  context: PauseContext,
  request: ManualRunRequest,
): Promise<ManualOutcome[]> {
  const { task, items, now } = request;
  return perPartition(
    items,
    (item) => ({ task, partition: item.ref.partition }),
    ({ partition, items: group }) =>
      context.scripts.manual(
        context.keys.partition(task, partition),
        wakeTarget(context.keys.wakeChannel, task, partition),
        now,
        group.map((item) => ({
          name: item.ref.name,
          first: item.first,
          end: item.end,
          kind: item.kind,
          id: item.id,
        })),
      ),
  );
}

/** Store.resumeInstances. */
export function resumeInstances(context: PauseContext, request: ResumeRequest): Promise<ResumeResult[]> {
  const { task } = request;
  return perPartition(request.refs, where(task), ({ partition, items }) =>
    resumeGroup(context, request, partition, items),
  );
}

async function resumeGroup(
  context: PauseContext,
  request: ResumeRequest,
  partition: number,
  refs: readonly InstanceRef[],
): Promise<ResumeResult[]> {
  const { task, skipMissed, now } = request;
  const deadLettered = request.deadLettered === true;
  const keys = context.keys.partition(task, partition);
  const wake = wakeTarget(context.keys.wakeChannel, task, partition);
  const answers = new Array<ResumeResult | undefined>(refs.length);
  let pending = refs.map((_, i) => i);
  for (let round = 0; round < MAX_RESUME_ROUNDS && pending.length > 0; round++) {
    const names = pending.map((i) => refs[i]?.name ?? "");
    const stored = await context.client.hmgetBuffer(keys.inst, ...names);
    const sent: { index: number; args: ResumeArgs }[] = [];
    pending.forEach((index, k) => {
      const bytes = stored[k];
      const name = names[k] ?? "";
      const record =
        bytes === null || bytes === undefined ? undefined : decodeRecord(task, partition, name, bytes);
      const result = resumedInstance(record, skipMissed, now, deadLettered);
      if (result.instance === undefined || record === undefined) {
        answers[index] = { outcome: result.outcome };
        return;
      }
      const held = result.instance.lockedUntil !== record.lockedUntil ? result.instance.lockedUntil : 0;
      sent.push({
        index,
        args: {
          name,
          read: record.nextRunAt,
          nextRunAt: result.instance.nextRunAt,
          hold: held,
          format: deadLettered ? RECORD_FORMAT_DEAD_LETTERED : RECORD_FORMAT_PAUSED,
          endsManual: result.instance.manual !== record.manual && result.instance.manual?.state === "done",
        },
      });
    });
    if (sent.length === 0) break;
    const replies = await context.scripts.resume(
      keys,
      wake,
      sent.map((item) => item.args),
    );
    pending = [];
    replies.forEach((reply, k) => {
      const index = sent[k]?.index ?? 0;
      if (reply.outcome === "changed") pending.push(index);
      else if (reply.outcome === "resumed") answers[index] = { outcome: "resumed", readyAt: reply.readyAt };
      else answers[index] = { outcome: reply.outcome };
    });
  }
  return answers.map((answer, i) => {
    if (answer !== undefined) return answer;
    throw new PartituraError(
      ErrorCode.Unavailable,
      `redis resume: instance "${refs[i]?.name}" of task "${task}" kept changing under ${MAX_RESUME_ROUNDS} reads`,
    );
  });
}
