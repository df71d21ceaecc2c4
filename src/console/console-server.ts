import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ErrorCode, hasCode, PartituraError, toError } from "../domain/errors.ts";
import { CONSOLE_LIVE_MS } from "../domain/limits.ts";
import { TokenTable } from "../server/auth/tokens.ts";
import { SharedRead } from "./figures-cache.ts";
import { html } from "./html.ts";
import { BodyError, localPath, readForm, redirect, SECURITY_HEADERS, sendHtml } from "./http-io.ts";
import { notice, page } from "./layout.ts";
import { listenRefusal } from "./listen-policy.ts";
import { LiveStreams } from "./live-stream.ts";
import { readOverview } from "./overview-data.ts";
import { loginBody } from "./page-login.ts";
import { Pages, type Rendered } from "./pages.ts";
import type { ConsoleParts } from "./parts.ts";
import { RateSampler } from "./rates.ts";
import { Sessions } from "./session.ts";
import { loadStaticFiles } from "./static-files.ts";
import { ViewerCheck } from "./viewer.ts";

/*
 * The console's HTTP server (node:http, or node:https with the gRPC port's certificate): the
 * gate (static files; login; the cookie's token checked by the API's role rules on every
 * request; CSRF token and Origin on every POST), then the routes. Reading pages is GET and
 * changes nothing; every change is a POST behind the gate.
 */

/** Where and how the console is served. */
export interface ConsoleOptions {
  /** host:port (port 0 picks one). */
  readonly listen: string;
  readonly allowRemote: boolean;
  readonly authTokensFile: string | undefined;
  /** Serve HTTPS with these PEM files (read once at start). */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
}

/** A running console. */
export interface RunningConsole {
  readonly port: number;
  /** Ends live streams and open connections, then closes the port. Idempotent. */
  close(): Promise<void>;
}

const TASK_PATH = /^\/tasks\/([^/]+)\/(instances|enabled)(?:\/([^/]+))?$/;

/** Starts the console; rejects (naming PARTITURA_CONSOLE_LISTEN) when it may not or cannot bind. */
export async function startConsole(parts: ConsoleParts, options: ConsoleOptions): Promise<RunningConsole> {
  const tokens =
    options.authTokensFile === undefined ? undefined : TokenTable.fromFile(options.authTokensFile);
  const refused = listenRefusal(options.listen, tokens !== undefined, options.allowRemote);
  if (refused !== undefined) throw new PartituraError(ErrorCode.FailedPrecondition, refused);
  const logger = parts.logger.child({ component: "console" });
  const files = loadStaticFiles();
  const check = new ViewerCheck(tokens);
  const sessions = new Sessions(options.tls !== undefined);
  const rates = new RateSampler(parts.metrics.registry, () => Date.now());
  const overview = new SharedRead(
    () => readOverview(parts),
    () => Date.now(),
  );
  const pages = new Pages(parts, rates, () => overview.get());
  const live = new LiveStreams(() => pages.liveValues(), logger);
  const sample = () => {
    rates
      .tick()
      .catch((thrown: unknown) => logger.warn({ err: toError(thrown) }, "console rate sample failed"));
  };
  sample();
  const ticker = setInterval(sample, CONSOLE_LIVE_MS);
  ticker.unref();

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
      if (match[3] === undefined) return show(200, await pages.instancesPage(taskName, url.searchParams));
      const name = decodeURIComponent(match[3]);
      return show(200, await pages.instancePage(taskName, name, url.searchParams.get("key") ?? ""));
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
  const server: Server =
    options.tls === undefined
      ? createServer(onRequest)
      : createTlsServer(
          { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
          onRequest,
        );
  const at = options.listen.lastIndexOf(":");
  const host = options.listen.slice(0, at).replace(/^\[|\]$/g, "");
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(Number(options.listen.slice(at + 1)), host, () => resolve());
    });
  } catch (thrown) {
    clearInterval(ticker);
    throw new PartituraError(
      ErrorCode.Unavailable,
      `PARTITURA_CONSOLE_LISTEN: cannot listen on ${options.listen}: ${toError(thrown).message}`,
      { cause: thrown },
    );
  }
  logger.info(
    { listen: options.listen, tokens: tokens !== undefined, tls: options.tls !== undefined },
    "console serving",
  );
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(ticker);
        live.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The HTTP status and the message a failed page shows (internal causes are logged, not shown). */
function failure(thrown: unknown): { status: number; message: string } {
  if (thrown instanceof BodyError) return { status: 400, message: thrown.message };
  if (hasCode(thrown, ErrorCode.NotFound)) return { status: 404, message: toError(thrown).message };
  if (hasCode(thrown, ErrorCode.InvalidArgument) || hasCode(thrown, ErrorCode.FailedPrecondition)) {
    return { status: 400, message: toError(thrown).message };
  }
  if (hasCode(thrown, ErrorCode.Unavailable))
    return { status: 503, message: "the store does not answer; try again shortly" };
  return { status: 500, message: "the console failed to show this page (logged)" };
}
