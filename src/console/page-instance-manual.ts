import { MAX_BACKFILL_SLOTS } from "../domain/limits.ts";
import type { InstanceRecord } from "../domain/model.ts";
import { utc } from "./format.ts";
import { html, type SafeHtml } from "./html.ts";
import { notice } from "./layout.ts";
import { pickValue } from "./pause-change.ts";

/*
 * The instance page's parts for runs outside the schedule (issue 15): the fact row of a
 * pending trigger or backfill, and the backfill form. While a manual run is armed the stored
 * nextRunAt is its slot, due at once, and the schedule goes on at `resume` afterwards, so the
 * page's next run and slot preview start from `resume` (as GetInstance's next_slots do) and
 * the manual slot is shown in its own row. A done run is history, not pending: no row.
 * The backfill form is a plain POST with its own request id (fresh on every render), so
 * sending it twice answers duplicate; a refused range comes back on this page with the
 * service's own message and the fields as they were sent.
 */

/** True while a trigger or backfill of the instance has not finished. */
export function manualPending(instance: InstanceRecord): boolean {
  return instance.manual !== undefined && instance.manual.state !== "done";
}

/** The fact row of a pending manual run; "" when there is none. */
export function manualRow(instance: InstanceRecord, now: number): SafeHtml | "" {
  const manual = instance.manual;
  if (manual === undefined || manual.state === "done") return "";
  const what =
    manual.kind === "triggered"
      ? html`trigger asked at ${utc(manual.first)}`
      : html`backfill of the slots ${utc(manual.first)} to ${utc(manual.end)}`;
  const running = instance.leaseOwner !== "" && instance.lockedUntil > now;
  const where =
    manual.state === "waiting"
      ? "queued: it runs once the run in flight (or the retry it waits for) is settled"
      : manual.kind === "triggered"
        ? html`${running ? "running now" : "due now"}; then the schedule goes on at ${utc(manual.resume)}`
        : html`${running ? "running" : "due"} slot ${utc(instance.nextRunAt)}; then the schedule goes on at ${utc(manual.resume)}`;
  return html`<tr><th>manual run</th><td data-field="manual" data-kind="${manual.kind}" data-state="${manual.state}"><span class="badge">${manual.kind}</span> ${what}: ${where} <span class="muted">(request id <code>${manual.id}</code>)</span></td></tr>`;
}

/** What the backfill form shows: its request id, and after a refusal the fields and the reason. */
export interface BackfillFormState {
  readonly requestId: string;
  readonly start: string;
  readonly end: string;
  /** The service's message for a refused range, or undefined. */
  readonly error: string | undefined;
}

/** The backfill form of one instance. */
export function backfillForm(
  instance: InstanceRecord,
  form: BackfillFormState,
  page: { readonly csrf: string; readonly back: string },
): SafeHtml {
  return html`<h2>Backfill</h2>
<form method="post" action="/tasks/${encodeURIComponent(instance.task)}/backfill" class="backfill" data-action="backfill">
<input type="hidden" name="csrf" value="${page.csrf}"><input type="hidden" name="back" value="${page.back}">
<input type="hidden" name="pick" value="${pickValue(instance.partitionKey, instance.name)}"><input type="hidden" name="request_id" value="${form.requestId}">
${form.error === undefined ? "" : notice("error", form.error)}
<label>from (UTC, not included) <input type="datetime-local" name="start" step="1" required value="${form.start}"></label>
<label>to (UTC, included) <input type="datetime-local" name="end" step="1" required value="${form.end}"></label>
<button type="submit">Backfill</button>
<p class="muted">Runs each slot of the schedule after "from" and at or before "to", oldest first and one at a time, then goes on with the schedule where it was. "to" must not be in the future; at most ${MAX_BACKFILL_SLOTS} slots. Sending this form twice runs nothing twice.</p>
</form>`;
}
