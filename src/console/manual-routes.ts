import { ErrorCode, hasCode, toError } from "../domain/errors.ts";
import { localPath } from "./http-io.ts";
import { type ManualSummary, readWindow, withManualSummary } from "./manual-change.ts";
import type { Asker, Pages, Rendered } from "./pages.ts";
import { readPicks } from "./pause-change.ts";

/*
 * The two manual-run posts, after console-routes.ts has checked the Origin, the CSRF token and
 * the RPC's role: POST /tasks/NAME/trigger (from the confirmation page) and POST
 * /tasks/NAME/backfill (from the instance page's form). Each redirects back with its summary;
 * a backfill the service refuses (INVALID_ARGUMENT: a range in the future, reversed or over
 * MAX_BACKFILL_SLOTS, a malformed time) renders the instance page again at 400 with the
 * service's message beside the form, so the user sees why and can mend the range.
 */

/** A manual-run post: the task named by the path, the form, and who asks. */
export interface ManualPost {
  readonly taskName: string;
  readonly form: URLSearchParams;
  readonly pages: Pages;
  readonly asker: Asker;
}

/** Where to go with the summary, or a page to show with its status. */
export type ManualAnswer =
  | { readonly redirect: string; readonly summary: ManualSummary }
  | { readonly status: number; readonly rendered: Rendered };

/** Triggers the form's picks with the form's request id (the confirmation's). */
export async function postTrigger(post: ManualPost): Promise<ManualAnswer> {
  const { taskName, form, pages } = post;
  const picks = readPicks(form);
  const summary = await pages.trigger(taskName, picks, form.get("request_id") ?? "");
  return { redirect: withManualSummary(localPath(form.get("back")), summary), summary };
}

/** Backfills the form's pick over its range; a refused range comes back on the instance page. */
export async function postBackfill(post: ManualPost): Promise<ManualAnswer> {
  const { taskName, form, pages, asker } = post;
  const picks = readPicks(form);
  try {
    const summary = await pages.backfill(taskName, picks, {
      window: readWindow(form),
      requestId: form.get("request_id") ?? "",
    });
    return { redirect: withManualSummary(localPath(form.get("back")), summary), summary };
  } catch (thrown) {
    const pick = picks[0];
    if (!hasCode(thrown, ErrorCode.InvalidArgument) || picks.length !== 1 || pick === undefined) throw thrown;
    const query = new URLSearchParams(pick.key === "" ? {} : { key: pick.key });
    const refused = {
      error: toError(thrown).message,
      start: form.get("start") ?? "",
      end: form.get("end") ?? "",
    };
    return { status: 400, rendered: await pages.instancePage(taskName, pick.name, query, asker, refused) };
  }
}
