import type { TaskRecord } from "../domain/model.ts";
import { age, count } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { scheduleWords } from "./schedule-words.ts";
import type { TaskCounts } from "./task-counts.ts";

/*
 * The tasks page: every definition with its counts, and enable/disable for admins (a POST
 * form with the session's CSRF token; readers see the state without the button). Later slots:
 * a bulk pause/resume per task (lifecycle issue) goes in the actions column beside the toggle.
 */

/** What the tasks page shows. */
export interface TasksView {
  readonly tasks: readonly TaskRecord[];
  readonly counts: readonly (TaskCounts | undefined)[];
  readonly nextPageToken: string;
  readonly canChange: boolean;
  readonly csrf: string;
}

/** The tasks page's body. */
export function tasksBody(view: TasksView): SafeHtml {
  return html`<h1>Tasks</h1>
${view.tasks.length === 0 ? html`<p>No tasks yet.</p>` : ""}
<table class="tasks">
<thead><tr><th>task</th><th>kind</th><th>schedule</th><th>partitions</th><th>instances</th><th>due now</th><th>mode</th><th>lease · misfire</th><th>state</th></tr></thead>
<tbody>
${view.tasks.map((task, i) => row(task, view.counts[i], view))}
</tbody>
</table>
<p class="muted">Counts come from the due index (two reads a partition), not from reading records.</p>
<div class="pager">
<a href="/tasks">First page</a>
${view.nextPageToken === "" ? "" : html`<a href="/tasks?after=${view.nextPageToken}" rel="next">Next page</a>`}
</div>`;
}

function row(task: TaskRecord, counts: TaskCounts | undefined, view: TasksView): SafeHtml {
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
<td>${counts === undefined ? "–" : count(counts.due)}</td>
<td>${task.executionMode.replaceAll("_", " ")} · failure ${task.failureMode}</td>
<td>${age(task.leaseMs)} · ${task.misfirePolicy.replaceAll("_", " ")} after ${age(task.misfireGraceMs)}</td>
<td><span class="badge ${task.enabled ? "on" : "off"}" data-state="${task.enabled ? "enabled" : "disabled"}">${task.enabled ? "enabled" : "disabled"}</span> ${toggle}</td>
</tr>`;
}
