import * as grpc from "@grpc/grpc-js";
import type { ExecutionService } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { ServiceHandlers } from "./bind.ts";

/*
 * A per-server bound on open Execute streams. Each stream holds a poller subscription, a
 * lease table share and a socket buffer; a client that opens streams in a loop must meet a
 * clear refusal, not exhaust the process. The count is taken where a stream opens (the
 * handler's entry) and given back when the handler's promise settles, which is when the
 * stream ended, however it ended.
 */

/** Counts open Execute streams against a bound. */
export class StreamCounter {
  private open = 0;
  constructor(readonly max: number) {}

  /** Open streams now. */
  get size(): number {
    return this.open;
  }

  /** Takes a slot; false when the bound is reached. */
  tryOpen(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  /** Gives a slot back. */
  close(): void {
    this.open = Math.max(0, this.open - 1);
  }
}

type Handlers = ServiceHandlers<typeof ExecutionService.method>;

/**
 * The handlers with `execute` refusing, with RESOURCE_EXHAUSTED naming the bound, any stream
 * past `counter.max` open at once.
 */
export function limitExecuteStreams(handlers: Handlers, counter: StreamCounter): Handlers {
  const execute = handlers.execute;
  return {
    ...handlers,
    execute: async (request, call) => {
      if (!counter.tryOpen()) {
        call.emit("error", {
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `this server holds at most ${counter.max} open Execute streams (PARTITURA_MAX_EXECUTE_STREAMS); close some or retry on another replica`,
        });
        return;
      }
      try {
        await execute(request, call);
      } finally {
        counter.close();
      }
    },
  };
}
