import type { RunHistory, RunOutcome, RunRecord } from "../domain/model.ts";
import { count, utc } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";

/*
 * An instance's run history on its page (issue 14's record, read with one getRuns): the
 * counters as fact rows, and the recent runs as a table, newest first as the store keeps them.
 * "took" is finished minus delivered (the worker's time holding the lease, as the ack settled
 * it), not the job's own measure. An error is the worker's text, shown as text, cut by the
 * store to MAX_RUN_ERROR_BYTES already. No history means the instance never finished a run
 * (or the task keeps none: history_limit 0 records not even the counters).
 */

/** The counter rows of the instance page's facts table. */
export function runCounterRows(history: RunHistory | undefined): SafeHtml {
  const runs = history?.runs ?? 0;
  const failures = history?.failures ?? 0;
  return html`<tr><th>runs · failures</th><td data-field="runs">${count(runs)} · <span data-field="failures">${count(failures)}</span></td></tr>
<tr><th>last outcome</th><td data-field="last-outcome">${outcomeBadge(history?.lastOutcome)}</td></tr>`;
}

/** The recent-runs section of the instance page. */
export function recentRuns(history: RunHistory | undefined, historyLimit: number): SafeHtml {
  const recent = history?.recent ?? [];
  const heading = html`<h2>Recent runs</h2>`;
  if (historyLimit === 0) {
    return html`${heading}<p class="muted">This task keeps no run history (history_limit 0), not even the counters above.</p>`;
  }
  if (recent.length === 0) return html`${heading}<p class="muted">No finished runs yet.</p>`;
  return html`${heading}
<p class="muted">The newest ${recent.length} of at most ${historyLimit} kept (the task's history_limit), newest first; times UTC.</p>
<table class="runs">
<thead><tr><th>slot</th><th>delivered</th><th>took</th><th>attempt</th><th>reason</th><th>outcome</th><th>worker</th><th>error</th></tr></thead>
<tbody>
${recent.map(runRow)}
</tbody>
</table>`;
}

function runRow(run: RunRecord): SafeHtml {
  return html`<tr data-run="${run.slot}" data-outcome="${run.outcome}">
<td>${utc(run.slot)}</td><td>${utc(run.deliveredAt)}</td>
<td data-field="took">${count(Math.max(0, run.finishedAt - run.deliveredAt))} ms</td>
<td data-field="attempt">${run.attempt}</td><td data-field="reason">${run.reason}</td>
<td data-field="outcome">${outcomeBadge(run.outcome)}</td>
<td data-field="worker">${run.worker === "" ? html`<span class="muted">–</span>` : html`<code>${run.worker}</code>`}</td>
<td data-field="error" class="error">${run.error}</td>
</tr>`;
}

function outcomeBadge(outcome: RunOutcome | undefined): SafeHtml | string {
  if (outcome === undefined) return html`<span class="muted">none yet</span>`;
  return html`<span class="badge ${outcome === "success" ? "on" : "off"}">${outcome}</span>`;
}
