import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import {
  type AckResponse,
  type ExecuteRequestSchema,
  type Execution,
  LeaseStatus,
  Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Clients } from "./clients.ts";

/** How long a test waits for an execution before failing (generous: CI machines are slow). */
const WAIT_MS = 15_000;

/** How a stream ended, as the worker saw it. */
export interface StreamEnd {
  readonly code: number;
  readonly details: string;
}

/**
 * A test worker: one Execute stream whose executions are collected in order, with helpers to
 * wait for the next ones, ack them and watch how the stream ends. It only observes what a real
 * worker would see on the wire.
 */
export class TestWorker {
  /** Every execution received, in order. */
  readonly received: Execution[] = [];
  /** How many messages carried them (batching under load). */
  messages = 0;
  /** Resolves when the stream ends, with its status (code 1 = CANCELLED after close()). */
  readonly ended: Promise<StreamEnd>;
  private cursor = 0;
  private readonly call: grpc.ClientReadableStream<{ executions: Execution[] }>;
  private notify: () => void = () => {};

  constructor(
    private readonly clients: Clients,
    request: MessageInitShape<typeof ExecuteRequestSchema>,
  ) {
    this.call = clients.execution.execute(request);
    this.call.on("data", (message: { executions: Execution[] }) => {
      this.messages++;
      this.received.push(...message.executions);
      this.notify();
    });
    this.ended = new Promise((resolve) => {
      this.call.on("error", (error: grpc.ServiceError) =>
        resolve({ code: error.code, details: error.details }),
      );
      this.call.on("end", () => resolve({ code: 0, details: "" }));
    });
    void this.ended.then(() => this.notify());
  }

  /** Waits for the next `count` executions (after those already taken) and returns them. */
  async next(count = 1, timeoutMs = WAIT_MS): Promise<Execution[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < this.cursor + count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${count} more execution(s), got ${this.received.length - this.cursor}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const batch = this.received.slice(this.cursor, this.cursor + count);
    this.cursor += count;
    return batch;
  }

  /** Takes everything new, waiting up to `timeoutMs` for at least one; [] when none came. */
  async poll(timeoutMs = 500): Promise<Execution[]> {
    try {
      await this.next(1, timeoutMs);
    } catch {
      // A timeout is the answer here: nothing arrived.
      return [];
    }
    this.cursor--;
    return this.next(this.received.length - this.cursor);
  }

  /** Asserts quietness: resolves with whatever arrived beyond the cursor within `ms`. */
  async idle(ms = 400): Promise<Execution[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.received.slice(this.cursor);
  }

  /** Acks executions with one outcome; returns the per-item statuses. */
  async ack(
    executions: readonly Execution[],
    outcome: Outcome = Outcome.SUCCESS,
    retryAfterMs?: number,
  ): Promise<LeaseStatus[]> {
    const response: AckResponse = await this.clients.execution.ack({
      items: executions.map((e) => ({
        leaseId: e.leaseId,
        outcome,
        ...(retryAfterMs === undefined ? {} : { retryAfter: durationFromMs(retryAfterMs) }),
      })),
    });
    return response.results.map((r) => r.status);
  }

  /** Cancels the stream, as a worker that goes away does. */
  close(): void {
    this.call.cancel();
  }
}

/** The scheduled slot of an execution, epoch ms. */
export function slotOf(execution: Execution): number {
  return execution.scheduledAt === undefined ? Number.NaN : timestampMs(execution.scheduledAt);
}

export { LeaseStatus, Outcome };
