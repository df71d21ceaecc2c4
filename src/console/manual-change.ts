import { invalid } from "../domain/errors.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import type { BackfillWindow, ManualRunOutcome, ManualRunResult } from "../engine/scheduling-manual.ts";
import { html, type SafeHtml } from "./html.ts";
import { notice } from "./layout.ts";
import { namesByKey, type Pick } from "./pause-change.ts";

/*
 * Triggering and backfilling from the console: the service calls TriggerInstances and
 * BackfillInstances make (one call per partition key, as pause does), the form's UTC range,
 * and the summary the page shows after the redirect. A trigger takes no note: its form carries
 * a request id instead (a fresh UUID written into the confirmation, or into the instance page's
 * backfill form), the same for every key of one submission, so sending one form twice (a double
 * click, a resubmit after going back) finds the run the first asked for and answers duplicate
 * rather than running again. As with pause, the summary travels in the redirect's `done`
 * parameter as numbers only, so a reload shows it again and changes nothing.
 */

/** A trigger or a backfill. */
export type ManualChangeKind = "trigger" | "backfill";

/** What a trigger or backfill did, counted by outcome, and the slots it will run in all. */
export interface ManualSummary {
  readonly kind: ManualChangeKind;
  readonly counts: Readonly<Record<ManualRunOutcome, number>>;
  readonly slots: number;
}

/** The outcomes in the order the `done` parameter carries their counts. */
const OUTCOMES: readonly ManualRunOutcome[] = [
  "accepted",
  "queued",
  "duplicate",
  "busy",
  "not_active",
  "not_found",
  "no_slots",
];

/** Runs the picks once now, outside their schedule; one TriggerInstances call per key. */
export async function applyTrigger(
  scheduling: SchedulingService,
  task: string,
  picks: readonly Pick[],
  requestId: string,
): Promise<ManualSummary> {
  return summed("trigger", picks, (target) => scheduling.trigger(task, target, requestId));
}

/** Runs the slots of `window` of the picks, oldest first; one BackfillInstances call per key. */
export async function applyBackfill(
  scheduling: SchedulingService,
  task: string,
  picks: readonly Pick[],
  change: { readonly window: BackfillWindow; readonly requestId: string },
): Promise<ManualSummary> {
  return summed("backfill", picks, (target) =>
    scheduling.backfill(task, target, change.window, change.requestId),
  );
}

async function summed(
  kind: ManualChangeKind,
  picks: readonly Pick[],
  call: (target: { names: string[]; partitionKey: string }) => Promise<ManualRunResult>,
): Promise<ManualSummary> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<ManualRunOutcome, number>;
  let slots = 0;
  for (const [partitionKey, names] of namesByKey(picks)) {
    const result = await call({ names, partitionKey });
    for (const outcome of result.outcomes) counts[outcome]++;
    for (const n of result.slots) slots += n;
  }
  return { kind, counts, slots };
}

/**
 * The backfill range of a form: `start` and `end` as a datetime-local input writes them
 * (YYYY-MM-DDTHH:MM, seconds optional), read as UTC. An empty field is NaN, so the service
 * names it ("start: is required"); a malformed one is INVALID_ARGUMENT naming the field.
 */
export function readWindow(form: URLSearchParams): BackfillWindow {
  return { startMs: utcField(form, "start"), endMs: utcField(form, "end") };
}

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

function utcField(form: URLSearchParams, field: string): number {
  const text = (form.get(field) ?? "").trim();
  if (text === "") return Number.NaN;
  const ms = DATETIME.test(text) ? Date.parse(`${text}Z`) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(field, "must be a UTC date and time, YYYY-MM-DDTHH:MM[:SS]");
  return ms;
}

/** `back` (a local path) with the summary in its `done` parameter. */
export function withManualSummary(back: string, summary: ManualSummary): string {
  const url = new URL(back, "http://console");
  const numbers = [...OUTCOMES.map((o) => summary.counts[o]), summary.slots];
  url.searchParams.set("done", `${summary.kind}.${numbers.join(".")}`);
  return url.pathname + url.search;
}

/** The summary a `done` parameter carries; undefined when it is not one written above. */
export function readManualSummary(done: string | null): ManualSummary | undefined {
  const match = /^(trigger|backfill)((?:\.\d{1,7}){8})$/.exec(done ?? "");
  if (match === null) return undefined;
  const numbers = (match[2] ?? "").slice(1).split(".").map(Number);
  const counts = Object.fromEntries(OUTCOMES.map((o, i) => [o, numbers[i] ?? 0])) as Record<
    ManualRunOutcome,
    number
  >;
  return { kind: match[1] === "trigger" ? "trigger" : "backfill", counts, slots: numbers[7] ?? 0 };
}

/** How the summary words what was not run, by outcome. */
const LEFT_WORDS: Readonly<Record<Exclude<ManualRunOutcome, "accepted" | "queued">, string>> = {
  duplicate: "already asked for by this same form (duplicate: nothing runs twice)",
  busy: "already had a run pending",
  not_active: "not active (paused or dead-lettered)",
  not_found: "not found",
  no_slots: "had no slot in the range",
};

/** The notice of a `done` parameter; nothing when it is absent or not one the console wrote. */
export function manualSummaryNotice(done: string | null): SafeHtml | "" {
  const summary = readManualSummary(done);
  if (summary === undefined) return "";
  const { counts } = summary;
  const asked = counts.accepted + counts.queued;
  const head =
    summary.kind === "trigger"
      ? `Triggered ${asked} instance(s)`
      : `Backfilling ${summary.slots} slot(s) of ${asked} instance(s)`;
  const parts = [
    counts.queued === 0 ? head : `${head} (${counts.queued} after the run in flight)`,
    ...Object.entries(LEFT_WORDS).flatMap(([outcome, words]) => {
      const n = counts[outcome as ManualRunOutcome];
      return n === 0 ? [] : [`${n} ${words}`];
    }),
  ];
  return html`<div data-done="${summary.kind}">${notice("info", `${parts.join("; ")}.`)}</div>`;
}
