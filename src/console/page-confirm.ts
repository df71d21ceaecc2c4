import { MAX_PAUSE_NOTE_BYTES } from "../domain/limits.ts";
import { html, type SafeHtml } from "./html.ts";
import { type Pick, type PickKind, pickValue } from "./pause-change.ts";

/*
 * The confirmation step of a pause or resume: the instances chosen, by name (and key), and a
 * plain POST form that carries them on, with the pause's note (at most MAX_PAUSE_NOTE_BYTES
 * of UTF-8; the textarea's maxlength counts characters, so the service's byte check is the
 * real bound) or the resume's "skip missed slots". Nothing changes until this form is sent;
 * "Cancel" goes back where the choice was made. No JavaScript needed. Requeue and discard of
 * dead letters confirm the same way, with a line on what each does and no fields. A trigger
 * takes no note: its form carries the request id this page was rendered with, so the same
 * confirmation sent twice runs each instance once (the second answers duplicate).
 */

/** What the confirmation page shows. */
export interface ConfirmView {
  readonly task: string;
  readonly kind: PickKind;
  readonly picks: readonly Pick[];
  /** A trigger's request id, fresh for each confirmation page (unused by the other kinds). */
  readonly requestId: string;
  /** Where to go back to (a local path). */
  readonly back: string;
  readonly csrf: string;
}

/** The button word of each kind. */
export const VERBS: Record<PickKind, string> = {
  pause: "Pause",
  resume: "Resume",
  requeue: "Requeue",
  discard: "Discard",
  trigger: "Trigger",
};

/** The confirmation page's body. */
export function confirmBody(view: ConfirmView): SafeHtml {
  const { task, kind, picks } = view;
  const verb = VERBS[kind];
  const fields = fieldsOf(view);
  return html`<h1>${verb} ${picks.length} instance(s) of <span class="mono">${task}</span>?</h1>
<form method="post" action="/tasks/${encodeURIComponent(task)}/${kind}" class="confirm">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="back" value="${view.back}">
<ul class="picked">
${picks.map(
  (p) =>
    html`<li data-picked="${p.name}"><span class="mono">${p.name}</span>${p.key === "" ? "" : html` <span class="muted">key <code>${p.key}</code></span>`}<input type="hidden" name="pick" value="${pickValue(p.key, p.name)}"></li>`,
)}
</ul>
${fields}
<button type="submit">${verb} ${picks.length} instance(s)</button> <a href="${view.back}">Cancel</a>
</form>`;
}

/** The fields and the line on what the change does, by kind. */
function fieldsOf(view: ConfirmView): SafeHtml {
  switch (view.kind) {
    case "trigger":
      return html`<input type="hidden" name="request_id" value="${view.requestId}">
<p class="muted">Each active instance runs once now, outside its schedule; its next scheduled slot stays as it is. One with a run in flight (or a retry waiting) runs once that is settled; one with a trigger or backfill still pending, or paused, is left alone. Sending this form again runs nothing twice (request id <code>${view.requestId}</code>).</p>`;
    case "requeue":
      return html`<p class="muted">Each dead letter runs its failed slot again, at once, with a fresh retry budget (attempt 1). Instances that are not dead letters are left as they are.</p>`;
    case "discard":
      return html`<p class="muted">Each dead letter gives up its failed slot and moves on to its first slot after now; a one-off (at) instance has none and is removed. Instances that are not dead letters are left as they are.</p>`;
    case "pause":
      return html`<p><label>note (who and why; shown on the instance while paused)<br>
<textarea name="note" rows="3" cols="60" maxlength="${MAX_PAUSE_NOTE_BYTES}"></textarea></label>
<br><span class="muted">At most ${MAX_PAUSE_NOTE_BYTES} bytes. A paused instance is never delivered until resumed; a run in flight finishes.</span></p>`;
    case "resume":
      return html`<p><label><input type="checkbox" name="skip_missed" value="true"> skip missed slots</label>
<br><span class="muted">Unchecked: the task's misfire policy decides what runs of the slots missed while paused. Checked: each continues at its first slot after now.</span></p>`;
  }
}
