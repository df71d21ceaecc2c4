import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { ErrorCode, PartituraError, toError } from "../../domain/errors.ts";

/*
 * Errors that mean "DynamoDB cannot serve this right now": throttling, service faults and
 * network failures. The SDK has already retried them `maxAttempts` times when they get here.
 */
const UNAVAILABLE = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "LimitExceededException",
  "ResourceNotFoundException",
  "TimeoutError",
  "RequestTimeout",
  "CredentialsProviderError",
  "UnrecognizedClientException",
  // A single-item write on an item an upsert transaction holds (upsert.ts): try again later.
  "TransactionConflictException",
]);

// Node's socket errors: the endpoint is down, unreachable or hung up.
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN"]);

/** True when `thrown` is the refusal of a conditional write (a condition that did not hold). */
export function isConditionFailed(thrown: unknown): thrown is ConditionalCheckFailedException {
  return thrown instanceof ConditionalCheckFailedException;
}

/**
 * Maps anything the SDK threw during `operation` onto PartituraError, keeping the SDK's error
 * as the cause for logs. A PartituraError passes through unchanged.
 */
export function mapDynamoError(thrown: unknown, operation: string): PartituraError {
  if (thrown instanceof PartituraError) return thrown;
  const error = toError(thrown);
  const code = (error as { code?: unknown }).code;
  const fault = (error as { $fault?: unknown }).$fault;
  const message = `dynamodb ${operation}: ${error.name}: ${error.message}`;
  if (UNAVAILABLE.has(error.name) || (typeof code === "string" && NETWORK.has(code)) || fault === "server") {
    return new PartituraError(ErrorCode.Unavailable, message, { cause: error });
  }
  if (error.name === "ValidationException" && /size/i.test(error.message)) {
    return new PartituraError(
      ErrorCode.InvalidArgument,
      `dynamodb ${operation}: an item would exceed DynamoDB's 400 KB item size (args too large)`,
      { cause: error },
    );
  }
  return new PartituraError(ErrorCode.Internal, message, { cause: error });
}
