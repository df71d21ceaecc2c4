import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { ErrorCode, PartituraError, toError } from "../domain/errors.ts";
import { CONSOLE_LIVE_MS } from "../domain/limits.ts";
import { TokenTable } from "../server/auth/tokens.ts";
import { consoleHandler } from "./console-routes.ts";
import { SharedRead } from "./figures-cache.ts";
import { listenRefusal } from "./listen-policy.ts";
import { LiveStreams } from "./live-stream.ts";
import { readOverview } from "./overview-data.ts";
import { Pages } from "./pages.ts";
import type { ConsoleParts } from "./parts.ts";
import { RateSampler } from "./rates.ts";
import { Sessions } from "./session.ts";
import { loadStaticFiles } from "./static-files.ts";
import { ViewerCheck } from "./viewer.ts";

/*
 * The console's HTTP server (node:http, or node:https with the gRPC port's certificate): what
 * it may bind (listen-policy.ts), the parts the pages share (the rate ticker, the figures
 * cache, the live streams), and the ordered close. Requests go to console-routes.ts.
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
  const onRequest = consoleHandler({ files, check, sessions, pages, live, logger });
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
    throw new PartituraError(
      ErrorCode.Unavailable,
      `PARTITURA_CONSOLE_LISTEN: cannot listen on ${options.listen}: ${toError(thrown).message}`,
      { cause: thrown },
    );
  }
  // The rate figures are differences between samples: one now, then every CONSOLE_LIVE_MS.
  const sample = () => {
    rates
      .tick()
      .catch((thrown: unknown) => logger.warn({ err: toError(thrown) }, "console rate sample failed"));
  };
  sample();
  const ticker = setInterval(sample, CONSOLE_LIVE_MS);
  ticker.unref();
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
