import type * as grpc from "@grpc/grpc-js";
import type {
  AckItem,
  ExecuteResponse,
  ExecutionService,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { ClientOf } from "./rpc.ts";

/** The trailer a server sets when it ended a stream because partition ownership moved. */
export const REFRESH_MAP_TRAILER = "partitura-refresh-map";

/** One replica a Worker streams from: its client (stream, acks, heartbeats) and state. */
export interface ReplicaStream {
  readonly address: string;
  readonly client: ClientOf<typeof ExecutionService.method>;
  call: grpc.ClientReadableStream<ExecuteResponse> | undefined;
  readonly pendingAcks: AckItem[];
  ackTimer: NodeJS.Timeout | undefined;
  reconnectTimer: NodeJS.Timeout | undefined;
  backoffMs: number;
  /** Out of the partition map: takes nothing new, closes when its running executions end. */
  retiring: boolean;
}

/**
 * The address a map entry names, as this client should dial it: a replica that advertises a
 * wildcard bind (0.0.0.0:50051, [::]:50051) is reached on the host the client was given.
 */
export function dialAddress(advertised: string, bootstrap: string): string {
  const colon = advertised.lastIndexOf(":");
  const host = advertised.slice(0, colon);
  if (host !== "0.0.0.0" && host !== "[::]" && host !== "::" && host !== "") return advertised;
  const bootstrapHost = bootstrap.slice(0, bootstrap.lastIndexOf(":"));
  return `${bootstrapHost}${advertised.slice(colon)}`;
}
