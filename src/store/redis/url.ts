import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import {
  MAX_REDIS_COMMAND_TIMEOUT_MS,
  MIN_REDIS_COMMAND_TIMEOUT_MS,
  REDIS_COMMAND_TIMEOUT_MS,
} from "../../domain/limits.ts";
import { redactUrl } from "../../domain/redact.ts";

/** One Redis endpoint. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** What a Redis store URL names: where to connect, how, and the key namespace. */
export interface RedisTarget {
  /** "single" for redis:// and rediss://, "cluster" for redis+cluster:// and rediss+cluster://. */
  readonly mode: "single" | "cluster";
  /** One endpoint for a single Redis; the seed nodes of a cluster. */
  readonly endpoints: readonly RedisEndpoint[];
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The logical database (single Redis only; a cluster has only database 0). */
  readonly db: number;
  /** Prefix of every key, so several deployments can share one Redis. */
  readonly namespace: string;
  /** How long one command may take before it fails as UNAVAILABLE (`commandTimeoutMs`). */
  readonly commandTimeoutMs: number;
}

/** The namespace when the URL names none. */
export const DEFAULT_NAMESPACE = "partitura";

const SCHEMES: Readonly<Record<string, { mode: RedisTarget["mode"]; tls: boolean }>> = {
  "redis:": { mode: "single", tls: false },
  "rediss:": { mode: "single", tls: true },
  "redis+cluster:": { mode: "cluster", tls: false },
  "rediss+cluster:": { mode: "cluster", tls: true },
};

/*
 * A namespace lands inside hash tags and key names, so it is kept to characters that need no
 * escaping there: no braces (they would end the hash tag) and no ':' (the key separator).
 */
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

function malformed(url: string, rule: string): PartituraError {
  return new PartituraError(ErrorCode.InvalidArgument, `store URL "${redactUrl(url)}": ${rule}`);
}

/**
 * Parses `redis://[user:password@]host[:port][/db][?ns=NAME]`, `rediss://` (TLS),
 * `redis+cluster://host1:port1,host2:port2[?ns=NAME]` and `rediss+cluster://`. Throws
 * INVALID_ARGUMENT naming the rule a malformed URL breaks.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const colon = url.indexOf(":");
  const scheme = SCHEMES[url.slice(0, colon + 1).toLowerCase()];
  if (colon < 0 || scheme === undefined) {
    throw malformed(url, `scheme must be one of ${Object.keys(SCHEMES).join(" ")}`);
  }
  let rest = url.slice(colon + 1);
  if (!rest.startsWith("//")) throw malformed(url, 'the scheme must be followed by "//"');
  rest = rest.slice(2);

  let query = "";
  const questionMark = rest.indexOf("?");
  if (questionMark >= 0) {
    query = rest.slice(questionMark + 1);
    rest = rest.slice(0, questionMark);
  }
  const { namespace, commandTimeoutMs } = parseQuery(url, query);

  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const split = auth.indexOf(":");
    const user = decode(url, split < 0 ? auth : auth.slice(0, split));
    username = user === "" ? undefined : user;
    password = split < 0 ? undefined : decode(url, auth.slice(split + 1));
  }

  let db = 0;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const path = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (path !== "") {
      if (!/^\d{1,5}$/.test(path)) throw malformed(url, "the database must be a number, as in /0");
      db = Number(path);
      if (scheme.mode === "cluster" && db !== 0) throw malformed(url, "a Redis Cluster has only database 0");
    }
  }

  const endpoints = rest.split(",").map((hostPort) => parseEndpoint(url, hostPort));
  if (scheme.mode === "single" && endpoints.length !== 1) {
    throw malformed(url, "redis:// names one host; use redis+cluster:// for several");
  }
  return {
    mode: scheme.mode,
    endpoints,
    tls: scheme.tls,
    username,
    password,
    db,
    namespace,
    commandTimeoutMs,
  };
}

function parseQuery(url: string, query: string): { namespace: string; commandTimeoutMs: number } {
  let namespace = DEFAULT_NAMESPACE;
  let commandTimeoutMs = REDIS_COMMAND_TIMEOUT_MS;
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const value = decode(url, equals < 0 ? "" : pair.slice(equals + 1));
    if (name === "ns") namespace = value;
    else if (name === "commandTimeoutMs") {
      commandTimeoutMs = Number(value);
      const inRange =
        /^\d+$/.test(value) &&
        commandTimeoutMs >= MIN_REDIS_COMMAND_TIMEOUT_MS &&
        commandTimeoutMs <= MAX_REDIS_COMMAND_TIMEOUT_MS;
      if (!inRange) {
        throw malformed(
          url,
          `commandTimeoutMs must be a whole number of ms from ${MIN_REDIS_COMMAND_TIMEOUT_MS} to ${MAX_REDIS_COMMAND_TIMEOUT_MS}`,
        );
      }
    } else throw malformed(url, `unknown parameter "${name}"; the known ones are ns and commandTimeoutMs`);
  }
  if (!NAMESPACE.test(namespace)) {
    throw malformed(url, "ns must be 1 to 64 characters of A-Z a-z 0-9 _ . -");
  }
  return { namespace, commandTimeoutMs };
}

function parseEndpoint(url: string, hostPort: string): RedisEndpoint {
  // [::1]:6379 for IPv6, host:port otherwise; the port defaults to 6379.
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostPort);
  if (match === null || match[1] === undefined) {
    throw malformed(url, `"${hostPort}" is not a host or host:port`);
  }
  const host = match[1].startsWith("[") ? match[1].slice(1, -1) : match[1];
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (port < 1 || port > 65535) throw malformed(url, `port ${port} is not between 1 and 65535`);
  return { host, port };
}

function decode(url: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // The URIError says nothing a user could act on beyond this.
    throw malformed(url, "contains a malformed %-escape");
  }
}
