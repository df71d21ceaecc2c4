import type { Delivery, DeliverySink } from "./delivery.ts";
import type { PartitionPoller } from "./poller.ts";

/*
 * Messages are kept well under grpc-js's default 4 MiB receive limit: an execution costs its
 * args plus a little framing, so a batch is cut when its estimate passes this budget.
 */
const MESSAGE_BUDGET = 1 << 20;
const FRAMING_ESTIMATE = 96;

/**
 * The engine's state of one open Execute stream: its credit and the leases it holds. Credit is
 * `maxInFlight - leases.size - reserved`: delivered-but-unacked executions count against it,
 * and so do claims a poller has in progress on its behalf, so pollers of several partitions
 * sharing one stream can never together exceed it.
 */
export class WorkerStream {
  /** Lease ids delivered on this stream and not yet acked, released or expired. */
  readonly leases = new Set<string>();
  /** The pollers this stream draws from. */
  readonly pollers: PartitionPoller[] = [];
  /** Pollers that have work due but found no credit, in the order they started waiting. */
  readonly hungry = new Set<PartitionPoller>();
  /** Credit promised to claims in progress. */
  reserved = 0;
  closed = false;

  constructor(
    readonly id: number,
    readonly task: string,
    readonly workerId: string,
    readonly maxInFlight: number,
    readonly sink: DeliverySink,
  ) {}

  /** How many more executions this stream may be handed now. */
  get available(): number {
    return this.maxInFlight - this.leases.size - this.reserved;
  }

  /** Writes deliveries, cut into messages of bounded size. */
  send(deliveries: readonly Delivery[]): void {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < deliveries.length; i++) {
      const d = deliveries[i] as Delivery;
      const cost = FRAMING_ESTIMATE + d.args.length + d.defaultArgs.length + d.instance.length;
      if (bytes + cost > MESSAGE_BUDGET && i > start) {
        this.sink.send(deliveries.slice(start, i));
        start = i;
        bytes = 0;
      }
      bytes += cost;
    }
    this.sink.send(start === 0 ? deliveries : deliveries.slice(start));
  }

  /** Tells the pollers this stream feeds that credit came back, the hungry ones first. */
  creditReturned(): void {
    for (const poller of this.hungry) poller.kick();
    for (const poller of this.pollers) poller.kick();
  }
}
