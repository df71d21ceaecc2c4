import { DEFAULT_HISTORY_LIMIT } from "../domain/limits.ts";
import type { InstanceRecord, PauseState, RunHistory, TaskRecord } from "../domain/model.ts";
import { readyAt, scheduledNext, stateOf } from "../domain/model.ts";
import { bytesToArgs } from "../server/convert-args.ts";
import { age, offsetText, utc, wallTime } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { type BackfillFormState, backfillForm, manualRow } from "./page-instance-manual.ts";
import { type PickKind, pickValue } from "./pause-change.ts";
import { recentRuns, runCounterRows } from "./run-history.ts";
import { scheduleWords } from "./schedule-words.ts";
import { type PreviewSlot, zoneOf } from "./slot-preview.ts";

/*
 * One instance: its schedule in words (with the raw spec beside them), the next slots with
 * daylight-saving changes marked, its args, next run, lease and pause state (note, since when).
 * For those who may pause, a Pause or Resume button under the heading posts this one instance
 * to the confirmation page (page-confirm.ts), as the instances list's bulk form does. A dead
 * letter shows its note (the last error) and, for those who may, Requeue and Discard instead
 * (a resume does not bring a dead letter back); a discard comes back to the task's dead-letter
 * list, since a discarded one-off is gone. Its run counters sit among the facts and its recent
 * runs in a table under the slots (run-history.ts). For those who may trigger, a Trigger
 * button beside Pause goes through the same confirmation; for those who may backfill, a
 * backfill form sits above the recent runs; a pending trigger or backfill has its own fact row
 * (page-instance-manual.ts). Later slot: the slot list may come from the PreviewSchedule RPC's
 * service method, which uses the same domain code.
 */

/** What the instance page shows. */
export interface InstanceView {
  readonly task: TaskRecord;
  readonly instance: InstanceRecord;
  /** Its run counters and recent runs; undefined when it never finished a run. */
  readonly history: RunHistory | undefined;
  readonly slots: readonly PreviewSlot[];
  readonly now: number;
  /** True when the viewer may pause and resume (the button shown). */
  readonly canChange: boolean;
  /** True when the viewer may requeue and discard dead letters (their buttons shown). */
  readonly canDeadLetter: boolean;
  /** True when the viewer may trigger (the Trigger button shown). */
  readonly canTrigger: boolean;
  /** True when the viewer may backfill (the form shown). */
  readonly canBackfill: boolean;
  /** The backfill form's request id, and after a refusal its fields and the reason. */
  readonly backfill: BackfillFormState;
  readonly csrf: string;
  /** This page's own path and query (where a change comes back to). */
  readonly back: string;
  /** The summary of the change just made, or "". */
  readonly done: SafeHtml | "";
}

/** The instance page's body. */
export function instanceBody(view: InstanceView): SafeHtml {
  const { task, instance, now } = view;
  const spec = instance.schedule;
  const zone = zoneOf(spec);
  const ready = readyAt(instance);
  const next = scheduledNext(instance);
  const leased = instance.lockedUntil > now;
  const args = bytesToArgs(instance.args);
  const paused = instance.paused;
  const state = stateOf(instance);
  const list = `/tasks/${encodeURIComponent(task.name)}/instances`;
  const button = (kind: PickKind, label: string, back: string) =>
    html`<form method="post" action="/tasks/${encodeURIComponent(task.name)}/confirm" class="actions inline" data-action="${kind}">
<input type="hidden" name="csrf" value="${view.csrf}"><input type="hidden" name="back" value="${back}">
<input type="hidden" name="pick" value="${pickValue(instance.partitionKey, instance.name)}"><input type="hidden" name="action" value="${kind}">
<button type="submit">${label}</button></form>`;
  const actions =
    state === "dead_lettered"
      ? view.canDeadLetter
        ? html`<div class="actions">${button("requeue", "Requeue…", view.back)} ${button("discard", "Discard…", `${list}?state=dead_lettered`)}</div>`
        : ""
      : view.canChange || view.canTrigger
        ? html`<div class="actions">${view.canChange ? (state === "active" ? button("pause", "Pause…", view.back) : button("resume", "Resume…", view.back)) : ""} ${view.canTrigger && state === "active" ? button("trigger", "Trigger…", view.back) : ""}</div>`
        : "";
  const raw =
    spec.kind === "cron"
      ? html`cron <code>${spec.cron}</code> in <code>${spec.timezone}</code>`
      : spec.kind === "interval"
        ? html`interval <code>${spec.intervalMs} ms</code>`
        : html`at <code>${utc(spec.atMs)}</code>`;
  return html`<h1><span class="mono">${instance.name}</span> <span class="muted">of <a href="/tasks/${encodeURIComponent(task.name)}/instances">${task.name}</a></span></h1>
${view.done}
${actions}
<table class="facts">
<tbody>
<tr><th>state</th><td data-field="state">${paused === undefined ? "active" : stateBadge(paused, now)}</td></tr>
${paused === undefined ? "" : html`<tr><th>${paused.deadLettered === true ? "last error" : "pause note"}</th><td data-field="note">${paused.note === "" ? html`<span class="muted">none</span>` : paused.note}</td></tr>`}
${manualRow(instance, now)}
${runCounterRows(view.history)}
<tr><th>schedule</th><td><span data-field="words">${scheduleWords(spec)}</span><br><span class="muted">${raw}</span></td></tr>
<tr><th>next run</th><td data-field="next-run">${utc(next)}${spec.kind === "cron" ? html` (${wallTime(zone, next)} ${zone})` : ""}${paused === undefined && instance.manual?.state !== "armed" && ready < now - task.misfireGraceMs ? html` <span class="badge off">overdue ${age(now - ready)}</span>` : ""}</td></tr>
<tr><th>lease</th><td data-field="lease">${leased ? html`held by <code>${instance.leaseOwner}</code> until ${utc(instance.lockedUntil)} (attempt ${instance.attempt})` : instance.lockedUntil > 0 ? "free (a retry delay or lease has ended)" : "free"}</td></tr>
<tr><th>partition</th><td>${instance.partition} of ${instance.partitionCount}${instance.partitionKey === "" ? "" : html` · key <code>${instance.partitionKey}</code>`}</td></tr>
<tr><th>version · incarnation</th><td>${instance.version} · ${instance.incarnation}</td></tr>
<tr><th>created</th><td>${utc(instance.createdAt)}</td></tr>
<tr><th>task</th><td>${task.enabled ? "enabled" : html`<span class="badge off">disabled</span> (nothing is delivered)`}</td></tr>
</tbody>
</table>
<h2>Args</h2>
${args === undefined ? html`<p class="muted">none</p>` : html`<pre>${JSON.stringify(args, null, 2)}</pre>`}
<h2>Next ${view.slots.length} slot(s)</h2>
<table class="slots">
<thead><tr><th>#</th><th>UTC</th><th>wall time (${zone})</th><th>offset</th></tr></thead>
<tbody>
${view.slots.map(
  (s, i) => html`<tr${s.offsetChangedFrom === undefined ? "" : html` class="dst"`}>
<td>${i + 1}</td><td>${utc(s.at)}</td><td>${wallTime(zone, s.at)}</td>
<td>${offsetText(s.offsetMs)}${s.offsetChangedFrom === undefined ? "" : html` <span class="badge" title="daylight saving change">DST: was ${offsetText(s.offsetChangedFrom)}</span>`}</td></tr>`,
)}
</tbody>
</table>
${view.canBackfill && state === "active" ? backfillForm(instance, view.backfill, view) : ""}
${recentRuns(view.history, task.historyLimit ?? DEFAULT_HISTORY_LIMIT)}`;
}

/** A paused or dead-lettered instance's state: which, and since when. */
function stateBadge(paused: PauseState, now: number): SafeHtml {
  const badge =
    paused.deadLettered === true
      ? html`<span class="badge dead">dead-lettered</span>`
      : html`<span class="badge off">paused</span>`;
  return html`${badge} since ${utc(paused.at)} (${age(now - paused.at)} ago)`;
}
