import { ErrorCode, PartituraError } from "../../domain/errors.ts";

/** What a `dynamodb://` store URL says. */
export interface DynamoConfig {
  /** The table holding tasks and instances. */
  readonly table: string;
  /** The AWS region; "local" (or any name) when `endpoint` points at DynamoDB Local. */
  readonly region: string | undefined;
  /** An endpoint URL instead of the region's (DynamoDB Local, a VPC endpoint). */
  readonly endpoint: string | undefined;
  /** Create the table when it is missing; false leaves tables to infrastructure code. */
  readonly create: boolean;
  /** Prefix of every partition key, so several deployments can share one table. */
  readonly namespace: string;
  /** Attempts per request, the first included, before a throttled or failed call gives up. */
  readonly maxAttempts: number;
}

// DynamoDB's own rule for table names.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
// The namespace is the first segment of `ns#task#partition`, so it must not contain '#'.
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
const PARAMS = new Set(["region", "endpoint", "create", "ns", "maxAttempts"]);

function bad(url: string, rule: string): PartituraError {
  return new PartituraError(ErrorCode.InvalidArgument, `store URL "${url}": ${rule}`);
}

/**
 * Parses `dynamodb://TABLE?region=REGION&endpoint=URL&create=false&ns=NAME&maxAttempts=N`.
 * Every parameter is optional: the region then comes from the AWS environment, the table is
 * created when missing, the namespace is "default" and a request is tried 6 times.
 */
export function parseDynamoUrl(url: string): DynamoConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(url, "is not a URL; expected dynamodb://TABLE?region=REGION");
  }
  if (parsed.protocol !== "dynamodb:") throw bad(url, "scheme must be dynamodb:");
  const table = decodeURIComponent(parsed.hostname || parsed.pathname.replace(/^\/+/, ""));
  if (!TABLE_NAME.test(table)) {
    throw bad(url, "table name must be 3 to 255 of the characters A-Z a-z 0-9 _ . -");
  }
  for (const key of parsed.searchParams.keys()) {
    if (!PARAMS.has(key)) throw bad(url, `unknown parameter "${key}"; known: ${[...PARAMS].join(", ")}`);
  }
  const query = parsed.searchParams;
  const endpoint = query.get("endpoint") ?? undefined;
  if (endpoint !== undefined && !URL.canParse(endpoint)) throw bad(url, "endpoint must be a URL");
  const create = query.get("create") ?? "true";
  if (create !== "true" && create !== "false") throw bad(url, "create must be true or false");
  const namespace = query.get("ns") ?? "default";
  if (!NAMESPACE.test(namespace)) {
    throw bad(url, "ns must be 1 to 64 of the characters A-Z a-z 0-9 _ . -");
  }
  const maxAttempts = Number(query.get("maxAttempts") ?? "6");
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw bad(url, "maxAttempts must be an integer from 1 to 20");
  }
  return {
    table,
    region: query.get("region") ?? undefined,
    endpoint,
    create: create === "true",
    namespace,
    maxAttempts,
  };
}
