/**
 * The one error type of Partitura. Every store maps its failures onto these codes, so callers
 * see the same error whatever the store; gRPC status codes are chosen only at the server edge.
 */
export enum ErrorCode {
  InvalidArgument = "INVALID_ARGUMENT",
  NotFound = "NOT_FOUND",
  AlreadyExists = "ALREADY_EXISTS",
  FailedPrecondition = "FAILED_PRECONDITION",
  /** The store cannot be reached (after its retries); the request may be retried. */
  Unavailable = "UNAVAILABLE",
  Internal = "INTERNAL",
}

/** An error with a code callers can branch on and a message fit to show a client. */
export class PartituraError extends Error {
  override readonly name = "PartituraError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** INVALID_ARGUMENT naming the field and the rule it broke. */
export function invalid(field: string, rule: string): PartituraError {
  return new PartituraError(ErrorCode.InvalidArgument, `${field}: ${rule}`);
}

/** Normalises anything thrown into an Error, so catch blocks never handle `unknown` ad hoc. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}

/** True when `thrown` is a PartituraError with this code. */
export function hasCode(thrown: unknown, code: ErrorCode): boolean {
  return thrown instanceof PartituraError && thrown.code === code;
}
