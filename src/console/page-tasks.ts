import { CONSOLE_PAUSED_SCAN } from "../domain/limits.ts";
import type { TaskRecord } from "../domain/model.ts";
import { age, count } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { PausedCounts } from "./paused-counts.ts";
import { scheduleWords } from "./schedule-words.ts";
import type { TaskCounts } from "./task-counts.ts";

/*
 * The tasks page: every definition with its counts, and enable/disable for admins (a POST
 * form with the session's CSRF token; readers see the state without the button). The active
 * count is the due index's (a paused instance leaves it); the paused count is a bounded read
 * (paused-counts.ts), shown for small tasks and otherwise a link to the filtered list; the
 * dead-letter count comes from the same read and links to the task's dead-letter list. Failing
 * instances (last run failed) get a link to the filtered list and never a count: that is a fact
 * of each run history, which not even the bounded read loads.
 */

/** What the tasks page shows. */
export interface TasksView {
  readonly tasks: readonly TaskRecord[];
  readonly counts: readonly (TaskCounts | undefined)[];
  /** Paused instances and dead letters of each task, when counted. */
  readonly paused: readonly (PausedCounts | undefined)[];
  readonly nextPageToken: string;
  readonly canChange: boolean;
  readonly csrf: string;
}

/** The tasks page's body. */
export function tasksBody(view: TasksView): SafeHtml {
  return html`<h1>Tasks</h1>
${view.tasks.length === 0 ? html`<p>No tasks yet.</p>` : ""}
<table class="tasks">
<thead><tr><th>task</th><th>kind</th><th>schedule</th><th>partitions</th><th>active instances</th><th>paused</th><th>dead letters</th><th>failing</th><th>due now</th><th>mode</th><th>lease · misfire</th><th>state</th></tr></thead>
<tbody>
${view.tasks.map((task, i) => row(task, view.counts[i], view.paused[i], view))}
</tbody>
</table>
<p class="muted">Active and due counts come from the due index (two reads a partition), not from reading records. Paused instances and dead letters are out of that index: they are counted by reading records, for small tasks only (at most ${count(CONSOLE_PAUSED_SCAN)} records a page); "list" shows them for any task. Failing instances (last run failed) are never counted: "list" finds them.</p>
<div class="pager">
<a href="/tasks">First page</a>
${view.nextPageToken === "" ? "" : html`<a href="/tasks?after=${view.nextPageToken}" rel="next">Next page</a>`}
</div>`;
}

function row(
  task: TaskRecord,
  counts: TaskCounts | undefined,
  paused: PausedCounts | undefined,
  view: TasksView,
): SafeHtml {
  const href = `/tasks/${encodeURIComponent(task.name)}/instances`;
  const toggle = view.canChange
    ? html`<form method="post" action="/tasks/${encodeURIComponent(task.name)}/enabled" class="inline">
<input type="hidden" name="csrf" value="${view.csrf}"><input type="hidden" name="enabled" value="${task.enabled ? "false" : "true"}">
<button type="submit">${task.enabled ? "Disable" : "Enable"}</button></form>`
    : "";
  return html`<tr data-task="${task.name}">
<td><a href="${href}">${task.name}</a></td>
<td>${task.dynamic ? "dynamic" : "static"}</td>
<td>${task.schedule === undefined ? html`<span class="muted">per instance</span>` : scheduleWords(task.schedule)}</td>
<td>${count(task.partitionCount)}</td>
<td>${counts === undefined ? "–" : count(counts.instances)}</td>
<td data-field="paused"><a href="${href}?state=paused">${paused === undefined ? "list" : count(paused.paused)}</a></td>
<td data-field="dead-letters"><a href="${href}?state=dead_lettered">${paused === undefined ? "list" : count(paused.deadLettered)}</a></td>
<td data-field="failing"><a href="${href}?state=failing">list</a></td>
<td>${counts === undefined ? "–" : count(counts.due)}</td>
<td>${task.executionMode.replaceAll("_", " ")} · failure ${task.failureMode}</td>
<td>${age(task.leaseMs)} · ${task.misfirePolicy.replaceAll("_", " ")} after ${age(task.misfireGraceMs)}</td>
<td><span class="badge ${task.enabled ? "on" : "off"}" data-state="${task.enabled ? "enabled" : "disabled"}">${task.enabled ? "enabled" : "disabled"}</span> ${toggle}</td>
</tr>`;
}
