import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  type ExecuteRequest,
  type ExecuteResponse,
  type ExecuteResponseSchema,
  type ExecutionService,
  ExtendLeasesResponseSchema,
  Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { invalid, type PartituraError } from "../domain/errors.ts";
import { MAX_ACK_ERROR_BYTES, MAX_BATCH, MAX_DURATION_MS, STREAM_QUEUE_MAX_BYTES } from "../domain/limits.ts";
import type { LeaseStatus } from "../domain/model.ts";
import { cutUtf8 } from "../domain/utf8-cut.ts";
import type { Delivery } from "../engine/delivery.ts";
import type { Engine, StreamHandle } from "../engine/engine.ts";
import { type RequestDecoders, type ServiceHandlers, toServiceError } from "./bind.ts";
import { durationToMs, optionalDurationToMs } from "./convert-time.ts";
import type { Encoded } from "./encoded.ts";
import { decodeAckRequest, encodeAckResponse } from "./execution-ack-codec.ts";
import { encodeExecuteResponse } from "./execution-encoding.ts";
import { toLeaseStatus } from "./execution-mapping.ts";

const EXECUTE_PATH = "/partitura.v1.ExecutionService/Execute";

/** Ack requests are read by hand (execution-ack-codec.ts): one per batch of executions. */
export const executionRequestDecoders: RequestDecoders<typeof ExecutionService.method> = {
  ack: decodeAckRequest,
};

/** Told about every message of executions sent and every Ack settled (for metrics). */
export interface ExecutionObserver {
  delivered(batch: readonly Delivery[]): void;
  acked(statuses: readonly LeaseStatus[]): void;
}

const unobserved: ExecutionObserver = { delivered() {}, acked() {} };

/** The ExecutionService handlers: thin mapping between the wire and the engine. */
export function executionHandlers(
  engine: Engine,
  logger: Logger,
  observer: ExecutionObserver = unobserved,
): ServiceHandlers<typeof ExecutionService.method> {
  // The caller's logger already carries `component`; a second one would log the key twice.
  const log = logger.child({ service: "execution" });
  return {
    execute: (request, call) => execute(engine, log, observer, request, call),

    async ack(request) {
      checkBatch(request.items.length);
      const statuses = await engine.ack(
        request.items.map((item, i) => {
          const failed = item.outcome === Outcome.FAILURE;
          if (item.outcome !== Outcome.UNSPECIFIED && item.outcome !== Outcome.SUCCESS && !failed) {
            throw invalid(`items[${i}].outcome`, "must be SUCCESS or FAILURE");
          }
          const retryAfterMs = optionalDurationToMs(`items[${i}].retry_after`, item.retryAfter);
          if (retryAfterMs !== undefined && (retryAfterMs < 0 || retryAfterMs > MAX_DURATION_MS)) {
            throw invalid(`items[${i}].retry_after`, `must be between 0 and ${MAX_DURATION_MS} ms (7 days)`);
          }
          // A success keeps its one small shape: it is the hot path.
          if (failed)
            return {
              leaseId: item.leaseId,
              failed,
              retryAfterMs,
              error: cutUtf8(item.error, MAX_ACK_ERROR_BYTES),
            };
          return retryAfterMs === undefined
            ? { leaseId: item.leaseId, failed }
            : { leaseId: item.leaseId, failed, retryAfterMs };
        }),
      );
      observer.acked(statuses);
      return encodeAckResponse(request.items, statuses.map(toLeaseStatus));
    },

    async extendLeases(request) {
      checkBatch(request.items.length);
      const results = await engine.extendLeases(
        request.items.map((item, i) =>
          item.duration === undefined
            ? { leaseId: item.leaseId }
            : { leaseId: item.leaseId, durationMs: durationToMs(`items[${i}].duration`, item.duration) },
        ),
      );
      return create(ExtendLeasesResponseSchema, {
        results: results.map((result, i) => ({
          leaseId: request.items[i]?.leaseId ?? "",
          status: toLeaseStatus(result.status),
          ...(result.lockedUntil === undefined
            ? {}
            : { leaseExpiresAt: timestampFromMs(result.lockedUntil) }),
        })),
      });
    },
  };
}

function checkBatch(count: number): void {
  if (count > MAX_BATCH) throw invalid("items", `must hold at most ${MAX_BATCH} items`);
}

/*
 * The stream ends in one of three ways: the worker cancels (or vanishes: keepalive turns that
 * into a cancel), and its leases are released; the engine ends it (shutdown: UNAVAILABLE, so
 * clients reconnect); or the request is refused. Errors are sent with emit("error"), the way
 * grpc-js turns a status into the trailers of a server stream.
 */
async function execute(
  engine: Engine,
  log: Logger,
  observer: ExecutionObserver,
  request: ExecuteRequest,
  call: grpc.ServerWritableStream<ExecuteRequest, ExecuteResponse | Encoded<typeof ExecuteResponseSchema>>,
): Promise<void> {
  let ended = false;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const end = (error?: PartituraError): void => {
    if (ended) return;
    ended = true;
    if (!call.cancelled && !call.writableEnded) {
      if (error === undefined) call.end();
      else call.emit("error", toServiceError(error, log, EXECUTE_PATH));
    }
    finish();
  };
  let handle: StreamHandle | undefined;
  /*
   * Backpressure: bytes written and not yet taken by the transport are counted here; the
   * engine asks writable() after each send and gets no credit for this stream until both
   * grpc-js's buffer drained and the count fell back under the bound.
   */
  let queued = 0;
  let full = false;
  const check = (): void => {
    // Resumed only once everything queued went to the transport (hysteresis: a stream that
    // hovers at the bound would otherwise flap between stalled and fed at every callback).
    if (!full || call.writableNeedDrain || queued > 0) return;
    full = false;
    handle?.drained();
  };
  call.on("drain", check);
  try {
    handle = await engine.openStream(
      {
        task: request.task,
        partitions: request.partitions,
        workerId: request.workerId,
        maxInFlight: request.maxInFlight,
      },
      {
        send: (batch) => {
          // Pre-encoded bytes: bind.ts passes them through its serializer untouched.
          if (ended) return;
          const bytes = encodeExecuteResponse(batch);
          queued += bytes.length;
          const room = call.write(bytes, () => {
            queued -= bytes.length;
            check();
          });
          if (!room || queued > STREAM_QUEUE_MAX_BYTES) full = true;
          observer.delivered(batch);
        },
        writable: () => !full,
        end,
      },
    );
  } catch (thrown) {
    if (!call.cancelled) call.emit("error", toServiceError(thrown, log, EXECUTE_PATH));
    return;
  }
  const opened = handle;
  const cancel = (): void => {
    opened.close();
    ended = true;
    finish();
  };
  if (call.cancelled) cancel();
  else call.on("cancelled", cancel);
  await done;
}
