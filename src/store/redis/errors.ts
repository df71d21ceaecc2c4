import { ErrorCode, PartituraError, toError } from "../../domain/errors.ts";

/*
 * Redis reply prefixes that mean "not now, try again": the cluster is re-sharding or has lost a
 * master, the server is loading its data set, is a replica, is busy in a script, or is out of
 * memory (a full store; nothing a retry of the same request can fix, but nothing the caller did
 * wrong either).
 */
const UNAVAILABLE_REPLIES = ["CLUSTERDOWN", "TRYAGAIN", "LOADING", "MASTERDOWN", "READONLY", "BUSY", "OOM"];

/*
 * What ioredis throws when it has no connection to send on: its own error classes (matched by
 * name, since ioredis exports them only deep inside its build) and Node's socket errors.
 */
const CONNECTION_ERRORS = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError", "AbortError"]);
const CONNECTION_MESSAGES =
  /Connection is closed|Command timed out|Stream isn't writeable|enableOfflineQueue|startup nodes|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE/;

/**
 * Maps anything ioredis threw during `operation` onto PartituraError, keeping the driver's error
 * as the cause for logs: UNAVAILABLE when Redis could not be reached or asked us to come back,
 * INTERNAL for anything else (a script error is a bug). A PartituraError passes through.
 */
export function mapRedisError(thrown: unknown, operation: string): PartituraError {
  if (thrown instanceof PartituraError) return thrown;
  const error = toError(thrown);
  const message = `redis ${operation}: ${error.message}`;
  if (error.name === "ReplyError") {
    const prefix = error.message.split(" ", 1)[0] ?? "";
    const code = UNAVAILABLE_REPLIES.includes(prefix) ? ErrorCode.Unavailable : ErrorCode.Internal;
    return new PartituraError(code, message, { cause: error });
  }
  if (CONNECTION_ERRORS.has(error.name) || CONNECTION_MESSAGES.test(error.message)) {
    return new PartituraError(ErrorCode.Unavailable, message, { cause: error });
  }
  return new PartituraError(ErrorCode.Internal, message, { cause: error });
}

/** The error of an operation on a store that was closed. */
export function closedError(operation: string): PartituraError {
  return new PartituraError(ErrorCode.Unavailable, `redis ${operation}: the store is closed`);
}
