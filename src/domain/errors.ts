import { MAX_ECHO_LENGTH, MAX_STATUS_MESSAGE_LENGTH } from "./limits.ts";

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
  /** Metadata the server edge sends with the status (trailers), e.g. a hint to refresh the map. */
  readonly trailers: Readonly<Record<string, string>> | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; trailers?: Readonly<Record<string, string>> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.trailers = options?.trailers;
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

/**
 * `text` cut to at most `max` characters, with an ellipsis when it was longer. Never splits a
 * surrogate pair, so the result is still valid UTF-16 (and so valid UTF-8 on the wire).
 */
export function clip(text: string, max: number = MAX_ECHO_LENGTH): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * A client's input as an error message echoes it: quoted (JSON escapes, so quotes and control
 * characters stay readable) and cut to MAX_ECHO_LENGTH characters. Every echo goes through
 * this, because a status message travels in a trailer and an echoed 10 KB cron made the
 * client refuse the whole reply (RESOURCE_EXHAUSTED) instead of showing the refusal.
 */
export function quote(input: string): string {
  return JSON.stringify(clip(input));
}

/**
 * A status message as the server edge sends it: cut to MAX_STATUS_MESSAGE_LENGTH characters,
 * so no message, whatever it echoes, makes a trailer a stock client refuses.
 */
export function clampMessage(text: string): string {
  return clip(text, MAX_STATUS_MESSAGE_LENGTH);
}
