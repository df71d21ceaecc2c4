import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { toError } from "../domain/errors.ts";
import { CONSOLE_LIVE_MS, CONSOLE_MAX_LIVE_STREAMS } from "../domain/limits.ts";
import { SECURITY_HEADERS } from "./http-io.ts";
import type { LiveValue } from "./live-figures.ts";

/*
 * The overview's server-sent events: every CONSOLE_LIVE_MS one `data:` line of JSON (the live
 * values by key). All streams share one computation (the figures cache), the number of open
 * streams is bounded, and close() ends them all so the console's port can close.
 */

/** The open event streams of one console. */
export class LiveStreams {
  readonly #open = new Set<ServerResponse>();

  constructor(
    private readonly values: () => Promise<Record<string, LiveValue>>,
    private readonly logger: Logger,
  ) {}

  /** Serves one stream until the browser goes away or the console closes. */
  serve(request: IncomingMessage, response: ServerResponse): void {
    if (this.#open.size >= CONSOLE_MAX_LIVE_STREAMS) {
      response.writeHead(503, { ...SECURITY_HEADERS, "retry-after": "10" }).end("too many live views\n");
      return;
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    response.write(`retry: ${CONSOLE_LIVE_MS * 2}\n\n`);
    this.#open.add(response);
    let sending = false;
    const send = () => {
      if (sending) return;
      sending = true;
      this.values()
        .then(
          (values) => {
            response.write(`data: ${JSON.stringify(values)}\n\n`);
          },
          (thrown: unknown) => this.logger.warn({ err: toError(thrown) }, "console live figures failed"),
        )
        .finally(() => {
          sending = false;
        });
    };
    send();
    const timer = setInterval(send, CONSOLE_LIVE_MS);
    const done = () => {
      clearInterval(timer);
      this.#open.delete(response);
    };
    request.once("close", done);
    response.once("close", done);
  }

  /** Ends every open stream. */
  close(): void {
    for (const response of this.#open) response.end();
    this.#open.clear();
  }
}
