import { randomUUID } from "node:crypto";
import { invalid } from "../domain/errors.ts";
import { CONSOLE_PREVIEW_SLOTS, CONSOLE_TASKS_PAGE } from "../domain/limits.ts";
import { scheduledNext, type TaskRecord } from "../domain/model.ts";
import type { BackfillWindow } from "../engine/scheduling-manual.ts";
import { applyDeadLetterChange } from "./dead-letter-change.ts";
import type { SafeHtml } from "./html.ts";
import {
  type InstanceFilter,
  listInstancePage,
  STATE_FILTERS,
  type StateFilter,
} from "./instance-listing.ts";
import { liveValues } from "./live-figures.ts";
import { applyBackfill, applyTrigger, type ManualSummary, manualSummaryNotice } from "./manual-change.ts";
import type { readOverview } from "./overview-data.ts";
import { confirmBody, VERBS } from "./page-confirm.ts";
import { instanceBody } from "./page-instance.ts";
import type { BackfillFormState } from "./page-instance-manual.ts";
import { instancesBody } from "./page-instances.ts";
import { overviewBody } from "./page-overview.ts";
import { tasksBody } from "./page-tasks.ts";
import type { ConsoleParts } from "./parts.ts";
import {
  applyChange,
  type ChangeKind,
  type ChangeSummary,
  isDeadLetterKind,
  type Pick,
  type PickKind,
  summaryNotice,
} from "./pause-change.ts";
import { countPaused } from "./paused-counts.ts";
import type { RateSampler } from "./rates.ts";
import { previewSlots } from "./slot-preview.ts";
import { countTasks } from "./task-counts.ts";

/*
 * What each page reads, through the scheduling service and the ownership (never gRPC), and
 * the body it renders. A bad query value is INVALID_ARGUMENT naming the parameter, an unknown
 * task or instance NOT_FOUND, as the API would answer; console-server.ts maps them to 400/404.
 */

/** Who is asking for a page that may offer changes, and the form token those changes carry. */
export interface Asker {
  /** True when the viewer's roles allow pause and resume. */
  readonly canChange: boolean;
  /** True when the viewer's roles allow requeue and discard of dead letters. */
  readonly canDeadLetter: boolean;
  /** True when the viewer's roles allow TriggerInstances. */
  readonly canTrigger: boolean;
  /** True when the viewer's roles allow BackfillInstances. */
  readonly canBackfill: boolean;
  readonly csrf: string;
}

/** A backfill the service refused: its message, and the fields as they were sent. */
export interface BackfillRefusal {
  readonly error: string;
  readonly start: string;
  readonly end: string;
}

/** A rendered page: its title and body. */
export interface Rendered {
  readonly title: string;
  readonly section?: "overview" | "tasks";
  readonly body: SafeHtml;
}

/** The page readers of one console. */
export class Pages {
  constructor(
    private readonly parts: ConsoleParts,
    private readonly rates: RateSampler,
    private readonly overview: () => ReturnType<typeof readOverview>,
  ) {}

  /** The overview and the live values it starts from. */
  async overviewPage(): Promise<Rendered> {
    const live = await this.liveValues();
    const figures = await this.overview();
    return { title: "Overview", section: "overview", body: overviewBody(figures, live) };
  }

  /** The values the live stream sends. */
  async liveValues(): Promise<ReturnType<typeof liveValues>> {
    const figures = await this.overview();
    return liveValues(figures, this.rates.current(), this.parts.stats());
  }

  /** One page of tasks with counts; `canChange` shows the toggles. */
  async tasksPage(after: string, canChange: boolean, csrf: string): Promise<Rendered> {
    const { scheduling, store, clock } = this.parts;
    const page = await scheduling.listTasks(CONSOLE_TASKS_PAGE, after);
    const counts = await countTasks(store, page.items, clock.now());
    const paused = await countPaused(scheduling, page.items, counts);
    return {
      title: "Tasks",
      section: "tasks",
      body: tasksBody({
        tasks: page.items,
        counts,
        paused,
        nextPageToken: page.nextPageToken,
        canChange,
        csrf,
      }),
    };
  }

  /** One console page of a task's instances. */
  async instancesPage(taskName: string, query: URLSearchParams, asker: Asker): Promise<Rendered> {
    const task = await this.parts.scheduling.getTask(taskName, "task");
    const filter = parseFilter(task, query);
    const now = this.parts.clock.now();
    const listing = await listInstancePage(
      this.parts.scheduling,
      task,
      filter,
      query.get("after") ?? "",
      now,
    );
    return {
      title: `${task.name}: instances`,
      section: "tasks",
      body: instancesBody({
        task,
        filter,
        listing,
        now,
        ...asker,
        back: backOf(`/tasks/${encodeURIComponent(task.name)}/instances`, query),
        done: doneNotice(query.get("done")),
      }),
    };
  }

  /** One instance; with `refused`, the backfill form shows why the service refused it. */
  async instancePage(
    taskName: string,
    name: string,
    query: URLSearchParams,
    asker: Asker,
    refused?: BackfillRefusal,
  ): Promise<Rendered> {
    const partitionKey = query.get("key") ?? "";
    const { scheduling, clock } = this.parts;
    const task = await scheduling.getTask(taskName, "task");
    const instance = await scheduling.instanceOf(task, name, partitionKey);
    // One getRuns of one instance: the page's only history read (a list page reads its rows').
    const [history] = await scheduling.runsOf(task.name, [instance]);
    const now = clock.now();
    const slots = previewSlots(instance.schedule, scheduledNext(instance), now, CONSOLE_PREVIEW_SLOTS);
    const backfill: BackfillFormState = {
      requestId: randomUUID(),
      start: refused?.start ?? "",
      end: refused?.end ?? "",
      error: refused?.error,
    };
    return {
      title: `${instance.name} · ${task.name}`,
      section: "tasks",
      body: instanceBody({
        task,
        instance,
        history,
        slots,
        now,
        ...asker,
        backfill,
        back: backOf(
          `/tasks/${encodeURIComponent(task.name)}/instances/${encodeURIComponent(instance.name)}`,
          query,
        ),
        done: doneNotice(query.get("done")),
      }),
    };
  }

  /**
   * The confirmation of a pause, resume, requeue, discard or trigger of `picks` (changes
   * nothing); a trigger's form gets a fresh request id.
   */
  async confirmPage(
    taskName: string,
    kind: PickKind,
    picks: readonly Pick[],
    back: string,
    csrf: string,
  ): Promise<Rendered> {
    const task = await this.parts.scheduling.getTask(taskName, "task");
    return {
      title: `${VERBS[kind]}: confirm`,
      section: "tasks",
      body: confirmBody({ task: task.name, kind, picks, back, csrf, requestId: randomUUID() }),
    };
  }

  /**
   * Pauses or resumes `picks` (PauseInstances / ResumeInstances through the service), or
   * requeues or discards them (RequeueDeadLetters / DiscardDeadLetters).
   */
  async change(
    taskName: string,
    kind: ChangeKind,
    picks: readonly Pick[],
    options: { readonly note: string; readonly skipMissed: boolean },
  ): Promise<ChangeSummary> {
    if (isDeadLetterKind(kind)) return applyDeadLetterChange(this.parts.scheduling, taskName, kind, picks);
    return applyChange(this.parts.scheduling, taskName, kind, picks, options);
  }

  /** Runs `picks` once now (TriggerInstances through the service), idempotent by `requestId`. */
  async trigger(taskName: string, picks: readonly Pick[], requestId: string): Promise<ManualSummary> {
    return applyTrigger(this.parts.scheduling, taskName, picks, requestId);
  }

  /** Runs the slots of `window` of `picks` (BackfillInstances), idempotent by `requestId`. */
  async backfill(
    taskName: string,
    picks: readonly Pick[],
    change: { readonly window: BackfillWindow; readonly requestId: string },
  ): Promise<ManualSummary> {
    return applyBackfill(this.parts.scheduling, taskName, picks, change);
  }

  /** Enables or disables a task (PutTask with everything else as stored). */
  async setEnabled(taskName: string, enabled: boolean): Promise<TaskRecord> {
    const { scheduling } = this.parts;
    const task = await scheduling.getTask(taskName, "task");
    return scheduling.putTask({ ...task, enabled });
  }
}

/** The filter a query string asks for; INVALID_ARGUMENT naming the parameter when it is bad. */
export function parseFilter(task: TaskRecord, query: URLSearchParams): InstanceFilter {
  const partitionText = query.get("partition") ?? "";
  let partition: number | undefined;
  if (partitionText !== "") {
    partition = Number(partitionText);
    if (!/^\d+$/.test(partitionText) || partition >= task.partitionCount) {
      throw invalid(
        "partition",
        `must be a whole number below the task's partition count ${task.partitionCount}`,
      );
    }
  }
  const state = query.get("state") ?? "";
  if (!isStateFilter(state)) throw invalid("state", `must be empty or one of ${STATE_FILTERS.join(", ")}`);
  return { partition, prefix: query.get("prefix") ?? "", contains: query.get("contains") ?? "", state };
}

function isStateFilter(state: string): state is StateFilter {
  return state === "" || (STATE_FILTERS as readonly string[]).includes(state);
}

/** The notice of a change just made (pause-change.ts or manual-change.ts), or "". */
function doneNotice(done: string | null): SafeHtml | "" {
  const paused = summaryNotice(done);
  return paused === "" ? manualSummaryNotice(done) : paused;
}

/** A page's path with its query, less the summary of a change just made. */
function backOf(path: string, query: URLSearchParams): string {
  const kept = new URLSearchParams(query);
  kept.delete("done");
  const text = kept.toString();
  return text === "" ? path : `${path}?${text}`;
}
