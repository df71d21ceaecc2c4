import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { readyAt, scheduledNext, stateOf } from "../domain/model.ts";
import { age, count, utc } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { type InstanceFilter, type InstanceListing, STATE_FILTERS } from "./instance-listing.ts";
import { manualPending } from "./page-instance-manual.ts";
import { pickValue } from "./pause-change.ts";
import { scheduleWords } from "./schedule-words.ts";

/*
 * The instances list: a GET form of filters (works without JavaScript; htmx boosts it), one
 * page of rows (state and pause note shown), and a cursor link to the next page. For those
 * who may pause, the rows sit in a plain POST form with a checkbox each: "Pause" or "Resume"
 * posts the checked ones to the confirmation page (page-confirm.ts), which changes nothing
 * itself. That form is not boosted by htmx, so the clicked button's value is the browser's
 * own and the same with JavaScript off. For those who may requeue and discard, "Requeue" and
 * "Discard" sit beside them (a pick that is no dead letter is left alone and counted so); a
 * dead letter shows as "dead-lettered" with its last error, never as "paused". For those who
 * may trigger, "Trigger" beside them runs the checked ones once now (a paused pick is left
 * alone and counted so); a pending trigger or backfill shows as a badge beside the state, and
 * so does "failing" when the row's last settled run failed (the listing read its outcome).
 */

/** What the instances page shows. */
export interface InstancesView {
  readonly task: TaskRecord;
  readonly filter: InstanceFilter;
  readonly listing: InstanceListing;
  readonly now: number;
  /** True when the viewer may pause and resume (checkboxes and buttons shown). */
  readonly canChange: boolean;
  /** True when the viewer may requeue and discard dead letters (checkboxes and buttons shown). */
  readonly canDeadLetter: boolean;
  /** True when the viewer may trigger (checkboxes and the button shown). */
  readonly canTrigger: boolean;
  readonly csrf: string;
  /** This page's own path and query (where a change comes back to). */
  readonly back: string;
  /** The summary of the change just made, or "". */
  readonly done: SafeHtml | "";
}

/** The query string of a filter (and a page token). */
export function filterQuery(filter: InstanceFilter, after: string): string {
  const q = new URLSearchParams();
  if (filter.partition !== undefined) q.set("partition", String(filter.partition));
  if (filter.prefix !== "") q.set("prefix", filter.prefix);
  if (filter.contains !== "") q.set("contains", filter.contains);
  if (filter.state !== "") q.set("state", filter.state);
  if (after !== "") q.set("after", after);
  const text = q.toString();
  return text === "" ? "" : `?${text}`;
}

/** How the state filter's options read. */
const STATE_LABELS: Record<(typeof STATE_FILTERS)[number], string> = {
  active: "active",
  paused: "paused",
  failing: "failing",
  dead_lettered: "dead-lettered",
  overdue: "overdue",
};

/** The instances page's body. */
export function instancesBody(view: InstancesView): SafeHtml {
  const { task, filter, listing } = view;
  const picking = view.canChange || view.canDeadLetter || view.canTrigger;
  const buttons = [
    ...(view.canChange
      ? [
          html`<button type="submit" name="action" value="pause">Pause…</button>`,
          html`<button type="submit" name="action" value="resume">Resume…</button>`,
        ]
      : []),
    ...(view.canDeadLetter
      ? [
          html`<button type="submit" name="action" value="requeue">Requeue…</button>`,
          html`<button type="submit" name="action" value="discard">Discard…</button>`,
        ]
      : []),
    ...(view.canTrigger ? [html`<button type="submit" name="action" value="trigger">Trigger…</button>`] : []),
  ];
  const base = `/tasks/${encodeURIComponent(task.name)}/instances`;
  const options = Array.from({ length: Math.min(task.partitionCount, 1024) }, (_, p) => p);
  return html`<h1>Instances of <span class="mono">${task.name}</span></h1>
<form class="filters" method="get" action="${base}">
<label>partition
${
  task.partitionCount <= 1024
    ? html`<select name="partition"><option value="">all</option>${options.map(
        (p) => html`<option value="${p}"${filter.partition === p ? html` selected` : ""}>${p}</option>`,
      )}</select>`
    : html`<input name="partition" inputmode="numeric" value="${filter.partition ?? ""}" placeholder="all">`
}</label>
<label>name starts with <input name="prefix" value="${filter.prefix}"></label>
<label>name contains <input name="contains" value="${filter.contains}"></label>
<label>state <select name="state"><option value="">all</option>${STATE_FILTERS.map(
    (state) =>
      html`<option value="${state}"${filter.state === state ? html` selected` : ""}>${STATE_LABELS[state]}</option>`,
  )}</select></label>
<button type="submit">Filter</button> <a href="${base}">Clear</a>
</form>
${listing.filtered ? html`<p class="muted">Filtered while reading: ${count(listing.read)} instance(s) read for this page${filter.state === "failing" ? html`, each with its run history` : ""}.</p>` : ""}
${view.done}
${
  picking
    ? html`<form method="post" action="/tasks/${encodeURIComponent(task.name)}/confirm" class="bulk" hx-boost="false">
<input type="hidden" name="csrf" value="${view.csrf}"><input type="hidden" name="back" value="${view.back}">
<p class="actions">With the checked instances: ${buttons.map((b) => html`${b} `)}<span class="muted">(a confirmation follows)</span></p>`
    : ""
}
<table class="instances">
<thead><tr>${picking ? html`<th><span class="muted">pick</span></th>` : ""}<th>name</th><th>partition</th><th>state</th><th>schedule</th><th>next run</th><th>lease</th></tr></thead>
<tbody>
${listing.items.length === 0 ? html`<tr><td colspan="7" class="muted">No instances on this page.</td></tr>` : ""}
${listing.items.map((instance, i) => row(view, instance, listing.failing[i] === true))}
</tbody>
</table>
${picking ? html`</form>` : ""}
<div class="pager">
<a href="${base}${filterQuery(filter, "")}">First page</a>
${listing.nextPageToken === "" ? html`<span class="muted">last page</span>` : html`<a href="${base}${filterQuery(filter, listing.nextPageToken)}" rel="next">Next page</a>`}
</div>`;
}

function row(view: InstancesView, instance: InstanceRecord, failing: boolean): SafeHtml {
  const { task, now } = view;
  const key = instance.partitionKey === "" ? "" : `?key=${encodeURIComponent(instance.partitionKey)}`;
  const href = `/tasks/${encodeURIComponent(task.name)}/instances/${encodeURIComponent(instance.name)}${key}`;
  const ready = readyAt(instance);
  const paused = instance.paused;
  const state = stateOf(instance);
  // An armed trigger or backfill is due at once, not late; the schedule goes on afterwards.
  const armed = instance.manual?.state === "armed";
  const late = paused === undefined && !armed && ready < now - task.misfireGraceMs;
  const badge =
    state === "dead_lettered"
      ? html`<span class="badge dead">dead-lettered</span>`
      : html`<span class="badge off">paused</span>`;
  return html`<tr data-instance="${instance.name}" data-state="${state}">
${view.canChange || view.canDeadLetter || view.canTrigger ? html`<td><input type="checkbox" name="pick" value="${pickValue(instance.partitionKey, instance.name)}" aria-label="pick ${instance.name}"></td>` : ""}
<td><a href="${href}">${instance.name}</a></td>
<td data-field="partition">${instance.partition}</td>
<td data-field="state">${paused === undefined ? "active" : html`${badge}${paused.note === "" ? "" : html` <span class="note" data-field="note">${paused.note}</span>`}`}${manualPending(instance) ? html` <span class="badge" data-field="manual">${instance.manual?.kind}</span>` : ""}${failing ? html` <span class="badge off" data-field="failing" title="its last settled run failed">failing</span>` : ""}</td>
<td>${scheduleWords(instance.schedule)}</td>
<td>${utc(scheduledNext(instance))}${late ? html` <span class="badge off">overdue ${age(now - ready)}</span>` : ""}</td>
<td>${instance.lockedUntil > now ? html`held until ${utc(instance.lockedUntil)}` : html`<span class="muted">free</span>`}</td>
</tr>`;
}
