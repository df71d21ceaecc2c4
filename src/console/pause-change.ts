import { invalid } from "../domain/errors.ts";
import { CONSOLE_MAX_PICKS } from "../domain/limits.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import { html, type SafeHtml } from "./html.ts";
import { notice } from "./layout.ts";

/*
 * Pausing and resuming from the console: which instances a form picked, the service calls
 * that change them, and the one-line summary the page shows after the redirect. A pick is one
 * instance as [partition key, name] (JSON in a checkbox or hidden field), so instances placed
 * by different keys can be picked together: they are changed in one call per key, since
 * PauseInstances and ResumeInstances take one key a call. At most one page of instances is
 * picked at once (CONSOLE_MAX_PICKS), and the form body's bound (CONSOLE_MAX_BODY_BYTES) holds
 * a full page of typical names; a page of very long names is refused naming that bound. The
 * summary travels in the redirect's `done` parameter as four numbers, so a reload after the
 * change shows it again without changing anything. The picks, the kinds and the summary are
 * shared with requeue and discard of dead letters (dead-letter-change.ts) and, less the
 * summary, with trigger (manual-change.ts).
 */

/** One picked instance. */
export interface Pick {
  readonly key: string;
  readonly name: string;
}

/** A pause or a resume. */
export type PauseKind = "pause" | "resume";

/** A requeue or a discard of dead letters. */
export type DeadLetterKind = "requeue" | "discard";

/** Any change the console's pick forms make that is summed up as changed or not (ChangeSummary). */
export type ChangeKind = PauseKind | DeadLetterKind;

/** Every kind the pick forms' confirmation step takes: a change, or a trigger (manual-change.ts). */
export type PickKind = ChangeKind | "trigger";

/** What a change did: changed, already in that state (or not a dead letter), not found. */
export interface ChangeSummary {
  readonly kind: ChangeKind;
  readonly changed: number;
  readonly unchanged: number;
  readonly missing: number;
}

/** The value of a pick field. */
export function pickValue(key: string, name: string): string {
  return JSON.stringify([key, name]);
}

/** The picks of a form; INVALID_ARGUMENT naming `pick` when there are none, too many or bad ones. */
export function readPicks(form: URLSearchParams): Pick[] {
  const values = form.getAll("pick");
  if (values.length === 0) throw invalid("pick", "choose at least one instance");
  if (values.length > CONSOLE_MAX_PICKS) {
    throw invalid("pick", `at most ${CONSOLE_MAX_PICKS} instances at once (one page)`);
  }
  const seen = new Set<string>();
  const picks: Pick[] = [];
  for (const value of values) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length !== 2 ||
      typeof parsed[0] !== "string" ||
      typeof parsed[1] !== "string"
    ) {
      throw invalid("pick", "must be a [partition key, name] pair as the console's pages write it");
    }
    if (seen.has(value)) continue;
    seen.add(value);
    picks.push({ key: parsed[0], name: parsed[1] });
  }
  return picks;
}

/** The kind a form's `action` names; INVALID_ARGUMENT otherwise. */
export function readKind(value: string | null): PickKind {
  if (isChangeKind(value) || value === "trigger") return value;
  throw invalid("action", "must be pause, resume, requeue, discard or trigger");
}

function isChangeKind(value: string | null | undefined): value is ChangeKind {
  return value === "pause" || value === "resume" || value === "requeue" || value === "discard";
}

/** True for a requeue or a discard. */
export function isDeadLetterKind(kind: ChangeKind): kind is DeadLetterKind {
  return kind === "requeue" || kind === "discard";
}

/** The picks' names grouped by partition key (the RPCs take one key a call), in pick order. */
export function namesByKey(picks: readonly Pick[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const pick of picks) {
    const names = byKey.get(pick.key);
    if (names === undefined) byKey.set(pick.key, [pick.name]);
    else names.push(pick.name);
  }
  return byKey;
}

/** Pauses (with `note`) or resumes (skipping missed slots or not) the picks; one call per key. */
export async function applyChange(
  scheduling: SchedulingService,
  task: string,
  kind: PauseKind,
  picks: readonly Pick[],
  options: { readonly note: string; readonly skipMissed: boolean },
): Promise<ChangeSummary> {
  let changed = 0;
  let unchanged = 0;
  let missing = 0;
  for (const [partitionKey, names] of namesByKey(picks)) {
    const outcomes: readonly string[] =
      kind === "pause"
        ? await scheduling.pause(task, { names, partitionKey }, options.note)
        : await scheduling.resume(task, { names, partitionKey }, options.skipMissed);
    for (const outcome of outcomes) {
      if (outcome === "paused" || outcome === "resumed") changed++;
      else if (outcome === "not_found") missing++;
      else unchanged++;
    }
  }
  return { kind, changed, unchanged, missing };
}

/** `back` (a local path) with the summary in its `done` parameter. */
export function withSummary(back: string, summary: ChangeSummary): string {
  const url = new URL(back, "http://console");
  url.searchParams.set("done", `${summary.kind}.${summary.changed}.${summary.unchanged}.${summary.missing}`);
  return url.pathname + url.search;
}

/** How a summary names what was done and what was left unchanged, by kind. */
const SUMMARY_WORDS: Record<ChangeKind, { readonly done: string; readonly unchanged: string }> = {
  pause: { done: "Paused", unchanged: "already paused" },
  resume: { done: "Resumed", unchanged: "already active" },
  requeue: { done: "Requeued", unchanged: "not dead-lettered" },
  discard: { done: "Discarded", unchanged: "not dead-lettered" },
};

/** The notice of a `done` parameter; nothing when it is absent or not one the console wrote. */
export function summaryNotice(done: string | null): SafeHtml | "" {
  const match = /^(pause|resume|requeue|discard)\.(\d{1,6})\.(\d{1,6})\.(\d{1,6})$/.exec(done ?? "");
  if (match === null) return "";
  const [, kind, changed, unchanged, missing] = match;
  if (!isChangeKind(kind)) return "";
  const words = SUMMARY_WORDS[kind];
  const parts = [
    `${words.done} ${changed} instance(s)`,
    ...(unchanged === "0" ? [] : [`${unchanged} ${words.unchanged}`]),
    ...(missing === "0" ? [] : [`${missing} not found`]),
  ];
  return html`<div data-done="${kind}">${notice("info", `${parts.join("; ")}.`)}</div>`;
}
