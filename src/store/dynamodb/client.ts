import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { DynamoConfig } from "./url.ts";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/*
 * DynamoDB Local accepts any credentials but the SDK refuses to sign without some. Dummy ones
 * are used only when the endpoint is local (a loopback host, or region "local") and the
 * environment names none: a VPC endpoint in AWS keeps the default chain (instance roles, IRSA).
 */
function wantsDummyCredentials(config: DynamoConfig): boolean {
  if (config.endpoint === undefined) return false;
  const local = config.region === "local" || LOOPBACK.has(new URL(config.endpoint).hostname);
  const env = process.env;
  const configured =
    env.AWS_ACCESS_KEY_ID !== undefined ||
    env.AWS_PROFILE !== undefined ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined;
  return local && !configured;
}

/**
 * The SDK client for one store. Throttling and transient failures are retried by the SDK's
 * adaptive strategy (exponential backoff with jitter, plus a client-side rate limit that
 * slows down while DynamoDB throttles), `maxAttempts` in all; only then does the error reach
 * the store, which reports it as UNAVAILABLE. Timeouts keep a dead endpoint from hanging a
 * poller: a connection gets 3 s, a request 10 s.
 */
export function createDynamoClient(config: DynamoConfig): DynamoDBClient {
  const options: DynamoDBClientConfig = {
    maxAttempts: config.maxAttempts,
    retryMode: "adaptive",
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  };
  if (config.region !== undefined) options.region = config.region;
  if (config.endpoint !== undefined) options.endpoint = config.endpoint;
  if (wantsDummyCredentials(config)) {
    options.credentials = { accessKeyId: "partitura", secretAccessKey: "partitura" };
    // The SDK needs a region to sign even when the endpoint is explicit.
    options.region ??= "local";
  }
  return new DynamoDBClient(options);
}
