import type { InstanceRecord, TaskRecord } from "../domain/model.ts";
import { readyAt } from "../domain/model.ts";
import { age, count, utc } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import type { InstanceFilter, InstanceListing } from "./instance-listing.ts";
import { scheduleWords } from "./schedule-words.ts";

/*
 * The instances list: a GET form of filters (works without JavaScript; htmx boosts it), one
 * page of rows, and a cursor link to the next page. Later slots: the state filter gains
 * active/paused/failing/dead-lettered (lifecycle issue) as further <option>s, and a checkbox
 * column with bulk pause/resume/trigger (confirmation and a note) goes before the name.
 */

/** What the instances page shows. */
export interface InstancesView {
  readonly task: TaskRecord;
  readonly filter: InstanceFilter;
  readonly listing: InstanceListing;
  readonly now: number;
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

/** The instances page's body. */
export function instancesBody(view: InstancesView): SafeHtml {
  const { task, filter, listing } = view;
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
<label>state <select name="state"><option value="">any</option><option value="overdue"${filter.state === "overdue" ? html` selected` : ""}>overdue</option></select></label>
<button type="submit">Filter</button> <a href="${base}">Clear</a>
</form>
${listing.filtered ? html`<p class="muted">Filtered while reading: ${count(listing.read)} instance(s) read for this page.</p>` : ""}
<table class="instances">
<thead><tr><th>name</th><th>partition</th><th>schedule</th><th>next run</th><th>lease</th></tr></thead>
<tbody>
${listing.items.length === 0 ? html`<tr><td colspan="5" class="muted">No instances on this page.</td></tr>` : ""}
${listing.items.map((i) => row(task, i, view.now))}
</tbody>
</table>
<div class="pager">
<a href="${base}${filterQuery(filter, "")}">First page</a>
${listing.nextPageToken === "" ? html`<span class="muted">last page</span>` : html`<a href="${base}${filterQuery(filter, listing.nextPageToken)}" rel="next">Next page</a>`}
</div>`;
}

function row(task: TaskRecord, instance: InstanceRecord, now: number): SafeHtml {
  const key = instance.partitionKey === "" ? "" : `?key=${encodeURIComponent(instance.partitionKey)}`;
  const href = `/tasks/${encodeURIComponent(task.name)}/instances/${encodeURIComponent(instance.name)}${key}`;
  const ready = readyAt(instance);
  const late = ready < now - task.misfireGraceMs;
  return html`<tr data-instance="${instance.name}">
<td><a href="${href}">${instance.name}</a></td>
<td>${instance.partition}</td>
<td>${scheduleWords(instance.schedule)}</td>
<td>${utc(instance.nextRunAt)}${late ? html` <span class="badge off">overdue ${age(now - ready)}</span>` : ""}</td>
<td>${instance.lockedUntil > now ? html`held until ${utc(instance.lockedUntil)}` : html`<span class="muted">free</span>`}</td>
</tr>`;
}
