import { age, count, utc } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { cellKey, type LiveValue } from "./live-figures.ts";
import type { OverviewFigures, TaskGrid } from "./overview-data.ts";

/*
 * The overview: "is every schedule firing?" in one look. Replicas and their health, the
 * execution rate and lag, and per task a grid of its partitions coloured by owner, each with
 * its due count and the age of its oldest due instance (red border: older than the task's
 * misfire grace). Live figures carry data-live keys; assets/live.js follows them over SSE.
 * Paused instances get a link to the list filtered by state=paused, not a count: no store
 * indexes them (paused-counts.ts), and the overview must stay O(partitions); dead letters
 * likewise get a link to state=dead_lettered, and failing ones (last run failed, a fact of the
 * run history) a link to state=failing, neither with a count.
 */

/** The overview's body. */
export function overviewBody(figures: OverviewFigures, live: Record<string, LiveValue>): SafeHtml {
  const text = (key: string) => live[key]?.text ?? "";
  const figure = (key: string, label: string) =>
    html`<div class="figure"><div class="value" data-live="${key}">${text(key)}</div><div class="label">${label}</div></div>`;
  return html`<h1>Overview</h1>
<div class="figures">
${figure("rate", "executions delivered")}
${figure("lag", "mean lag (slot to delivery)")}
${figure("due", "due now (shown tasks)")}
${figure("leases", "in flight here")}
${figure("streams", "Execute streams here")}
${figure("delivered", "delivered since start")}
</div>
<p class="muted">Figures read at <span data-live="read-at">${text("read-at")}</span>; live update: <span data-live="sent-at">–</span> (while JavaScript runs). Store ${figures.storeHealthy ? "answers" : html`<strong>does not answer</strong>`}.</p>
<h2>Replicas <span class="muted">(ownership: ${figures.ownershipMode})</span></h2>
<table>
<thead><tr><th>replica</th><th>address</th><th>health</th><th>started</th><th>heartbeat valid for</th></tr></thead>
<tbody>
${figures.replicas.map(
  (r) => html`<tr><td class="mono">${r.id}</td><td class="mono">${r.address || "–"}</td><td>${r.health}</td>
<td>${r.startedAt === undefined ? "–" : utc(r.startedAt)}</td><td>${r.expiresInMs === undefined ? "–" : age(r.expiresInMs)}</td></tr>`,
)}
</tbody>
</table>
<h2>Partitions</h2>
${figures.counted ? "" : html`<p class="muted">This store cannot count due instances; the grid shows owners only.</p>`}
${figures.grids.length === 0 ? html`<p>No tasks yet.</p>` : figures.grids.map(grid)}
${figures.moreTasks ? html`<p class="muted">More tasks than the overview shows: see <a href="/tasks">Tasks</a>.</p>` : ""}`;
}

function grid(g: TaskGrid): SafeHtml {
  const name = g.task.name;
  const base = `/tasks/${encodeURIComponent(name)}/instances`;
  const legend = g.owners.map((owner, i) => html`<span class="own-${i % 8}">${owner}</span>`);
  const hidden = g.task.partitionCount - g.cells.length;
  return html`<section class="task-grid" data-task="${name}">
<h3><a href="${base}">${name}</a> <span class="muted">${count(g.task.partitionCount)} partition(s) · due now <span data-live="due:${name}">${count(g.due)}</span> · <a href="${base}?state=paused" data-field="paused">paused</a> · <a href="${base}?state=dead_lettered" data-field="dead-letters">dead letters</a> · <a href="${base}?state=failing" data-field="failing">failing</a>${g.task.enabled ? "" : html` · <span class="badge off">disabled</span>`}</span></h3>
<div class="legend muted">owners: ${legend.length === 0 ? "none" : legend}</div>
<div class="grid">
${g.cells.map(
  (
    c,
  ) => html`<a class="cell ${c.owner < 0 ? "own-none" : `own-${c.owner % 8}`}" href="${base}?partition=${c.partition}" data-live="${cellKey("s", name, c.partition)}" data-state="${c.overdue ? "overdue" : "ok"}" title="partition ${c.partition} · owner ${g.owners[c.owner] ?? "none"}">
<span class="p">p${c.partition}</span><span data-live="${cellKey("c", name, c.partition)}">${count(c.due)}</span><span data-live="${cellKey("a", name, c.partition)}">${c.oldestMs === undefined ? "" : age(c.oldestMs)}</span></a>`,
)}
</div>
${hidden > 0 ? html`<p class="muted">${count(hidden)} more partitions: filter the instances list by partition.</p>` : ""}
</section>`;
}
