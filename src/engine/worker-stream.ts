import { EXECUTE_MESSAGE_BUDGET_BYTES } from "../domain/limits.ts";
import type { Delivery, DeliverySink } from "./delivery.ts";

/*
 * Messages are kept well under grpc-js's default 4 MiB receive limit: an execution costs its
 * args plus a little framing, so a batch is cut when its estimate passes this budget.
 */
const FRAMING_ESTIMATE = 96;

/**
 * One open Execute stream as the engine names it: who it is and where its executions go. Its
 * credit, leases and pollers are kept by the CreditLedger, the only writer of that state.
 */
export class WorkerStream {
  constructor(
    readonly id: number,
    readonly task: string,
    readonly workerId: string,
    readonly maxInFlight: number,
    readonly sink: DeliverySink,
  ) {}

  /**
   * Writes deliveries, cut into messages of bounded size. Returns false when the stream's
   * write buffer is full (the sink says so): the caller then stops giving it credit.
   */
  send(deliveries: readonly Delivery[]): boolean {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < deliveries.length; i++) {
      const d = deliveries[i] as Delivery;
      const cost = FRAMING_ESTIMATE + d.args.length + d.defaultArgs.length + d.instance.length;
      if (bytes + cost > EXECUTE_MESSAGE_BUDGET_BYTES && i > start) {
        this.sink.send(deliveries.slice(start, i));
        start = i;
        bytes = 0;
      }
      bytes += cost;
    }
    this.sink.send(start === 0 ? deliveries : deliveries.slice(start));
    return this.sink.writable?.() ?? true;
  }
}
