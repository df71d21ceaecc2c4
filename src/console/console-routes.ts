import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { ErrorCode, hasCode, toError } from "../domain/errors.ts";
import { html } from "./html.ts";
import { BodyError, localPath, readForm, redirect, SECURITY_HEADERS, sendHtml } from "./http-io.ts";
import { notice, page } from "./layout.ts";
import type { LiveStreams } from "./live-stream.ts";
import { postBackfill, postTrigger } from "./manual-routes.ts";
import { loginBody } from "./page-login.ts";
import type { Asker, Pages, Rendered } from "./pages.ts";
import { type PickKind, readKind, readPicks, withSummary } from "./pause-change.ts";
import type { Sessions } from "./session.ts";
import type { StaticFile } from "./static-files.ts";
import type { ViewerCheck } from "./viewer.ts";

/*
 * Every console request, in order: static files; the login form; the gate (the cookie's token
 * checked by the API's role rule on every request, a session id issued when no tokens are
 * configured); on a POST the Origin and the session's CSRF token, then the change's own role;
 * then the routes. GET pages change nothing; every change is a POST behind the whole gate.
 * Pause and resume: POST /tasks/NAME/confirm renders the confirmation (it changes nothing,
 * but is a POST so that a page of picks never meets a URL length limit, and is checked as the
 * change itself), then POST /tasks/NAME/pause or /resume changes and redirects back with a
 * summary. Each checks its RPC's access (viewer.ts). Requeue and discard of dead letters take
 * the same two steps (POST /tasks/NAME/requeue or /discard), each checked as its own RPC.
 * A trigger confirms the same way and posts to /tasks/NAME/trigger; a backfill posts from the
 * instance page to /tasks/NAME/backfill (manual-routes.ts), each checked as its own RPC.
 */

/** What the handler uses. */
export interface HandlerParts {
  readonly files: ReadonlyMap<string, StaticFile>;
  readonly check: ViewerCheck;
  readonly sessions: Sessions;
  readonly pages: Pages;
  readonly live: LiveStreams;
  readonly logger: Logger;
}

const TASK_PATH =
  /^\/tasks\/([^/]+)\/(instances|enabled|confirm|pause|resume|requeue|discard|trigger|backfill)(?:\/([^/]+))?$/;

/** The node:http request listener of the console. */
export function consoleHandler(
  parts: HandlerParts,
): (request: IncomingMessage, response: ServerResponse) => void {
  const { files, check, sessions, pages, live, logger } = parts;
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://console");
    const method = request.method ?? "GET";
    const file = method === "GET" ? files.get(url.pathname) : undefined;
    if (file !== undefined) {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        "content-type": file.type,
        "cache-control": "public, max-age=3600",
      });
      response.end(file.body);
      return;
    }
    let cookie = sessions.cookie(request);
    const setCookie: Record<string, string> = {};
    if (url.pathname === "/login" && check.required) {
      if (method === "GET") {
        sendHtml(
          response,
          200,
          page(
            { title: "Log in", viewer: undefined, csrf: undefined },
            loginBody(undefined, localPath(url.searchParams.get("next"))),
          ),
        );
        return;
      }
      if (method === "POST") {
        if (!sessions.sameOrigin(request))
          return refuse(response, "a login must come from the console's own page (Origin check)");
        const form = await readForm(request);
        const token = form.get("token") ?? "";
        const next = localPath(form.get("next"));
        if (check.viewer(token) === undefined) {
          logger.info("console login refused: unknown token");
          sendHtml(
            response,
            401,
            page(
              { title: "Log in", viewer: undefined, csrf: undefined },
              loginBody("That token is not accepted.", next),
            ),
          );
          return;
        }
        redirect(response, next, { "set-cookie": sessions.setCookie(token) });
        return;
      }
    }
    if (!check.required && cookie === undefined) {
      // No tokens: a random session id still gives each browser its own CSRF token.
      cookie = sessions.newSessionId();
      setCookie["set-cookie"] = sessions.setCookie(cookie);
    }
    const allowed = check.check(cookie, "read");
    if (!allowed.ok) {
      if (allowed.status === 401) {
        if (method === "GET") {
          redirect(response, `/login?next=${encodeURIComponent(url.pathname + url.search)}`, {
            "set-cookie": sessions.clearCookie(),
          });
        } else {
          response.writeHead(401, SECURITY_HEADERS).end("log in first\n");
        }
        return;
      }
      return refuse(response, allowed.reason);
    }
    const viewer = check.viewer(cookie);
    const csrf = sessions.csrfToken(cookie ?? "");
    const asker: Asker = {
      canChange: check.check(cookie, "pause").ok || check.check(cookie, "resume").ok,
      canDeadLetter: check.check(cookie, "requeue").ok || check.check(cookie, "discard").ok,
      canTrigger: check.check(cookie, "trigger").ok,
      canBackfill: check.check(cookie, "backfill").ok,
      csrf,
    };
    const show = (status: number, rendered: Rendered) =>
      sendHtml(
        response,
        status,
        page(
          {
            title: rendered.title,
            viewer,
            csrf,
            ...(rendered.section === undefined ? {} : { section: rendered.section }),
          },
          rendered.body,
        ),
        setCookie,
      );

    if (method === "POST") {
      if (!sessions.sameOrigin(request))
        return refuse(response, "a change must come from the console's own pages (Origin check)");
      const form = await readForm(request);
      if (!sessions.csrfValid(cookie, form.get("csrf") ?? undefined)) {
        return refuse(
          response,
          "the form's CSRF token is missing or does not belong to this session; reload the page",
        );
      }
      if (url.pathname === "/logout") {
        redirect(response, check.required ? "/login" : "/", { "set-cookie": sessions.clearCookie() });
        return;
      }
      const match = TASK_PATH.exec(url.pathname);
      if (match?.[2] === "enabled" && match[3] === undefined) {
        const may = check.check(cookie, "change-task");
        if (!may.ok) return refuse(response, may.reason, viewer, csrf);
        const taskName = decodeURIComponent(match[1] ?? "");
        const enabled = form.get("enabled") === "true";
        await pages.setEnabled(taskName, enabled);
        logger.info({ task: taskName, enabled, by: viewer?.name }, "console changed a task");
        redirect(response, "/tasks");
        return;
      }
      const step = match?.[2];
      if (match !== null && (step === "trigger" || step === "backfill") && match[3] === undefined) {
        const may = check.check(cookie, step);
        if (!may.ok) return refuse(response, may.reason, viewer, csrf);
        const taskName = decodeURIComponent(match[1] ?? "");
        const post = { taskName, form, pages, asker };
        const answer = step === "trigger" ? await postTrigger(post) : await postBackfill(post);
        if ("rendered" in answer) return show(answer.status, answer.rendered);
        logger.info(
          {
            task: taskName,
            kind: step,
            ...answer.summary.counts,
            slots: answer.summary.slots,
            by: viewer?.name,
          },
          "console asked for manual runs",
        );
        redirect(response, answer.redirect);
        return;
      }
      if (
        match !== null &&
        (step === "confirm" ||
          step === "pause" ||
          step === "resume" ||
          step === "requeue" ||
          step === "discard") &&
        match[3] === undefined
      ) {
        const taskName = decodeURIComponent(match[1] ?? "");
        const kind: PickKind = step === "confirm" ? readKind(form.get("action")) : step;
        const may = check.check(cookie, kind);
        if (!may.ok) return refuse(response, may.reason, viewer, csrf);
        const picks = readPicks(form);
        const back = localPath(form.get("back"));
        if (step === "confirm") return show(200, await pages.confirmPage(taskName, kind, picks, back, csrf));
        const summary = await pages.change(taskName, step, picks, {
          note: form.get("note") ?? "",
          skipMissed: form.get("skip_missed") === "true",
        });
        logger.info(
          { task: taskName, instances: picks.length, ...summary, by: viewer?.name },
          "console changed instances",
        );
        redirect(response, withSummary(back, summary));
        return;
      }
      return notFound(response, viewer, csrf);
    }
    if (method !== "GET") {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: "GET, POST" }).end();
      return;
    }
    if (url.pathname === "/") return show(200, await pages.overviewPage());
    if (url.pathname === "/events") return live.serve(request, response);
    if (url.pathname === "/tasks") {
      const canChange = check.check(cookie, "change-task").ok;
      return show(200, await pages.tasksPage(url.searchParams.get("after") ?? "", canChange, csrf));
    }
    const match = TASK_PATH.exec(url.pathname);
    if (match?.[2] === "instances") {
      const taskName = decodeURIComponent(match[1] ?? "");
      if (match[3] === undefined)
        return show(200, await pages.instancesPage(taskName, url.searchParams, asker));
      const name = decodeURIComponent(match[3]);
      return show(200, await pages.instancePage(taskName, name, url.searchParams, asker));
    }
    return notFound(response, viewer, csrf);
  };

  const refuse = (
    response: ServerResponse,
    reason: string,
    viewer = check.viewer(undefined),
    csrf?: string,
  ) => {
    sendHtml(
      response,
      403,
      page({ title: "Refused", viewer, csrf }, html`<h1>Refused</h1>${notice("error", reason)}`),
    );
  };
  const notFound = (response: ServerResponse, viewer: ReturnType<typeof check.viewer>, csrf: string) => {
    sendHtml(
      response,
      404,
      page(
        { title: "Not found", viewer, csrf },
        html`<h1>Not found</h1>${notice("error", "There is no such page.")}`,
      ),
    );
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((thrown: unknown) => {
      const { status, message } = failure(thrown);
      if (status >= 500) logger.error({ err: toError(thrown), url: request.url }, "console page failed");
      if (response.headersSent) {
        response.end();
        return;
      }
      sendHtml(
        response,
        status,
        page(
          { title: "Error", viewer: undefined, csrf: undefined },
          html`<h1>${status === 404 ? "Not found" : "Cannot show this"}</h1>${notice("error", message)}`,
        ),
      );
    });
  };
  return onRequest;
}

/** The HTTP status and the message a failed page shows (internal causes are logged, not shown). */
function failure(thrown: unknown): { status: number; message: string } {
  if (thrown instanceof BodyError) return { status: 400, message: thrown.message };
  // A path segment that is not valid percent-encoding (decodeURIComponent): the client's error.
  if (thrown instanceof URIError)
    return { status: 400, message: "the address is not valid percent-encoding" };
  if (hasCode(thrown, ErrorCode.NotFound)) return { status: 404, message: toError(thrown).message };
  if (hasCode(thrown, ErrorCode.InvalidArgument) || hasCode(thrown, ErrorCode.FailedPrecondition)) {
    return { status: 400, message: toError(thrown).message };
  }
  if (hasCode(thrown, ErrorCode.Unavailable))
    return { status: 503, message: "the store does not answer; try again shortly" };
  return { status: 500, message: "the console failed to show this page (logged)" };
}
