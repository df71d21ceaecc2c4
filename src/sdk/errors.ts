import * as grpc from "@grpc/grpc-js";

/**
 * The one error the SDK throws for a failed call: the gRPC status `code` (a `grpc.status`
 * number), its name (`codeName`, e.g. "NOT_FOUND") and the server's message, which names the
 * field and the rule for a refusal. `metadata` holds the trailers.
 */
export class PartituraError extends Error {
  override readonly name = "PartituraError";
  readonly codeName: string;
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly metadata: grpc.Metadata = new grpc.Metadata(),
    options?: { cause?: unknown },
  ) {
    super(`${grpc.status[code] ?? `STATUS_${code}`}: ${details}`, options);
    this.codeName = grpc.status[code] ?? `STATUS_${code}`;
  }
}

function isServiceError(thrown: unknown): thrown is grpc.ServiceError {
  return thrown instanceof Error && typeof (thrown as Partial<grpc.ServiceError>).code === "number";
}

/** Turns whatever a call failed with into a PartituraError (UNKNOWN for a non-gRPC error). */
export function toPartituraError(thrown: unknown): PartituraError {
  if (thrown instanceof PartituraError) return thrown;
  if (isServiceError(thrown)) {
    return new PartituraError(thrown.code, thrown.details ?? thrown.message, thrown.metadata, {
      cause: thrown,
    });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new PartituraError(grpc.status.UNKNOWN, message, undefined, { cause: thrown });
}
